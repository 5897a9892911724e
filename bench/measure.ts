import * as hdr from 'hdr-histogram-js';
import { createBatchStore } from '../ingest/store.js';
import { foldSeries, type ReadingRow } from '../ingest/rows.js';
import type { Db } from '../shared/db.js';
import { createScratchDatabase, type ScratchDatabase } from '../test/support/scratch-database.js';
import { migrate } from '../shared/migrate.js';
import { cpuMicrosOf, pidsNamed, rssMiB } from '../test/support/processes.js';
import { benchSql, BENCH_SPOOL_ID } from './bench-sql.js';

const noderedTable = benchSql('nodered-table.sql');
const commitTriggers = benchSql('commit-triggers.sql');
const countRows = benchSql('count-rows.sql');
const summaryReadings = benchSql('summary-readings.sql');
const summaryPeer = benchSql('summary-peer.sql');
const latencyCounts = benchSql('latency-counts.sql');
const latencyByWindow = benchSql('latency-by-window.sql');
const resetDataSql = benchSql('reset-data.sql');

/** Where a pipeline's rows land: pimonitor's schema, or the Node-RED peer's own table. */
export type BenchTable = 'readings' | 'nodered_readings';

/**
 * A throwaway database per run, with the schema and a statement-level trigger that stamps each
 * reading's `sent` metric with clock_timestamp() as its batch is inserted (a commit follows within
 * the same transaction), so publish-to-commit latency is read from the database, not estimated.
 */
export async function createBenchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase(serverUrl, 'pimonitor_bench', 2);
  const { db } = scratch;
  await migrate(db);
  await db.none(noderedTable);
  await db.none(commitTriggers);
  return scratch;
}

export interface RunResult {
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU microseconds per message, by process role. */
  cpuMicrosPerMessage: Record<string, number>;
  peakRssMiB: Record<string, number>;
  finalRssMiB: Record<string, number>;
  acked: number;
  lost: number;
  duplicated: number;
}

/**
 * Samples the processes' memory while `work` runs and measures their CPU across it; a role's several
 * processes are summed.
 */
export async function observe<T>(roles: Record<string, number[]>, work: () => Promise<T>) {
  const pids = Object.entries(roles);
  const peak: Record<string, number> = Object.fromEntries(pids.map(([role, ps]) => [role, rssOf(ps)]));
  const sample = () => pids.forEach(([role, ps]) => (peak[role] = Math.max(peak[role]!, rssOf(ps))));
  const cpuBefore = Object.fromEntries(pids.map(([role, ps]) => [role, cpuMicrosOf(ps)]));
  // Where the rest of the two cores go: this process (the load generator) and PostgreSQL, if local.
  const postgres = pidsNamed('postgres');
  const postgresBefore = cpuMicrosOf(postgres);
  const loadBefore = process.cpuUsage();
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    sample();
    const cpu = Object.fromEntries(pids.map(([role, ps]) => [role, cpuMicrosOf(ps) - cpuBefore[role]!]));
    const load = process.cpuUsage(loadBefore);
    cpu.load = load.user + load.system;
    if (postgres.length > 0) cpu.postgres = cpuMicrosOf(postgres) - postgresBefore;
    const finalRss = Object.fromEntries(pids.map(([role, ps]) => [role, rssOf(ps)]));
    return { result, cpu, peak, finalRss };
  } finally {
    clearInterval(timer);
  }
}

/** Resident memory of processes together, in MiB. */
export const rssOf = (pids: number[]): number => pids.reduce((sum, pid) => sum + rssMiB(pid), 0);

/** Waits until the database holds `expected` messages, or nothing has arrived for `stallMs`. */
export async function waitForCommits(db: Db, expected: number, stallMs = 15_000): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { n } = await db.one<{ n: number }>(countRows, { table: 'bench_commits' });
    if (n >= expected) return;
    if (n !== last) [last, lastChange] = [n, Date.now()];
    if (Date.now() - lastChange > stallMs) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Latencies are kept up to an hour (longer ones count as an hour). */
const MAX_LATENCY_MS = 3_600_000;
/** Milliseconds from 1 to MAX_LATENCY_MS, three significant digits. */
const latencyHistogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_LATENCY_MS, numberOfSignificantValueDigits: 3 });

/**
 * Throughput from the first publish to the last commit, latency percentiles, loss and duplicates.
 * pimonitor's rows are counted from bench_commits: readings_raw's primary key (series_id, ts) cannot
 * hold a reading twice and a redelivered one inserts nothing, so each committed message is one row
 * there (a count over the readings view took minutes after a 30-minute soak: 78 million rows). The
 * Node-RED peer's table has no such key, so its duplicates are counted.
 */
export async function summarise(db: Db, startedAt: number, acked: number, table: BenchTable = 'readings') {
  const { last, stored, rows } = await db.one<{ last: number | null; stored: number; rows: number }>(
    table === 'readings' ? summaryReadings : summaryPeer,
    { table },
  );
  const histogram = latencyHistogram();
  // Grouped by the millisecond in the database: a soak's 19 million latencies are a few thousand rows.
  const counts = await db.map(latencyCounts, [], (r: { ms: number; n: number }) => r);
  for (const { ms, n } of counts) histogram.recordValueWithCount(Math.min(ms, MAX_LATENCY_MS), n);
  return {
    messagesPerSecond: last ? acked / ((last - startedAt) / 1000) : 0,
    p50Ms: histogram.getValueAtPercentile(50),
    p99Ms: histogram.getValueAtPercentile(99),
    lost: acked - stored,
    duplicated: rows - stored,
  };
}

/** p99 publish-to-commit latency in each `windowSeconds` from the first publish, to show a trend (or none). */
export async function p99ByWindow(
  db: Db,
  windowSeconds: number,
): Promise<{ from: number; messages: number; p99Ms: number }[]> {
  const rows = await db.map(
    latencyByWindow,
    { seconds: windowSeconds },
    (r: { w: number; ms: number; n: number }) => r,
  );
  const windows = new Map<number, { histogram: ReturnType<typeof latencyHistogram>; messages: number }>();
  for (const { w, ms, n } of rows) {
    const window = windows.get(w) ?? { histogram: latencyHistogram(), messages: 0 };
    window.histogram.recordValueWithCount(Math.min(ms, MAX_LATENCY_MS), n);
    window.messages += n;
    windows.set(w, window);
  }
  return [...windows.entries()].sort(([a], [b]) => a - b).map(([w, { histogram, messages }]) =>
    ({ from: w * windowSeconds, messages, p99Ms: histogram.getValueAtPercentile(99) }));
}

export async function resetData(db: Db): Promise<void> {
  await db.none(resetDataSql);
}

/** The database alone: the same rows bulk-inserted in ingest's batch size and SQL, no MQTT. */
export async function insertDirect(
  db: Db,
  messages: number,
  batchRows: number,
  rowsOf: (i: number, sentAt: number) => ReadingRow[],
): Promise<void> {
  const store = createBatchStore(db);
  let batch: ReadingRow[] = [];
  for (let i = 0; i < messages; i++) {
    batch.push(...rowsOf(i, Date.now()));
    if (batch.length >= batchRows || i === messages - 1) {
      await store.write(
        { readings: batch, series: foldSeries(batch), devices: [], rejected: [] },
        { worker: 'bench', spoolId: BENCH_SPOOL_ID, position: i },
      );
      batch = [];
    }
  }
}
