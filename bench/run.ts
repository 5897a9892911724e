/**
 * `npm run bench`: the real pipeline, as separate processes, against three baselines in the same run.
 * Prints markdown tables (and writes them with --write FILE). See docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePortOnLoopback } from './ports.js';
import { closeAll, publishLoad } from './load.js';
import { createBenchDatabase, insertDirect, observe, resetData, summarise, waitForCommits, type RunResult } from './measure.js';
import { startPipeline, type PipelineName } from './pipelines.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    messages: { type: 'string', default: '30000' },
    'naive-messages': { type: 'string', default: '10000' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '4' },
    pipelines: { type: 'string', default: 'ours,mosquitto,naive,database' },
    write: { type: 'string' },
  },
});
const runs = Number(args.runs);
const rate = Number(args.rate);
const chosen = args.pipelines!.split(',');
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PUBLISHERS = 10;
const INGEST_BATCH_ROWS = 2000;

type Mode = 'ceiling' | 'rate';
const results = new Map<string, RunResult[]>();
const record = (key: string, r: RunResult) => results.set(key, [...(results.get(key) ?? []), r]);
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

async function runPipeline(name: PipelineName, run: number): Promise<void> {
  const database = await createBenchDatabase(serverUrl);
  const pipeline = await startPipeline(name, database.url, await freePortOnLoopback());
  try {
    for (const mode of ['ceiling', 'rate'] as Mode[]) {
      const total = mode === 'rate' ? rate * Number(args.seconds) : Number(name === 'naive' ? args['naive-messages'] : args.messages);
      const { result, cpu, peak, finalRss } = await observe(pipeline.processes, async () => {
        const startedAt = Date.now();
        const load = await publishLoad({ url: pipeline.mqttUrl, publishers: PUBLISHERS, total, ratePerSecond: mode === 'rate' ? rate : undefined, devicePrefix: `bench${run}` });
        await waitForCommits(database.db, load.acked);
        await closeAll(load.clients);
        return { startedAt, acked: load.acked };
      });
      const summary = await summarise(database.db, result.startedAt, result.acked);
      const perMessage = Object.fromEntries(Object.entries(cpu).map(([role, micros]) => [role, micros / result.acked]));
      record(`${name}/${mode}`, { ...summary, acked: result.acked, cpuMicrosPerMessage: perMessage, peakRssMiB: peak, finalRssMiB: finalRss });
      progress(`run ${run}/${runs} ${name} ${mode}: ${Math.round(summary.messagesPerSecond)} msg/s, p99 ${summary.p99Ms} ms, lost ${summary.lost}`);
      await resetData(database.db);
    }
  } finally {
    await pipeline.stop();
    await database.drop();
  }
}

async function runDatabaseAlone(run: number): Promise<void> {
  const database = await createBenchDatabase(serverUrl);
  try {
    const total = Number(args.messages);
    const startedAt = Date.now();
    await insertDirect(database.db, total, INGEST_BATCH_ROWS, (i, sentAt) => {
      const base = { ts: new Date(Date.UTC(2026, 0, 1) + i), device: `bench${i % PUBLISHERS}`, sensor: 'dht22' };
      return ([['temperature', 20 + (i % 50) / 10], ['humidity', 40 + (i % 200) / 10], ['seq', i], ['sent', sentAt]] as const).map(([metric, value]) => ({ ...base, metric, value }));
    });
    const summary = await summarise(database.db, startedAt, total);
    record('database/ceiling', { ...summary, acked: total, cpuMicrosPerMessage: {}, peakRssMiB: {}, finalRssMiB: {} });
    progress(`run ${run}/${runs} database alone: ${Math.round(summary.messagesPerSecond)} msg/s`);
  } finally {
    await database.drop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const medianOf = (rs: RunResult[], pick: (r: RunResult) => number | undefined) => median(rs.map(pick).filter((x): x is number => x !== undefined));
const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const LABELS: Record<string, string> = {
  ours: 'ours: Aedes + ingest (separate processes)',
  mosquitto: 'same ingest behind Mosquitto',
  naive: 'naive: one INSERT per message',
  database: 'database alone (bulk INSERT, no MQTT)',
};

function table(mode: Mode): string {
  const lines = [
    '| pipeline | msg/s | p50 ms | p99 ms | CPU µs/msg broker | CPU µs/msg subscriber | peak RSS MiB broker / subscriber | final RSS MiB broker / subscriber | lost | duplicated |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const name of Object.keys(LABELS)) {
    const rs = results.get(`${name}/${mode}`);
    if (!rs) continue;
    const sub = (r: Record<string, number>) => r.ingest ?? r.subscriber;
    lines.push(`| ${LABELS[name]} | ${fmt(medianOf(rs, (r) => r.messagesPerSecond))} | ${fmt(medianOf(rs, (r) => r.p50Ms))} | ${fmt(medianOf(rs, (r) => r.p99Ms))} | ${fmt(medianOf(rs, (r) => r.cpuMicrosPerMessage.broker), 1)} | ${fmt(medianOf(rs, (r) => sub(r.cpuMicrosPerMessage)), 1)} | ${fmt(medianOf(rs, (r) => r.peakRssMiB.broker))} / ${fmt(medianOf(rs, (r) => sub(r.peakRssMiB)))} | ${fmt(medianOf(rs, (r) => r.finalRssMiB.broker))} / ${fmt(medianOf(rs, (r) => sub(r.finalRssMiB)))} | ${Math.max(...rs.map((r) => r.lost))} | ${Math.max(...rs.map((r) => r.duplicated))} |`);
  }
  return lines.join('\n');
}

function ratios(): string {
  const ours = medianOf(results.get('ours/ceiling') ?? [], (r) => r.messagesPerSecond);
  return Object.keys(LABELS)
    .filter((name) => name !== 'ours' && results.has(`${name}/ceiling`))
    .map((name) => `- ours ÷ ${LABELS[name]}: **${fmt(ours / medianOf(results.get(`${name}/ceiling`)!, (r) => r.messagesPerSecond), 2)}×**`)
    .join('\n');
}

const began = Date.now();
for (let run = 1; run <= runs; run++) {
  for (const name of ['ours', 'mosquitto', 'naive'] as PipelineName[]) if (chosen.includes(name)) await runPipeline(name, run);
  if (chosen.includes('database')) await runDatabaseAlone(run);
}
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const report = [
  `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; PostgreSQL at ${new URL(serverUrl).host}. Median of ${runs} run(s) per column; took ${Math.round((Date.now() - began) / 1000)} s.`,
  '',
  `### Ceiling: ${PUBLISHERS} publishers, QoS 1, as fast as the broker acknowledges (${args.messages} messages; naive ${args['naive-messages']})`,
  '',
  table('ceiling'),
  '',
  'Throughput of ours as a ratio of each baseline, same run:',
  '',
  ratios(),
  '',
  `### Latency: ${rate} messages/s offered for ${args.seconds} s`,
  '',
  table('rate'),
].join('\n');
console.log(`\n${report}\n`);
if (args.write) {
  writeFileSync(args.write, `${report}\n\nProduced by \`${command}\`.\n`);
  progress(`wrote ${args.write}`);
}
process.exit(0);
