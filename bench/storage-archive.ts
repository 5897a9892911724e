/**
 * `npm run bench:storage`, the archive tier (sql/020_archive.sql): what archived readings cost on disk
 * and what reading one series' day costs, from readings_raw and from the archive. Used by
 * bench/storage.ts part 1, on the database whose raw bytes it has just measured.
 */
import { pgp, type Db } from '../shared/db.js';
import { planArchive, runArchive } from '../storage/archive.js';
import { benchSql, type BenchQuery as Query } from './bench-sql.js';

const explainSql = benchSql('explain.sql');
const relationBytesSql = benchSql('relation-bytes.sql');
const vacuumAnalyze = benchSql('vacuum-analyze.sql');
const archiveRows = benchSql('archive-rows.sql');
const archiveSeriesDays = benchSql('archive-series-days.sql');
/** One series, one whole UTC day: as a user asks `readings`, as export asks it (pimonitor_readings_between). */
const viewDay = benchSql('archive-view-day.sql');
const betweenDay = benchSql('archive-between-day.sql');
const rawDay = benchSql('archive-raw-day.sql');
/** The last hour of that series, none of it archived: what the archive adds to a query needing none of it. */
const recentHour = benchSql('archive-recent-hour.sql');

type Plan = [{
  Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number };
  'Execution Time': number;
  'Planning Time': number;
}];

/** EXPLAIN (ANALYZE, BUFFERS) of `query` with `values`: planning + execution time, pages hit and read. */
export async function explain(
  db: Db,
  query: Query,
  values?: object,
): Promise<{ ms: number; hit: number; read: number }> {
  const row = await db.one<{ 'QUERY PLAN': Plan }>(explainSql, { query: pgp.as.format(query, values) });
  const top = row['QUERY PLAN'][0];
  const { 'Shared Hit Blocks': hit, 'Shared Read Blocks': read } = top.Plan;
  return { ms: top['Execution Time'] + top['Planning Time'], hit, read };
}

const median = async (db: Db, query: Query, values?: object, runs = 5) => {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) ms.push((await explain(db, query, values)).ms);
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
};

const relationBytes = async (db: Db, name: string) =>
  Number((await db.one<{ bytes: string }>(relationBytesSql, { table: name })).bytes);

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Archives every month of `db` (its readings are all in months past), then measures: archived bytes per
 * value (pg_total_relation_size: heap, TOAST, primary key), one series' day from raw (before) and from the
 * archive (after) through the readings view and through pimonitor_readings_between, and the cost per
 * archived series-day that a readings query with a time filter pays (the view cannot skip those rows).
 */
export async function archiveFigures(db: Db, total: number, day: string): Promise<string> {
  const rawMs = await median(db, viewDay, { day });
  const rawDirectMs = await median(db, rawDay, { day });
  const started = Date.now();
  const result = await runArchive(db, await planArchive(db, new Date(8.64e15)));
  const seconds = (Date.now() - started) / 1000;
  await db.none(vacuumAnalyze);
  const bytes = await relationBytes(db, 'readings_archive');
  const { rows, values, maxN } = await db.one<{ rows: number; values: number; maxN: number }>(archiveRows);
  const { days } = await db.one<{ days: number }>(archiveSeriesDays);
  const viewMs = await median(db, viewDay, { day });
  const betweenMs = await median(db, betweenDay, { day });
  const recentMs = await median(db, recentHour);
  return [
    "| readings_archive: one row per series and UTC day, times as offsets from the day's median interval "
      + '(int4[]) and values (float8[]), pglz TOAST, key (series_id, day); `pimonitor db archive` of all of it '
      + `(${count(result.readings)} readings, ${result.chunks} series-months, ${seconds.toFixed(1)} s) `
      + `| ${count(bytes)} | **${(bytes / total).toFixed(1)}** | |`,
    '',
    `Archive: ${count(rows)} rows for ${count(values)} values (up to ${count(maxN)} a row), `
      + `${(bytes / values).toFixed(2)} bytes per value.`,
    '',
    `Reading one series for one day (${day}, 8,640 values), median of 5, planning + execution: from readings_raw `
      + `through \`readings\` ${rawMs.toFixed(1)} ms (readings_raw alone ${rawDirectMs.toFixed(1)} ms); archived, `
      + `through \`pimonitor_readings_between\` (what export uses) ${betweenMs.toFixed(1)} ms, through \`readings\` `
      + `with a time filter ${viewMs.toFixed(1)} ms (the view decompresses every archived day of the series, `
      + `${days} here, not only the one asked for).`,
    `A recent hour of that series through \`readings\`, none of it archived: ${recentMs.toFixed(1)} ms, about `
      + `${(recentMs / Math.max(days, 1)).toFixed(2)} ms per archived day of the series it reads past.`,
  ].join('\n');
}
