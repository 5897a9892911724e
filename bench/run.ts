/**
 * `npm run bench`: the real pipeline, as separate processes, against three baselines in the same run.
 * Prints markdown tables (and writes them with --write FILE). See docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { freePortOnLoopback } from '../test/support/ports.js';
import mqtt from 'mqtt';
import { closeAll, loadPayload, publishLoad } from '../test/support/load.js';
import type { Db } from '../shared/db.js';
import {
  createBenchDatabase, insertDirect, observe, resetData, summarise, waitForCommits, type RunResult,
} from './measure.js';
import { benchSql } from './bench-sql.js';
import { BENCH_SERVER_URL } from './fixtures.js';
import { fmt } from './format.js';
import { cpuBreakdown, LABELS, medianOf, ratios, table } from './run-tables.js';
import { batchRowsFor } from '../ingest/batcher.js';
import { startPipeline, withIngest, type PipelineName, type RunningPipeline } from './pipelines.js';
import {
  isNats, NATS_MISSING, natsNodesLine, natsRatios, natsServerInstalled,
} from './nats-pipeline.js';
import { soak, sustainedCeiling, sustainedTable, type SustainedResult } from './sustained.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    messages: { type: 'string', default: '30000' },
    'naive-messages': { type: 'string', default: '10000' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '4' },
    pipelines: { type: 'string', default: 'ours,ours-memory,mosquitto,naive,node-red,node-red-batch,database' },
    write: { type: 'string' },
    'soak-seconds': { type: 'string', default: '0' },
    // With --soak-seconds: soak at this fraction of ours's burst ceiling, measured first in the same run
    // (else at --rate).
    'soak-fraction': { type: 'string', default: '0' },
    // Issue 28 item 2: after the run, the highest paced rate each ingest pipeline holds (not in the default run).
    sustained: { type: 'boolean', default: false },
    'sustained-seconds': { type: 'string', default: '300' },
    'probe-seconds': { type: 'string', default: '30' },
    probes: { type: 'string', default: '5' },
    confirms: { type: 'string', default: '2' },
    'sustained-start': { type: 'string', default: '0.7' },
  },
});
const runs = Number(args.runs);
const PIPELINES: PipelineName[] = [
  'ours', 'ours-memory', 'mosquitto', 'nats', 'nats-cluster', 'naive', 'node-red', 'node-red-batch',
];
const rate = Number(args.rate);
const chosen = args.pipelines!.split(',');
// NATS is not in the default run: when named without nats-server installed, one line and exit 2.
if (chosen.some(isNats) && !natsServerInstalled()) {
  process.stderr.write(`bench: ${NATS_MISSING}\n`);
  process.exit(2);
}
const serverUrl = BENCH_SERVER_URL;
const PUBLISHERS = 10;
const countRows = benchSql('count-rows.sql');
const INGEST_BATCH_ROWS = 2000;

type Mode = 'ceiling' | 'rate';
const results = new Map<string, RunResult[]>();
const record = (key: string, r: RunResult) => results.set(key, [...(results.get(key) ?? []), r]);
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

/** Pipelines whose ceiling is measured with --naive-messages: one database round trip per message. */
const ONE_BY_ONE = new Set<PipelineName>(['naive', 'node-red']);

/**
 * One message through before measuring: a subscriber that logs "connected" may not have subscribed
 * yet (Node-RED says nothing when it has), and a message published before would be lost to it.
 */
async function primed(pipeline: RunningPipeline, db: Db): Promise<void> {
  const client = await mqtt.connectAsync(pipeline.mqttUrl, {
    clientId: `bench-probe-${process.pid}`, reconnectPeriod: 0, connectTimeout: 5000,
  });
  try {
    const deadline = Date.now() + 30_000;
    const count = async () => (await db.one<{ n: number }>(countRows, { table: pipeline.table })).n;
    for (let i = 0; ; i++) {
      if (Date.now() > deadline) throw new Error('no probe message reached the database in 30 s');
      await client.publishAsync('home/probe/dht22', loadPayload(i, Date.now() - 3_600_000 + i, Date.now()), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      if ((await count()) > 0) break;
    }
    // A probe sent again may still be on its way (Node-RED's join node holds it up to a second).
    for (let before = -1, now = await count(); now !== before; before = now, now = await count()) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  } finally {
    await client.endAsync(true);
    await resetData(db);
  }
}

async function runPipeline(name: PipelineName, run: number): Promise<void> {
  const database = await createBenchDatabase(serverUrl);
  const pipeline = await startPipeline(name, database.url, await freePortOnLoopback(), progress);
  try {
    await primed(pipeline, database.db);
    for (const mode of ['ceiling', 'rate'] as Mode[]) {
      const total = mode === 'rate'
        ? rate * Number(args.seconds)
        : Number(ONE_BY_ONE.has(name) ? args['naive-messages'] : args.messages);
      const { result, cpu, peak, finalRss } = await observe(pipeline.pids, async () => {
        const startedAt = Date.now();
        const load = await publishLoad({
          url: pipeline.mqttUrl, publishers: PUBLISHERS, total,
          ratePerSecond: mode === 'rate' ? rate : undefined, devicePrefix: `bench${run}`,
        });
        await waitForCommits(database.db, load.acked);
        await closeAll(load.clients);
        return { startedAt, acked: load.acked };
      });
      const summary = await summarise(database.db, result.startedAt, result.acked, pipeline.table);
      const perMessage = Object.fromEntries(Object.entries(cpu).map(([role, micros]) => [role, micros / result.acked]));
      record(`${name}/${mode}`, {
        ...summary, acked: result.acked, cpuMicrosPerMessage: perMessage, peakRssMiB: peak, finalRssMiB: finalRss,
      });
      progress(`run ${run}/${runs} ${name} ${mode}: ${Math.round(summary.messagesPerSecond)} msg/s, `
        + `p99 ${summary.p99Ms} ms, lost ${summary.lost}`);
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
    const baseTs = Date.now() - 3_600_000;
    // Everything is waiting, so batches are as large as ingest takes when it is behind.
    const batchRows = batchRowsFor(
      { backlogMessages: total, rowsPerMessage: 4, oldestWaitingSince: undefined },
      { batchMaxRows: INGEST_BATCH_ROWS, flushIntervalMs: 0 },
    );
    await insertDirect(database.db, total, batchRows, (i, sentAt) => {
      const base = { ts: new Date(baseTs + i), device: `bench${i % PUBLISHERS}`, sensor: 'dht22' };
      const values = [
        ['temperature', 20 + (i % 50) / 10], ['humidity', 40 + (i % 200) / 10], ['seq', i], ['sent', sentAt],
      ] as const;
      return values.map(([metric, value]) => ({ ...base, metric, value }));
    });
    const summary = await summarise(database.db, startedAt, total);
    record('database/ceiling', { ...summary, acked: total, cpuMicrosPerMessage: {}, peakRssMiB: {}, finalRssMiB: {} });
    progress(`run ${run}/${runs} database alone: ${Math.round(summary.messagesPerSecond)} msg/s`);
  } finally {
    await database.drop();
  }
}

const began = Date.now();
const soakSeconds = Number(args['soak-seconds']);
if (soakSeconds > 0) {
  const fraction = Number(args['soak-fraction']);
  if (!(fraction >= 0 && fraction <= 1)) {
    progress('--soak-fraction: a fraction of the burst ceiling from 0 to 1 (0 soaks at --rate), '
      + `was "${args['soak-fraction']}"`);
    process.exit(2);
  }
  let soakRate = rate;
  let why = '';
  if (fraction > 0) {
    for (let run = 1; run <= runs; run++) await runPipeline('ours', run);
    const burst = medianOf(results.get('ours/ceiling') ?? [], (r) => r.messagesPerSecond);
    if (!(burst > 0)) throw new Error('the burst ceiling of ours could not be measured; nothing to soak at');
    soakRate = Math.round((burst * fraction) / 100) * 100;
    why = `Rate: ${fmt(100 * fraction)} % of ours's burst ceiling measured first in this run (${fmt(burst)} msg/s, `
      + `median of ${runs}; ${args.messages} messages, ${PUBLISHERS} publishers). `
      + `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}.`;
    progress(`soak: burst ceiling ${fmt(burst)} msg/s; soaking at ${fmt(soakRate)} msg/s for ${soakSeconds} s`);
  }
  const report = await soak(serverUrl, soakRate, soakSeconds, PUBLISHERS, progress, why);
  console.log(`\n${report}\n`);
  const produced = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  if (args.write) writeFileSync(args.write, `${report}\n\nProduced by \`${produced}\`.\n`);
  process.exit(0);
}
for (let run = 1; run <= runs; run++) {
  for (const name of PIPELINES) if (chosen.includes(name)) await runPipeline(name, run);
  if (chosen.includes('database')) await runDatabaseAlone(run);
}
const sustained: SustainedResult[] = [];
const sustainedOptions = {
  serverUrl,
  publishers: PUBLISHERS,
  probeSeconds: Number(args['probe-seconds']),
  sustainedSeconds: Number(args['sustained-seconds']),
  probes: Number(args.probes),
  confirms: Number(args.confirms),
  stepDown: 0.8,
  startFraction: Number(args['sustained-start']),
  p99LimitMs: 1000,
  progress,
};
// The pipelines behind pimonitor's ingest, each from the burst ceiling this run measured.
for (const name of args.sustained ? PIPELINES.filter((n) => withIngest(n) && results.has(`${n}/ceiling`)) : []) {
  const burst = medianOf(results.get(`${name}/ceiling`)!, (r) => r.messagesPerSecond);
  sustained.push(await sustainedCeiling(name, burst, sustainedOptions));
}
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const report = [
  `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; `
    + `PostgreSQL at ${new URL(serverUrl).host}. Median of ${runs} run(s) per column; `
    + `took ${Math.round((Date.now() - began) / 1000)} s.`,
  '',
  `### Ceiling: ${PUBLISHERS} publishers, QoS 1, as fast as the broker acknowledges (${args.messages} messages; `
    + `naive and Node-RED one by one ${args['naive-messages']})`,
  '',
  table(results, 'ceiling'),
  '',
  'CPU per message by part (µs), where the two cores go:',
  '',
  cpuBreakdown(results, PIPELINES),
  ...(results.has('nats-cluster/ceiling')
    ? ['', natsNodesLine(LABELS['nats-cluster']!, (role) =>
      medianOf(results.get('nats-cluster/ceiling')!, (r) => r.cpuMicrosPerMessage[role]), fmt)]
    : []),
  '',
  'Throughput of ours as a ratio of each baseline, same run:',
  '',
  ratios(results),
  ...natsRatios((name, mode, pick) => medianOf(results.get(`${name}/${mode}`) ?? [], pick), fmt),
  '',
  `### Latency: ${rate} messages/s offered for ${args.seconds} s`,
  '',
  table(results, 'rate'),
  ...(sustained.length > 0 ? ['', sustainedTable(sustained, LABELS, sustainedOptions)] : []),
].join('\n');
console.log(`\n${report}\n`);
if (args.write) {
  writeFileSync(args.write, `${report}\n\nProduced by \`${command}\`.\n`);
  progress(`wrote ${args.write}`);
}
process.exit(0);
