/** `npm run bench`'s tables: each pipeline's medians over the runs, keyed `<pipeline>/<ceiling|rate>`. */
import { availableParallelism } from 'node:os';
import { fmt } from './format.js';
import type { RunResult } from './measure.js';
import { NATS_MAX_ACK_PENDING } from './nats-pipeline.js';
import { NODE_RED_BATCH } from './node-red-peer.js';
import { withIngest, type PipelineName } from './pipelines.js';

type Results = Map<string, RunResult[]>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const medianOf = (rs: RunResult[], pick: (r: RunResult) => number | undefined) =>
  median(rs.map(pick).filter((x): x is number => x !== undefined));
export const LABELS: Record<string, string> = {
  ours: 'ours: Aedes + ingest (separate processes), the broker\'s journal (default)',
  'ours-memory': 'ours with the broker\'s store in memory '
    + '(BROKER_PERSISTENCE=memory: a crash loses what it acknowledged)',
  mosquitto: 'same ingest behind Mosquitto',
  nats: `same ingest behind one NATS node (MQTT on JetStream, file store; max_ack_pending ${NATS_MAX_ACK_PENDING})`,
  'nats-cluster': 'same ingest behind a 3-node NATS cluster (publishers on node 1, ingest on nodes 2,3; R3 streams; '
    + `max_ack_pending ${NATS_MAX_ACK_PENDING}; broker = sum of 3 nodes)`,
  naive: 'naive: one INSERT per message',
  'node-red': 'Node-RED: MQTT in → function → postgres node, one INSERT per message',
  'node-red-batch': `Node-RED with a join node (${NODE_RED_BATCH.messages} messages or ${NODE_RED_BATCH.seconds} s), `
    + 'one INSERT per batch',
  database: 'database alone (bulk INSERT, no MQTT)',
};

export function table(results: Results, mode: 'ceiling' | 'rate'): string {
  const lines = [
    '| pipeline | msg/s | p50 ms | p99 ms | CPU µs/msg broker | CPU µs/msg subscriber '
      + '| peak RSS MiB broker / subscriber | final RSS MiB broker / subscriber | lost | duplicated |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const name of Object.keys(LABELS)) {
    const rs = results.get(`${name}/${mode}`);
    if (!rs) continue;
    const sub = (r: Record<string, number>) => r.ingest ?? r.subscriber;
    const cell = (pick: (r: RunResult) => number | undefined, digits = 0) => fmt(medianOf(rs, pick), digits);
    const cells = [
      LABELS[name],
      cell((r) => r.messagesPerSecond),
      cell((r) => r.p50Ms),
      cell((r) => r.p99Ms),
      cell((r) => r.cpuMicrosPerMessage.broker, 1),
      cell((r) => sub(r.cpuMicrosPerMessage), 1),
      `${cell((r) => r.peakRssMiB.broker)} / ${cell((r) => sub(r.peakRssMiB))}`,
      `${cell((r) => r.finalRssMiB.broker)} / ${cell((r) => sub(r.finalRssMiB))}`,
      Math.max(...rs.map((r) => r.lost)),
      Math.max(...rs.map((r) => r.duplicated)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** CPU per message of every part of the run, to show where the two cores go. */
export function cpuBreakdown(results: Results, pipelines: PipelineName[]): string {
  const lines = [
    '| pipeline (ceiling) | load generator | broker | ingest / subscriber | PostgreSQL | total µs/msg '
      + '| ⇒ msg/s if CPU-bound on all cores |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const name of pipelines) {
    const rs = results.get(`${name}/ceiling`);
    if (!rs) continue;
    const part = (role: string) => medianOf(rs, (r) => r.cpuMicrosPerMessage[role]);
    const parts = [part('load'), part('broker'), part(withIngest(name) ? 'ingest' : 'subscriber'), part('postgres')];
    const total = parts.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const cpuBound = fmt((availableParallelism() * 1e6) / total);
    lines.push(`| ${LABELS[name]} | ${parts.map((p) => fmt(p, 1)).join(' | ')} | ${fmt(total, 1)} | ${cpuBound} |`);
  }
  return lines.join('\n');
}

export function ratios(results: Results): string {
  const ours = medianOf(results.get('ours/ceiling') ?? [], (r) => r.messagesPerSecond);
  return Object.keys(LABELS)
    .filter((name) => name !== 'ours' && results.has(`${name}/ceiling`))
    .map((name) => {
      const ratio = ours / medianOf(results.get(`${name}/ceiling`)!, (r) => r.messagesPerSecond);
      return `- ours ÷ ${LABELS[name]}: **${fmt(ratio, 2)}×**`;
    })
    .join('\n');
}
