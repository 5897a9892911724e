/**
 * `npm run bench:report`: how long a report takes on a year of data. 20 series (10 DHT22 nodes): a
 * reading every minute for the last 35 days, every 5 minutes before that (the rollups hold one row
 * per series and 5 minutes whatever the interval, so older data costs a report the same), rolled up
 * as the maintenance job does; then each period's report made --runs times (read, chart, render),
 * printed as markdown (docs/benchmarks.md, "Reports"). The baseline in the same run is the report's
 * statistics query on readings_raw instead of readings_5m.
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Db } from '../shared/db.js';
import { migrate } from '../shared/migrate.js';
import { markAllForRollup, rollUp } from '../storage/rollup.js';
import { buildReport } from '../reports/build.js';
import { periodOf } from '../reports/period.js';
import { loadRasteriser, type Rasteriser } from '../reports/rasterise.js';
import { parseReports, type PeriodKind, type ReportSpec } from '../reports/spec.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';

const { values: args } = parseArgs({ options: { days: { type: 'string', default: '365' }, runs: { type: 'string', default: '5' } } });
const DAYS = Number(args.days);
const RUNS = Number(args.runs);
const TZ = 'Europe/Berlin';
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const DEVICES = ['living-room', 'bedroom', 'kitchen', 'bathroom', 'attic', 'cellar', 'garage', 'office', 'nursery', 'greenhouse'];

async function seed(db: Db, end: Date): Promise<number> {
  const start = new Date(end.getTime() - DAYS * 86_400_000);
  await db.none(`INSERT INTO series (device, sensor, metric, first_ts, last_ts, unit)
    SELECT d, 'dht22', m, $1, $2, CASE m WHEN 'temperature' THEN '°C' ELSE '%' END FROM unnest($3::text[]) d, unnest(ARRAY['temperature', 'humidity']) m`, [start, end, DEVICES]);
  await db.one(`SELECT pimonitor_create_partitions('readings_raw', ARRAY(SELECT generate_series(date_trunc('month', $1::timestamptz, 'UTC'), $2::timestamptz, interval '1 month')))`, [start, end]);
  // A daily wave, a yearly one and noise; month by month, so no statement holds a year in memory.
  let rows = 0;
  const recent = new Date(end.getTime() - 35 * 86_400_000);
  for (let from = start; from < end; from = new Date(Math.min(from.getTime() + 30 * 86_400_000, from < recent ? recent.getTime() : Infinity))) {
    const to = new Date(Math.min(end.getTime(), from.getTime() + 30 * 86_400_000, from < recent ? recent.getTime() : Infinity));
    const every = from < recent ? '5 minutes' : '1 minute';
    const result = await db.result(`INSERT INTO readings_raw (series_id, ts, value)
      SELECT s.id, ts, CASE s.metric WHEN 'temperature'
        THEN 20 + 3 * sin(extract(epoch FROM ts) / 86400 * 2 * pi()) + 6 * sin(extract(epoch FROM ts) / 31557600 * 2 * pi()) + s.id * 0.1 + random() * 0.3
        ELSE 50 + 10 * cos(extract(epoch FROM ts) / 86400 * 2 * pi()) + random() END
      FROM series s, generate_series($1::timestamptz, $2::timestamptz - interval '1 second', $3::interval) ts`, [from, to, every]);
    rows += result.rowCount;
    progress(`seeded ${rows.toLocaleString('en')} readings`);
  }
  await markAllForRollup(db);
  const started = Date.now();
  await rollUp(db, { maxBuckets: 50_000, onProgress: (p) => progress(`rolled up ${JSON.stringify(p)}`) });
  progress(`rollups from scratch in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.none('VACUUM ANALYZE');
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeReport(db: Db, spec: ReportSpec, runAt: Date, rasteriser: Rasteriser) {
  const total: number[] = [];
  const query: number[] = [];
  const charts: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const report = await buildReport(db, spec, { runAt, now: runAt, timeZone: TZ, rasteriser });
    total.push(performance.now() - started);
    query.push(report.timings.queryMs);
    charts.push(report.timings.chartsMs);
    bytes = report.html.length + report.text.length + report.images.reduce((n, img) => n + img.png.length, 0);
  }
  return { total: median(total), query: median(query), charts: median(charts), bytes };
}

/** The report's statistics (count, mean, min and max with when, last) per series, from the rollups or (the baseline) from raw. */
async function statsMs(db: Db, from: Date, to: Date, source: 'readings_5m' | 'readings_raw'): Promise<number> {
  const sql = source === 'readings_5m'
    ? `SELECT series_id, sum(count), sum(sum) / sum(count), min(min), (array_agg(min_at ORDER BY min))[1], max(max), (array_agg(max_at ORDER BY max DESC))[1], (array_agg(last_value ORDER BY last_at DESC))[1]
       FROM readings_5m WHERE bucket >= $1 AND bucket < $2 GROUP BY series_id`
    : `SELECT series_id, count(*), avg(value), min(value), (array_agg(ts ORDER BY value))[1], max(value), (array_agg(ts ORDER BY value DESC))[1], (array_agg(value ORDER BY ts DESC))[1]
       FROM readings_raw WHERE ts >= $1 AND ts < $2 GROUP BY series_id`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await db.any(sql, [from, to]);
    times.push(performance.now() - started);
  }
  return median(times);
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase(serverUrl, 'pimonitor_bench_report', 4);
  try {
    const { db } = scratch;
    await migrate(db);
    const runAt = new Date('2026-11-23T07:00:00Z'); // a Monday morning in Berlin
    const rows = await seed(db, runAt);
    const native = await loadRasteriser();
    const wasm = await loadRasteriser('wasm');
    const lines = [
      `### A report on a year of data (${rows.toLocaleString('en')} readings: 20 series over ${DAYS} days, every minute for the last 35; median of ${RUNS} runs; ${availableParallelism()} cores, ${cpus()[0]?.model.trim()}, Node ${process.version})`,
      '',
      '| report | charts | database (all queries) | charts drawn | total | total, WebAssembly charts | e-mail size | statistics query: rollups / raw readings (baseline) |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const period of ['last 24h', 'yesterday', 'last week', 'last month'] as PeriodKind[]) {
      const parsed = parseReports([{ name: 'bench', schedule: '0 7 * * 1', period, directory: '/tmp', highlight: [{ select: '+/+/temperature', above: 25 }] }]);
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      const spec = parsed.value[0]!;
      const n = await timeReport(db, spec, runAt, native);
      const w = await timeReport(db, spec, runAt, wasm);
      const p = periodOf(period, runAt, TZ);
      const [rolled, raw] = [await statsMs(db, p.from, p.to, 'readings_5m'), await statsMs(db, p.from, p.to, 'readings_raw')];
      lines.push(`| ${period} | 10 | ${n.query.toFixed(0)} ms | ${n.charts.toFixed(0)} ms | **${n.total.toFixed(0)} ms** | ${w.total.toFixed(0)} ms | ${(n.bytes / 1024).toFixed(0)} KiB | ${rolled.toFixed(0)} ms / ${raw.toFixed(0)} ms (${(raw / rolled).toFixed(1)}×) |`);
      progress(lines.at(-1)!);
    }
    // The web dashboard's history chart (issue 14): one sensor over ranges from a day to a year.
    const { history } = await import('../web/queries.js');
    lines.push('', `### The dashboard's history of one sensor (temperature and humidity), same data, median of ${RUNS} runs`, '', '| range | tier | points per metric | time |', '|---|---|---|---|');
    for (const days of [1, 7, 30, 365]) {
      const q = { device: DEVICES[0]!, sensor: 'dht22', from: new Date(runAt.getTime() - days * 86_400_000), to: runAt };
      const times: number[] = [];
      let result: Awaited<ReturnType<typeof history>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        result = await history(db, q);
        times.push(performance.now() - started);
      }
      lines.push(`| ${days} d | ${result!.tier} | ${result!.series[0]?.t.length ?? 0} | **${median(times).toFixed(1)} ms** |`);
      progress(lines.at(-1)!);
    }
    console.log(lines.join('\n'));
  } finally {
    await scratch.drop();
  }
}

await main();
