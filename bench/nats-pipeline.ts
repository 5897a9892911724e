/**
 * The NATS brokers of `npm run bench -- --pipelines nats,nats-cluster` (issue 29, item 5): real
 * nats-server nodes (test/support/nats.ts: JetStream, MQTT listener, routes for three) behind the same
 * ingest as ours. `nats`: one node, load generator and ingest on it. `nats-cluster`: three nodes, the
 * load generator on node 1 and ingest given nodes 2 and 3 (MQTT_URL=<n2>,<n3>), so every reading
 * crosses a route, as in a real cluster. The broker's CPU and RSS are the sum over its nodes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { NATS_SERVER, natsServerInstalled, startNatsCluster } from '../test/support/nats.js';

export const NATS_PIPELINES = ['nats', 'nats-cluster'] as const;
export type NatsPipelineName = (typeof NATS_PIPELINES)[number];

export const isNats = (name: string): name is NatsPipelineName => (NATS_PIPELINES as readonly string[]).includes(name);

/** The one line the bench prints when nats-server is missing. */
export const NATS_MISSING = `${NATS_SERVER} is missing: install it with \`apt-get install nats-server\` `
  + '(or set NATS_SERVER) to run the nats and nats-cluster pipelines';
export { natsServerInstalled };

/**
 * What a real deployment sets in each node's `mqtt { }` block.
 * - max_ack_pending: QoS 1 messages sent to one subscription and not yet PUBACKed (default 1024,
 *   at most 65535 over a session's subscriptions). Ingest PUBACKs once a message is in its spool, so
 *   this is the window between the broker and ingest; see docs/benchmarks.md, "NATS (issue 29)".
 * - stream_replicas (cluster only): 3, written out (test/support/nats.ts writes the same for a
 *   cluster when it is not given). Unset, nats-server 2.9 sizes the MQTT streams from the servers it
 *   sees at the first MQTT connect (mqttDetermineReplicas, at most 3): R3 in one check here (/jsz:
 *   $MQTT_msgs, $MQTT_sess, $MQTT_rmsgs R3, consumers inheriting it), R2 when probed early (that
 *   file's commit), and an R2 stream stops taking messages while one of its two nodes is down.
 */
export const NATS_MAX_ACK_PENDING = Number(process.env.BENCH_NATS_MAX_ACK_PENDING ?? 1024);
const mqttExtra = (nodes: 1 | 3) =>
  [`max_ack_pending: ${NATS_MAX_ACK_PENDING}`, ...(nodes === 3 ? ['stream_replicas: 3'] : [])].join('\n  ');

export interface NatsBrokers {
  /** Where the load generator publishes: node 1. */
  publishUrl: string;
  /** ingest's MQTT_URL: node 1 alone, or nodes 2 and 3 of a cluster. */
  ingestUrl: string;
  /** By role: `broker` is every node; `broker n1`… each node alone (the cluster's). */
  pids: Record<string, number[]>;
  stop(): Promise<void>;
}

/** The pid of the nats-server started with this config file (test/support/nats.ts does not expose it). */
function pidOf(configFile: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(configFile) && argv[0]!.endsWith('nats-server')) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no nats-server process runs with ${configFile}`);
}

export async function startNatsBrokers(name: NatsPipelineName, progress: (text: string) => void): Promise<NatsBrokers> {
  const nodes = name === 'nats' ? 1 : 3;
  const started = Date.now();
  const cluster = await startNatsCluster({ nodes, mqttExtra: mqttExtra(nodes) });
  try {
    const perNode = cluster.nodes.map((n) => [n.name, pidOf(n.configFile)] as const);
    progress(`${name}: ${nodes} nats-server node(s) ready in ${((Date.now() - started) / 1000).toFixed(1)} s `
      + `(JetStream under ${cluster.dir}; mqtt ${mqttExtra(nodes).replace(/\n\s*/g, ', ')})`);
    return {
      publishUrl: cluster.mqttUrls[0]!,
      ingestUrl: nodes === 1 ? cluster.mqttUrls[0]! : cluster.mqttUrls.slice(1).join(','),
      pids: {
        broker: perNode.map(([, pid]) => pid),
        ...(nodes > 1 ? Object.fromEntries(perNode.map(([node, pid]) => [`broker ${node}`, [pid]])) : {}),
      },
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** The cluster's broker CPU per message, node by node, from a run's per-role figures. */
export function natsNodesLine(
  label: string,
  cpuOf: (role: string) => number,
  fmt: (x: number, digits?: number) => string,
): string {
  const nodes = ['n1', 'n2', 'n3'].map((n) => `${n} ${fmt(cpuOf(`broker ${n}`), 1)}`);
  return `- ${label}: broker CPU µs/msg by node (n1 takes the publishes; ingest is on n2 or n3): ${nodes.join(', ')}`;
}

/**
 * Each NATS pipeline against ours and Mosquitto from the same run: throughput (ceiling), p99 at the
 * fixed rate, the broker's CPU per message and the whole pipeline's (load generator, broker, ingest,
 * PostgreSQL). `figure(name, mode, pick)` is the run's median, NaN when that pipeline did not run.
 */
/** What natsRatios reads of a run. */
interface Figures { messagesPerSecond: number; p99Ms: number; cpuMicrosPerMessage: Record<string, number> }

export function natsRatios(
  figure: (name: string, mode: 'ceiling' | 'rate', pick: (r: Figures) => number | undefined) => number,
  fmt: (x: number, digits?: number) => string,
): string[] {
  const total = (c: Record<string, number>) =>
    ['load', 'broker', 'ingest', 'postgres'].reduce((sum, role) => sum + (c[role] ?? 0), 0);
  const lines: string[] = [];
  for (const nats of NATS_PIPELINES) {
    for (const base of ['ours', 'mosquitto']) {
      const ratio = (mode: 'ceiling' | 'rate', pick: Parameters<typeof figure>[2]) =>
        fmt(figure(nats, mode, pick) / figure(base, mode, pick), 2);
      const ran = (name: string) => Number.isFinite(figure(name, 'ceiling', (r) => r.messagesPerSecond));
      if (!ran(nats) || !ran(base)) continue;
      lines.push(`- ${nats} ÷ ${base}: throughput **${ratio('ceiling', (r) => r.messagesPerSecond)}×**, `
        + `p99 at the fixed rate ${ratio('rate', (r) => r.p99Ms)}×, `
        + `broker CPU µs/msg ${ratio('ceiling', (r) => r.cpuMicrosPerMessage.broker)}× (ceiling) / `
        + `${ratio('rate', (r) => r.cpuMicrosPerMessage.broker)}× (fixed rate), `
        + `whole pipeline CPU µs/msg ${ratio('ceiling', (r) => total(r.cpuMicrosPerMessage))}× (ceiling)`);
    }
  }
  const title = 'NATS as a ratio of ours and of Mosquitto, same run (above 1: NATS has more of it):';
  return lines.length > 0 ? ['', title, '', ...lines] : [];
}
