/**
 * `npm run bench:storage`: what years of readings cost on disk and how fast the operators' queries
 * answer. Three parts, each printed as markdown (see docs/benchmarks.md, "Storage"):
 *
 * 1. Bytes per metric value: the same values, written in ingest's batches and order (all series
 *    interleaved, 2000 rows a batch), into schema version 1's table (the baseline, in this run) and
 *    into readings_raw; then readings_raw after `pimonitor db compact`, then all of it archived
 *    (bench/storage-archive.ts: archived bytes per value, one series' day from raw and from the archive).
 * 2. EXPLAIN (ANALYZE, BUFFERS) of the README's and the cookbook's queries on --big values.
 * 3. `pimonitor export` of all of them: time and the peak memory of the process.
 */
import { join } from 'node:path';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { foldSeries, type ReadingRow } from '../ingest/rows.js';
import { createBatchStore } from '../ingest/store.js';
import { connect, pgp, type Db } from '../shared/db.js';
import { migrate } from '../shared/migrate.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { compactPartitions } from '../storage/compact.js';
import { markAllForRollup, rollUp } from '../storage/rollup.js';
import { planArchive, runArchive } from '../storage/archive.js';
import { archiveFigures, explain } from './storage-archive.js';
import { QUERIES } from './storage-queries.js';
import { benchSql, BENCH_SPOOL_ID } from './bench-sql.js';
import { BENCH_SERVER_URL, ROOMS } from './fixtures.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { rssMiB, spawnLogged } from '../test/support/processes.js';

const { values: args } = parseArgs({
  options: {
    values: { type: 'string', default: '1000000' },
    big: { type: 'string', default: '10000000' },
    series: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    'skip-big': { type: 'boolean', default: false },
  },
});
const SERIES = Number(args.series);
const INTERVAL_MS = 10_000;
const BATCH_ROWS = 2000;
const serverUrl = BENCH_SERVER_URL;
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const DEVICES = ROOMS;
const partitionTreeBytes = benchSql('partition-tree-bytes.sql');
const v1Table = benchSql('v1-table.sql');
const v1Insert = benchSql('v1-insert.sql');
const countRows = benchSql('count-rows.sql');
const dayPartitions = benchSql('day-partitions.sql');
const seedDay = benchSql('seed-day.sql');
const setLastValue = benchSql('set-last-value.sql');
const markRecentDirty = benchSql('mark-recent-dirty.sql');
const vacuumAnalyze = benchSql('vacuum-analyze.sql');
const versionSql = benchSql('version.sql');
const seriesColumns =
  new pgp.helpers.ColumnSet(['device', 'sensor', 'metric', 'first_ts', 'last_ts'], { table: 'series' });
const seriesName = (i: number) => ({
  device: DEVICES[Math.floor(i / 2) % DEVICES.length]! + (i >= 2 * DEVICES.length ? `-${Math.floor(i / 20)}` : ''),
  sensor: 'dht22',
  metric: i % 2 ? 'humidity' : 'temperature',
});

/**
 * When a node's reading of `tick` is taken, in ms after the 10-s grid, as sensor-node/sampler.ts times
 * them (deterministic): each cycle starts 1-3 ms late on the last one's start (timers fire late, and the
 * lateness adds up), and 3 readings in 10 come from a retry 0.5-2.5 s into the cycle (a DHT22 fails
 * often). Both metrics of a node share the time. Called in tick order.
 */
function nodeTiming(series: number): (i: number, tick: number) => number {
  const drift = new Array<number>(series).fill(0);
  return (i, tick) => {
    const node = Math.floor(i / 2);
    const hash = ((Math.imul(tick + 1, 2654435761) ^ Math.imul(node + 1, 40503)) >>> 0) % 100_003;
    if (i % 2 === 0 && tick > 0) drift[node]! += 1 + (hash % 3);
    return drift[node]! + (hash % 10 < 3 ? 500 + (hash % 2000) : 0);
  };
}

const relationBytes = async (db: Db, name: string) =>
  Number((await db.one<{ bytes: string }>(partitionTreeBytes, { table: name })).bytes);

/** Part 1: bytes per value, schema 1's table against readings_raw, same values in the same batches. */
async function bytesPerValue(total: number): Promise<string> {
  const scratch = await createScratchDatabase(serverUrl, 'pimonitor_bench_storage', 2);
  try {
    const { db } = scratch;
    await migrate(db);
    await db.none(v1Table);
    const store = createBatchStore(db);
    const start = Date.UTC(2026, 9, 1);
    const timing = nodeTiming(SERIES);
    let written = 0;
    for (let step = 0; written < total; step++) {
      const batch: ReadingRow[] = [];
      for (; batch.length < BATCH_ROWS && written < total; written++) {
        const i = written % SERIES;
        const tick = Math.floor(written / SERIES);
        // A daily swing plus a DHT22's ±0.5 of jitter (deterministic), in its 0.1 steps.
        const jitter = (((tick * 7919 + i * 104729) % 11) - 5) / 10;
        const ts = new Date(start + tick * INTERVAL_MS + timing(i, tick));
        batch.push({ ...seriesName(i), ts, value: Math.round((20 + Math.sin(tick / 500 + i) * 5 + jitter) * 10) / 10 });
      }
      await store.write(
        { readings: batch, series: foldSeries(batch), devices: [], rejected: [] },
        { worker: 'bench', spoolId: BENCH_SPOOL_ID, position: step },
      );
      await db.none(v1Insert, {
        ts: batch.map((r) => r.ts), device: batch.map((r) => r.device), sensor: batch.map((r) => r.sensor),
        metric: batch.map((r) => r.metric), value: batch.map((r) => r.value),
      });
      if (step % 100 === 0) progress(`bytes per value: ${written} of ${total} written`);
    }
    await db.none(vacuumAnalyze);
    await rollUp(db);
    await db.none(vacuumAnalyze);
    const v1 = await relationBytes(db, 'v1_readings');
    const raw = await relationBytes(db, 'readings_raw');
    const rollups = {
      '5m': await relationBytes(db, 'rollup_5m'),
      '1h': await relationBytes(db, 'rollup_1h'),
      '1d': await relationBytes(db, 'rollup_1d'),
    };
    const buckets5m = (await db.one<{ n: number }>(countRows, { table: 'rollup_5m' })).n;
    const compacted = await compactPartitions(db, { olderThan: new Date(8.64e15) });
    await db.none(vacuumAnalyze);
    const rawCompact = await relationBytes(db, 'readings_raw');
    // Then the archive tier (bench/storage-archive.ts): every month of these values archived.
    const archived = await archiveFigures(db, total, '2026-10-02');
    const per = (bytes: number) => (bytes / total).toFixed(1);
    return [
      `### Bytes per metric value (${total.toLocaleString('en-US')} values, ${SERIES} series, `
        + `every ${INTERVAL_MS / 1000} s as a node times them, `
        + `written interleaved in batches of ${BATCH_ROWS} as ingest writes them)`,
      '',
      '| layout | bytes on disk | bytes per value | ÷ schema 1 |',
      '|---|--:|--:|--:|',
      '| schema 1: readings (ts, device, sensor, metric, value), key over the names (baseline, same run) '
        + `| ${v1.toLocaleString('en-US')} | ${per(v1)} | 1.00 |`,
      '| readings_raw (series_id, ts, value), key (series_id, ts), monthly partitions, BRIN on ts '
        + `| ${raw.toLocaleString('en-US')} | **${per(raw)}** | ${(raw / v1).toFixed(2)} |`,
      `| readings_raw after \`pimonitor db compact\` (${compacted.length} partition(s) rewritten in key order) `
        + `| ${rawCompact.toLocaleString('en-US')} | **${per(rawCompact)}** | ${(rawCompact / v1).toFixed(2)} |`,
      archived,
      '',
      `Rollups of the same values: 5-minute ${rollups['5m'].toLocaleString('en-US')} bytes `
        + `(${(rollups['5m'] / buckets5m).toFixed(0)} bytes per series and bucket, `
        + `${(rollups['5m'] / total).toFixed(1)} per raw value), hourly ${rollups['1h'].toLocaleString('en-US')}, `
        + `daily ${rollups['1d'].toLocaleString('en-US')}.`,
    ].join('\n');
  } finally {
    await scratch.drop();
  }
}


/** Parts 2 and 3: the queries on --big values, and exporting all of them. */
async function bigQueriesAndExport(total: number, runs: number): Promise<string> {
  const scratch = await createScratchDatabase(serverUrl, 'pimonitor_bench_queries', 2);
  try {
    const { db } = scratch;
    await migrate(db);
    const ticks = Math.ceil(total / SERIES);
    const spanMs = ticks * INTERVAL_MS;
    const end = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS;
    const start = end - spanMs;
    const series = Array.from({ length: SERIES }, (_, i) =>
      ({ ...seriesName(i), first_ts: new Date(start), last_ts: new Date(end - INTERVAL_MS) }));
    await db.none(pgp.helpers.insert(series, seriesColumns));
    await db.one(dayPartitions, { first: new Date(start), last: new Date(end) });
    const seeded = Date.now();
    // In time order, all series interleaved, one day per statement (as ingest would have written them).
    for (let dayStart = start; dayStart < end; dayStart += 86_400_000) {
      const dayEnd = new Date(Math.min(dayStart + 86_400_000, end));
      await db.none(seedDay, { from: new Date(dayStart), to: dayEnd, step: `${INTERVAL_MS / 1000} seconds` });
      progress(`queries: seeded to ${new Date(dayStart).toISOString().slice(0, 10)}`);
    }
    await db.none(setLastValue);
    const values = (await db.one<{ n: number }>(countRows, { table: 'readings_raw' })).n;
    const seedSeconds = (Date.now() - seeded) / 1000;
    const rolled = Date.now();
    const buckets = await markAllForRollup(db);
    await rollUp(db, {
      onProgress: ({ done, total: all }) =>
        done % 50_000 < 5000 && progress(`queries: rolled up ${done} of ${all} buckets`),
    });
    const rollupSeconds = (Date.now() - rolled) / 1000;
    // A little not yet rolled up, as between two runs of the job: the views compute it on the fly.
    await db.none(markRecentDirty);
    await db.none(vacuumAnalyze);

    const timings = async () => {
      const all: Array<{ ms: number; hit: number; read: number }> = [];
      for (const q of QUERIES) {
        const results = [];
        for (let r = 0; r < runs; r++) results.push(await explain(db, q.query));
        results.sort((a, b) => a.ms - b.ms);
        all.push(results[Math.floor(results.length / 2)]!);
        progress(`queries: ${q.name}: ${all.at(-1)!.ms.toFixed(1)} ms`);
      }
      return all;
    };
    const before = await timings();
    const thisMonth = new Date(Date.UTC(new Date(end).getUTCFullYear(), new Date(end).getUTCMonth(), 1));
    const compacted = await compactPartitions(db, { olderThan: thisMonth });
    await db.none(vacuumAnalyze);
    const after = await timings();
    // Then those months archived (the maintenance job's work ARCHIVE_AFTER_DAYS after each ended).
    const archivedAt = Date.now();
    const moved = await runArchive(db, await planArchive(db, thisMonth));
    const archiveSeconds = (Date.now() - archivedAt) / 1000;
    await db.none(vacuumAnalyze);
    const archived = await timings();
    const cell = (t: { ms: number; hit: number; read: number }) =>
      `${t.ms.toFixed(1)} | ${t.hit.toLocaleString('en-US')} / ${t.read.toLocaleString('en-US')}`;

    const lines = [
      `### Queries on ${values.toLocaleString('en-US')} values `
        + `(${SERIES} series × ${(spanMs / 86_400_000).toFixed(0)} days at ${INTERVAL_MS / 1000} s; `
        + `seeded in ${seedSeconds.toFixed(0)} s; ${buckets.toLocaleString('en-US')} 5-minute buckets `
        + `rolled up from scratch in ${rollupSeconds.toFixed(0)} s, `
        + `${Math.round(values / rollupSeconds).toLocaleString('en-US')} values/s)`,
      '',
      `EXPLAIN (ANALYZE, BUFFERS), planning + execution, median of ${runs} warm runs; buffers are 8 kB pages `
        + '(hit in shared buffers / read). Then again after `pimonitor db compact` of the months that have ended '
        + `(${compacted.map((c) => c.name).join(', ')}).`,
      '',
      `Then after \`pimonitor db archive\` of those months (${moved.readings.toLocaleString('en-US')} readings, `
        + `${moved.chunks} series-months in ${archiveSeconds.toFixed(0)} s): `
        + '`readings` reads them from readings_archive.',
      '',
      '| query | ms | buffers hit / read | after compact: ms | buffers hit / read '
        + '| after archive: ms | buffers hit / read |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...QUERIES.map((q, i) => `| ${q.name} | ${cell(before[i]!)} | ${cell(after[i]!)} | ${cell(archived[i]!)} |`),
    ];

    // Part 3: export everything through the CLI, as a user would, to /dev/null.
    const cli = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
    const exports: string[] = [];
    for (const [label, from] of [['one tenth', new Date(end - spanMs / 10)], ['all', new Date(start)]] as const) {
      const startedAt = Date.now();
      const argv = [
        cli, 'export', '--from', from.toISOString(), '--to', new Date(end).toISOString(),
        '--out', '/dev/null', '--tz', 'UTC',
      ];
      const child = spawnLogged(process.execPath, argv, { ...process.env, DATABASE_URL: scratch.url });
      let peak = 0;
      const timer = setInterval(() => {
        try {
          peak = Math.max(peak, rssMiB(child.child.pid!));
        } catch {
          // exited between samples
        }
      }, 50);
      const { code } = await child.exited;
      clearInterval(timer);
      if (code !== 0) throw new Error(`export failed: ${child.output()}`);
      const rows = Number(/wrote ([\d,]+) rows/.exec(child.output())?.[1]?.replaceAll(',', '') ?? 0);
      const seconds = (Date.now() - startedAt) / 1000;
      const perSecond = Math.round(rows / seconds).toLocaleString('en-US');
      const cells = [label, rows.toLocaleString('en-US'), seconds.toFixed(1), perSecond, peak.toFixed(0)];
      exports.push(`| ${cells.join(' | ')} |`);
      progress(`export ${label}: ${rows} rows in ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB`);
    }
    lines.push(
      '',
      '### `pimonitor export` (CSV to /dev/null)',
      '',
      '| range | rows | seconds | rows/s | peak RSS MiB |',
      '|---|--:|--:|--:|--:|',
      ...exports,
    );
    return lines.join('\n');
  } finally {
    await scratch.drop();
  }
}

const startedAt = Date.now();
const sections = [await bytesPerValue(Number(args.values))];
if (!args['skip-big']) sections.push(await bigQueriesAndExport(Number(args.big), Number(args.runs)));
const { version } = await connect(serverUrl, { poolSize: 1 }).one<{ version: string }>(versionSql);
console.log(`Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; `
  + `${version.split(',')[0]}; took ${Math.round((Date.now() - startedAt) / 1000)} s.\n`);
console.log(sections.join('\n\n'));
process.exit(0);
