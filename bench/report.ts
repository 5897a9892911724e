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
import { benchSql } from './bench-sql.js';
import { BENCH_SERVER_URL, ROOMS } from './fixtures.js';

const { values: args } = parseArgs({
  options: { days: { type: 'string', default: '365' }, runs: { type: 'string', default: '5' } },
});
const DAYS = Number(args.days);
const RUNS = Number(args.runs);
const TZ = 'Europe/Berlin';
const serverUrl = BENCH_SERVER_URL;
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const seedSeries = benchSql('report-seed-series.sql');
const monthPartitions = benchSql('report-partitions.sql');
const seedReadings = benchSql('report-seed-readings.sql');
const vacuumAnalyze = benchSql('vacuum-analyze.sql');
const STATS = { readings_5m: benchSql('report-stats-rollups.sql'), readings_raw: benchSql('report-stats-raw.sql') };
const DEVICES = ROOMS;

async function seed(db: Db, end: Date): Promise<number> {
  const start = new Date(end.getTime() - DAYS * 86_400_000);
  await db.none(seedSeries, { from: start, to: end, devices: DEVICES });
  await db.one(monthPartitions, { from: start, to: end });
  // A daily wave, a yearly one and noise; month by month, so no statement holds a year in memory.
  let rows = 0;
  const recent = new Date(end.getTime() - 35 * 86_400_000);
  // 30 days at most, and never across `recent`, where the interval changes.
  const next = (from: Date) => Math.min(from.getTime() + 30 * 86_400_000, from < recent ? recent.getTime() : Infinity);
  for (let from = start; from < end; from = new Date(next(from))) {
    const to = new Date(Math.min(end.getTime(), next(from)));
    const every = from < recent ? '5 minutes' : '1 minute';
    const result = await db.result(seedReadings, { from, to, every });
    rows += result.rowCount;
    progress(`seeded ${rows.toLocaleString('en')} readings`);
  }
  await markAllForRollup(db);
  const started = Date.now();
  await rollUp(db, { maxBuckets: 50_000, onProgress: (p) => progress(`rolled up ${JSON.stringify(p)}`) });
  progress(`rollups from scratch in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.none(vacuumAnalyze);
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

/**
 * The report's statistics (count, mean, min and max with when, last) per series, from the rollups or
 * (the baseline) from raw.
 */
async function statsMs(db: Db, from: Date, to: Date, source: 'readings_5m' | 'readings_raw'): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await db.any(STATS[source], { from, to });
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
      `### A report on a year of data (${rows.toLocaleString('en')} readings: 20 series over ${DAYS} days, `
        + `every minute for the last 35; median of ${RUNS} runs; ${availableParallelism()} cores, `
        + `${cpus()[0]?.model.trim()}, Node ${process.version})`,
      '',
      '| report | charts | database (all queries) | charts drawn | total | total, WebAssembly charts | e-mail size '
        + '| statistics query: rollups / raw readings (baseline) |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const period of ['last 24h', 'yesterday', 'last week', 'last month'] as PeriodKind[]) {
      const parsed = parseReports([{
        name: 'bench', schedule: '0 7 * * 1', period, directory: '/tmp',
        highlight: [{ select: '+/+/temperature', above: 25 }],
      }]);
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      const spec = parsed.value[0]!;
      const n = await timeReport(db, spec, runAt, native);
      const w = await timeReport(db, spec, runAt, wasm);
      const p = periodOf(period, runAt, TZ);
      const rolled = await statsMs(db, p.from, p.to, 'readings_5m');
      const raw = await statsMs(db, p.from, p.to, 'readings_raw');
      lines.push(`| ${period} | 10 | ${n.query.toFixed(0)} ms | ${n.charts.toFixed(0)} ms `
        + `| **${n.total.toFixed(0)} ms** | ${w.total.toFixed(0)} ms | ${(n.bytes / 1024).toFixed(0)} KiB `
        + `| ${rolled.toFixed(0)} ms / ${raw.toFixed(0)} ms (${(raw / rolled).toFixed(1)}×) |`);
      progress(lines.at(-1)!);
    }
    // The web dashboard's history chart (issue 14): one sensor over ranges from a day to a year.
    const { history } = await import('../web/queries.js');
    lines.push(
      '',
      `### The dashboard's history of one sensor (temperature and humidity), same data, median of ${RUNS} runs`,
      '',
      '| range | tier | points per metric | time |',
      '|---|---|---|---|',
    );
    for (const days of [1, 7, 30, 365]) {
      const from = new Date(runAt.getTime() - days * 86_400_000);
      const q = { device: DEVICES[0]!, sensor: 'dht22', from, to: runAt };
      const times: number[] = [];
      let result: Awaited<ReturnType<typeof history>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        result = await history(db, q);
        times.push(performance.now() - started);
      }
      const points = result!.series[0]?.t.length ?? 0;
      lines.push(`| ${days} d | ${result!.tier} | ${points} | **${median(times).toFixed(1)} ms** |`);
      progress(lines.at(-1)!);
    }
    console.log(lines.join('\n'));
  } finally {
    await scratch.drop();
  }
}

await main();
