/**
 * `npm run bench:storage`, the archive tier (sql/020_archive.sql): what archived readings cost on disk
 * and what reading one series' day costs, from readings_raw and from the archive. Used by
 * bench/storage.ts part 1, on the database whose raw bytes it has just measured.
 */
import type { Db } from '../shared/db.js';
import { planArchive, runArchive } from '../storage/archive.js';

export async function explain(db: Db, sql: string): Promise<{ ms: number; hit: number; read: number }> {
  type Plan = [{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number }; 'Execution Time': number; 'Planning Time': number }];
  const row = await db.one<{ 'QUERY PLAN': Plan }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`);
  const top = row['QUERY PLAN'][0];
  return { ms: top['Execution Time'] + top['Planning Time'], hit: top.Plan['Shared Hit Blocks'], read: top.Plan['Shared Read Blocks'] };
}

const median = async (db: Db, sql: string, runs = 5) => {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) ms.push((await explain(db, sql)).ms);
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
};

const relationBytes = async (db: Db, name: string) =>
  Number((await db.one<{ bytes: string }>('SELECT pg_total_relation_size($1::regclass) AS bytes', [name])).bytes);

/** One series (bedroom temperature), one whole UTC day, as a user asks it and as export asks it. */
const viewDay = (day: string) => `SELECT ts, value FROM readings WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'
  AND ts >= '${day}' AND ts < timestamptz '${day}' + interval '1 day'`;
const betweenDay = (day: string) => `SELECT ts, value FROM pimonitor_readings_between('${day}', timestamptz '${day}' + interval '1 day')
  WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'`;
/** A recent hour of the same series, when none of it is archived: what the archive adds to a query that needs none of it. */
const recentHour = `SELECT ts, value FROM readings WHERE device = 'bedroom' AND sensor = 'dht22' AND metric = 'temperature'
  AND ts >= now() - interval '1 hour'`;

/**
 * Archives every month of `db` (its readings are all in months past), then measures: archived bytes per
 * value (pg_total_relation_size: heap, TOAST, primary key), one series' day from raw (before) and from the
 * archive (after) through the readings view and through pimonitor_readings_between, and the cost per
 * archived series-day that a readings query with a time filter pays (the view cannot skip those rows).
 */
export async function archiveFigures(db: Db, total: number, day: string): Promise<string> {
  const rawMs = await median(db, viewDay(day));
  const rawDirectMs = await median(db, `SELECT ts, value FROM readings_raw WHERE series_id = 3 AND ts >= '${day}' AND ts < timestamptz '${day}' + interval '1 day'`);
  const started = Date.now();
  const result = await runArchive(db, await planArchive(db, new Date(8.64e15)));
  const seconds = (Date.now() - started) / 1000;
  await db.none('VACUUM ANALYZE');
  const bytes = await relationBytes(db, 'readings_archive');
  const { rows, values, maxN } = await db.one<{ rows: number; values: number; maxN: number }>(
    'SELECT count(*)::int AS rows, sum(n)::int AS values, max(n) AS "maxN" FROM readings_archive');
  const { days } = await db.one<{ days: number }>(`SELECT count(*)::int AS days FROM readings_archive a JOIN series s ON s.id = a.series_id
    WHERE s.device = 'bedroom' AND s.sensor = 'dht22' AND s.metric = 'temperature'`);
  const [viewMs, betweenMs, recentMs] = [await median(db, viewDay(day)), await median(db, betweenDay(day)), await median(db, recentHour)];
  const per = (b: number) => (b / total).toFixed(1);
  return [
    `| readings_archive: one row per series and UTC day, times as offsets from the day's median interval (int4[]) and values `
      + `(float8[]), pglz TOAST, key (series_id, day); \`pimonitor db archive\` of all of it (${result.readings.toLocaleString('en-US')} `
      + `readings, ${result.chunks} series-months, ${seconds.toFixed(1)} s) | ${bytes.toLocaleString('en-US')} | **${per(bytes)}** | |`,
    '',
    `Archive: ${rows.toLocaleString('en-US')} rows for ${values.toLocaleString('en-US')} values (up to ${maxN.toLocaleString('en-US')} a row), ${(bytes / values).toFixed(2)} bytes per value.`,
    '',
    `Reading one series for one day (${day}, 8,640 values), median of 5, planning + execution: from readings_raw through \`readings\` ${rawMs.toFixed(1)} ms (readings_raw alone ${rawDirectMs.toFixed(1)} ms); `
      + `archived, through \`pimonitor_readings_between\` (what export uses) ${betweenMs.toFixed(1)} ms, through \`readings\` with a time filter ${viewMs.toFixed(1)} ms `
      + `(the view decompresses every archived day of the series, ${days} here, not only the one asked for).`,
    `A recent hour of that series through \`readings\`, none of it archived: ${recentMs.toFixed(1)} ms, about ${(recentMs / Math.max(days, 1)).toFixed(2)} ms per archived day of the series it reads past.`,
  ].join('\n');
}
