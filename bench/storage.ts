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
import type { Db } from '../shared/db.js';
import { migrate } from '../shared/migrate.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { compactPartitions } from '../storage/compact.js';
import { markAllForRollup, rollUp } from '../storage/rollup.js';
import { planArchive, runArchive } from '../storage/archive.js';
import { archiveFigures, explain } from './storage-archive.js';
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
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const DEVICES = ['living-room', 'bedroom', 'kitchen', 'bathroom', 'attic', 'cellar', 'garage', 'office', 'nursery', 'greenhouse'];
const seriesName = (i: number) => ({ device: DEVICES[Math.floor(i / 2) % DEVICES.length]! + (i >= 2 * DEVICES.length ? `-${Math.floor(i / 20)}` : ''), sensor: 'dht22', metric: i % 2 ? 'humidity' : 'temperature' });

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
  Number((await db.one<{ bytes: string }>(
    'SELECT sum(pg_total_relation_size(relid)) AS bytes FROM (SELECT relid FROM pg_partition_tree($1::regclass) UNION SELECT $1::regclass) r', [name])).bytes);

/** Part 1: bytes per value, schema 1's table against readings_raw, same values in the same batches. */
async function bytesPerValue(total: number): Promise<string> {
  const scratch = await createScratchDatabase(serverUrl, 'pimonitor_bench_storage', 2);
  try {
    const { db } = scratch;
    await migrate(db);
    await db.none(`CREATE TABLE v1_readings (ts timestamptz NOT NULL, device text NOT NULL, sensor text NOT NULL, metric text NOT NULL, value double precision NOT NULL, PRIMARY KEY (device, sensor, metric, ts));
      CREATE INDEX v1_readings_ts_brin ON v1_readings USING brin (ts)`);
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
      await store.write({ readings: batch, series: foldSeries(batch), devices: [], rejected: [] }, { worker: 'bench', spoolId: '00000000-0000-4000-8000-000000000000', position: step });
      await db.none(`INSERT INTO v1_readings SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::float8[]) ON CONFLICT DO NOTHING`,
        [batch.map((r) => r.ts), batch.map((r) => r.device), batch.map((r) => r.sensor), batch.map((r) => r.metric), batch.map((r) => r.value)]);
      if (step % 100 === 0) progress(`bytes per value: ${written} of ${total} written`);
    }
    await db.none('VACUUM ANALYZE');
    await rollUp(db);
    await db.none('VACUUM ANALYZE');
    const v1 = await relationBytes(db, 'v1_readings');
    const raw = await relationBytes(db, 'readings_raw');
    const rollups = { '5m': await relationBytes(db, 'rollup_5m'), '1h': await relationBytes(db, 'rollup_1h'), '1d': await relationBytes(db, 'rollup_1d') };
    const buckets5m = (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM rollup_5m')).n;
    const compacted = await compactPartitions(db, { olderThan: new Date(8.64e15) });
    await db.none('VACUUM ANALYZE');
    const rawCompact = await relationBytes(db, 'readings_raw');
    // Then the archive tier (bench/storage-archive.ts): every month of these values archived.
    const archived = await archiveFigures(db, total, '2026-10-02');
    const per = (bytes: number) => (bytes / total).toFixed(1);
    return [
      `### Bytes per metric value (${total.toLocaleString('en-US')} values, ${SERIES} series, every ${INTERVAL_MS / 1000} s as a node times them, written interleaved in batches of ${BATCH_ROWS} as ingest writes them)`,
      '',
      '| layout | bytes on disk | bytes per value | ÷ schema 1 |',
      '|---|--:|--:|--:|',
      `| schema 1: readings (ts, device, sensor, metric, value), key over the names (baseline, same run) | ${v1.toLocaleString('en-US')} | ${per(v1)} | 1.00 |`,
      `| readings_raw (series_id, ts, value), key (series_id, ts), monthly partitions, BRIN on ts | ${raw.toLocaleString('en-US')} | **${per(raw)}** | ${(raw / v1).toFixed(2)} |`,
      `| readings_raw after \`pimonitor db compact\` (${compacted.length} partition(s) rewritten in key order) | ${rawCompact.toLocaleString('en-US')} | **${per(rawCompact)}** | ${(rawCompact / v1).toFixed(2)} |`,
      archived,
      '',
      `Rollups of the same values: 5-minute ${rollups['5m'].toLocaleString('en-US')} bytes (${(rollups['5m'] / buckets5m).toFixed(0)} bytes per series and bucket, ${(rollups['5m'] / total).toFixed(1)} per raw value), hourly ${rollups['1h'].toLocaleString('en-US')}, daily ${rollups['1d'].toLocaleString('en-US')}.`,
    ].join('\n');
  } finally {
    await scratch.drop();
  }
}

interface QueryCase {
  name: string;
  sql: string;
}

/** The README's, the cookbook's and the coming dashboard's and report's questions. */
const QUERIES: QueryCase[] = [
  { name: 'latest value of every series (latest_readings)', sql: 'SELECT * FROM latest_readings' },
  { name: 'one series, last 24 h, raw', sql: "SELECT ts, value FROM readings WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature' AND ts >= now() - interval '1 day' ORDER BY ts" },
  { name: 'all series, last hour, raw', sql: "SELECT ts, device, metric, value FROM readings WHERE ts >= now() - interval '1 hour' ORDER BY ts" },
  { name: 'one series, 7 days, 5-minute rollup (a chart)', sql: "SELECT bucket, avg, min, max FROM readings_5m WHERE device = 'bedroom' AND metric = 'temperature' AND bucket >= now() - interval '7 days' ORDER BY bucket" },
  { name: 'one series, 30 days, hourly rollup', sql: "SELECT bucket, avg, min, max FROM readings_1h WHERE device = 'bedroom' AND metric = 'temperature' AND bucket >= now() - interval '30 days' ORDER BY bucket" },
  { name: 'all series, daily min/max over 30 days', sql: "SELECT bucket, device, metric, min, max FROM readings_1d WHERE bucket >= now() - interval '30 days' ORDER BY device, metric, bucket" },
  { name: 'report: min/mean/max/last per series, last 24 h, from 5-minute rollups', sql: "SELECT device, sensor, metric, min(min), sum(sum) / sum(count) AS mean, max(max), (array_agg(last_value ORDER BY last_at DESC))[1] AS last FROM readings_5m WHERE bucket >= now() - interval '1 day' GROUP BY 1, 2, 3" },
  { name: 'gaps longer than 30 min in one device, last 7 days, raw', sql: "SELECT ts, next_ts FROM (SELECT ts, lead(ts) OVER (ORDER BY ts) AS next_ts FROM readings WHERE device = 'attic' AND metric = 'temperature' AND ts >= now() - interval '7 days') r WHERE next_ts - ts > interval '30 minutes'" },
  { name: 'hours above 24 °C per device, last 7 days, raw', sql: "SELECT device, sum(held) FROM (SELECT device, value, least(lead(ts) OVER (PARTITION BY device ORDER BY ts) - ts, interval '15 minutes') AS held FROM readings WHERE metric = 'temperature' AND ts >= now() - interval '7 days') r WHERE value > 24 GROUP BY device" },
  { name: 'count of all raw values (pimonitor db counts from rollup_5m instead)', sql: 'SELECT count(*) FROM readings_raw' },
  { name: 'past month: one series, one day, raw', sql: "SELECT ts, value FROM readings WHERE device = 'bedroom' AND metric = 'temperature' AND ts >= date_trunc('month', now(), 'UTC') - interval '20 days' AND ts < date_trunc('month', now(), 'UTC') - interval '19 days'" },
  { name: 'past month: one series, the whole month, 5-minute rollup', sql: "SELECT bucket, avg FROM readings_5m WHERE device = 'bedroom' AND metric = 'temperature' AND bucket >= date_trunc('month', now(), 'UTC') - interval '1 month' AND bucket < date_trunc('month', now(), 'UTC')" },
];

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
    for (let i = 0; i < SERIES; i++) {
      const { device, sensor, metric } = seriesName(i);
      await db.none('INSERT INTO series (device, sensor, metric, first_ts, last_ts) VALUES ($1, $2, $3, $4, $5)', [device, sensor, metric, new Date(start), new Date(end - INTERVAL_MS)]);
    }
    await db.one('SELECT pimonitor_create_partitions($1, ARRAY(SELECT generate_series($2::timestamptz, $3::timestamptz, interval \'1 day\')))', ['readings_raw', new Date(start), new Date(end)]);
    const seeded = Date.now();
    // In time order, all series interleaved, one day per statement (as ingest would have written them).
    for (let dayStart = start; dayStart < end; dayStart += 86_400_000) {
      await db.none(`INSERT INTO readings_raw (series_id, ts, value)
        SELECT s.id, t, round((20 + 5 * sin(extract(epoch FROM t) / 5000 + s.id))::numeric, 1)
        FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 ms', interval '${INTERVAL_MS / 1000} seconds') t CROSS JOIN series s
        -- The attic's node was off for 45 minutes every day at noon.
        WHERE NOT (s.device = 'attic' AND t::time BETWEEN '12:00' AND '12:45')
        ORDER BY t, s.id`, [new Date(dayStart), new Date(Math.min(dayStart + 86_400_000, end))]);
      progress(`queries: seeded to ${new Date(dayStart).toISOString().slice(0, 10)}`);
    }
    await db.none('UPDATE series s SET last_value = r.value FROM readings_raw r WHERE r.series_id = s.id AND r.ts = s.last_ts');
    const values = (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings_raw')).n;
    const seedSeconds = (Date.now() - seeded) / 1000;
    const rolled = Date.now();
    const buckets = await markAllForRollup(db);
    await rollUp(db, { onProgress: ({ done, total: all }) => done % 50_000 < 5000 && progress(`queries: rolled up ${done} of ${all} buckets`) });
    const rollupSeconds = (Date.now() - rolled) / 1000;
    // A little not yet rolled up, as between two runs of the job: the views compute it on the fly.
    await db.none(`INSERT INTO rollup_dirty (series_id, bucket) SELECT id, pimonitor_bucket_5m(now()) - b * interval '5 minutes' FROM series, generate_series(1, 2) b ON CONFLICT DO NOTHING`);
    await db.none('VACUUM ANALYZE');

    const timings = async () => {
      const all: Array<{ ms: number; hit: number; read: number }> = [];
      for (const q of QUERIES) {
        const results = [];
        for (let r = 0; r < runs; r++) results.push(await explain(db, q.sql));
        results.sort((a, b) => a.ms - b.ms);
        all.push(results[Math.floor(results.length / 2)]!);
        progress(`queries: ${q.name}: ${all.at(-1)!.ms.toFixed(1)} ms`);
      }
      return all;
    };
    const before = await timings();
    const compacted = await compactPartitions(db, { olderThan: new Date(Date.UTC(new Date(end).getUTCFullYear(), new Date(end).getUTCMonth(), 1)) });
    await db.none('VACUUM ANALYZE');
    const after = await timings();
    // Then those months archived (the maintenance job's work ARCHIVE_AFTER_DAYS after each ended).
    const archivedAt = Date.now();
    const thisMonth = new Date(Date.UTC(new Date(end).getUTCFullYear(), new Date(end).getUTCMonth(), 1));
    const moved = await runArchive(db, await planArchive(db, thisMonth));
    const archiveSeconds = (Date.now() - archivedAt) / 1000;
    await db.none('VACUUM ANALYZE');
    const archived = await timings();
    const cell = (t: { ms: number; hit: number; read: number }) => `${t.ms.toFixed(1)} | ${t.hit.toLocaleString('en-US')} / ${t.read.toLocaleString('en-US')}`;

    const lines = [
      `### Queries on ${values.toLocaleString('en-US')} values (${SERIES} series × ${(spanMs / 86_400_000).toFixed(0)} days at ${INTERVAL_MS / 1000} s; seeded in ${seedSeconds.toFixed(0)} s; ${buckets.toLocaleString('en-US')} 5-minute buckets rolled up from scratch in ${rollupSeconds.toFixed(0)} s, ${Math.round(values / rollupSeconds).toLocaleString('en-US')} values/s)`,
      '',
      `EXPLAIN (ANALYZE, BUFFERS), planning + execution, median of ${runs} warm runs; buffers are 8 kB pages (hit in shared buffers / read). Then again after \`pimonitor db compact\` of the months that have ended (${compacted.map((c) => c.name).join(', ')}).`,
      '',
      `Then after \`pimonitor db archive\` of those months (${moved.readings.toLocaleString('en-US')} readings, `
        + `${moved.chunks} series-months in ${archiveSeconds.toFixed(0)} s): \`readings\` reads them from readings_archive.`,
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
      const child = spawnLogged(process.execPath, [cli, 'export', '--from', from.toISOString(), '--to', new Date(end).toISOString(), '--out', '/dev/null', '--tz', 'UTC'],
        { ...process.env, DATABASE_URL: scratch.url });
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
      exports.push(`| ${label} | ${rows.toLocaleString('en-US')} | ${seconds.toFixed(1)} | ${Math.round(rows / seconds).toLocaleString('en-US')} | ${peak.toFixed(0)} |`);
      progress(`export ${label}: ${rows} rows in ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB`);
    }
    lines.push('', '### `pimonitor export` (CSV to /dev/null)', '', '| range | rows | seconds | rows/s | peak RSS MiB |', '|---|--:|--:|--:|--:|', ...exports);
    return lines.join('\n');
  } finally {
    await scratch.drop();
  }
}

const startedAt = Date.now();
const sections = [await bytesPerValue(Number(args.values))];
if (!args['skip-big']) sections.push(await bigQueriesAndExport(Number(args.big), Number(args.runs)));
const { version } = await (await import('../shared/db.js')).connect(serverUrl, { poolSize: 1 }).one<{ version: string }>('SELECT version()');
console.log(`Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; ${version.split(',')[0]}; took ${Math.round((Date.now() - startedAt) / 1000)} s.\n`);
console.log(sections.join('\n\n'));
process.exit(0);
