import { pgp, type Db } from '../shared/db.js';
import { sqlFile as sqlFileIn } from '../shared/sql-file.js';
import { arrayLiteral } from './array-literal.js';
import type { BatchRows, ReadingRow } from './rows.js';
import type { KnownSeries } from './series-quota.js';
import { writeWithCopy } from './copy-write.js';
import { monthStartUtc } from '../storage/partitions.js';

const { ColumnSet } = pgp.helpers;
const seriesColumns = new ColumnSet(['device', 'sensor', 'metric', 'unit', 'first_ts', 'last_ts', 'last_value']);
const deviceColumns = new ColumnSet(['device', 'first_seen', 'last_seen', 'status', 'status_changed_at']);
const rejectedColumns = new ColumnSet(
  ['received_at', 'topic', 'payload', 'payload_bytes', 'code', 'reason'], { table: 'rejected_messages' },
);

const sqlFile = (name: string) => sqlFileIn('ingest', name);
const insertReadings = sqlFile('insert-readings.sql');
const upsertSeries = sqlFile('upsert-series.sql');
const upsertDevices = sqlFile('upsert-devices.sql');
const saveProgress = sqlFile('save-progress.sql');
const prepareRaw = sqlFile('prepare-raw.sql');
const addRollups = sqlFile('add-rollups.sql');
const knownSeries = sqlFile('known-series.sql');
const committedPosition = sqlFile('committed-position.sql');
const serverVersion = sqlFileIn('shared', 'server-version.sql');

/** How far a worker's spool is written; stored with every batch. */
export interface SpoolProgress {
  worker: string;
  spoolId: string;
  position: number;
}

/**
 * Writes batches. write() is all or nothing: the rows and the spool position after them commit in one
 * transaction, so after any failure the batch is either wholly in the database or wholly replayed.
 */
export interface BatchStore {
  write(rows: BatchRows, progress: SpoolProgress): Promise<void>;
  /** The position committed for `worker` in spool `spoolId`, or null if none (or another spool's). */
  committedPosition(worker: string, spoolId: string): Promise<number | null>;
  /** Every series with its creation time, to seed the quota of new series (none when absent). */
  knownSeries?(): Promise<KnownSeries[]>;
}

export interface BatchStoreOptions {
  /**
   * Readings by binary COPY: 1.5-2× the rows per second of unnest() on PostgreSQL (docs/benchmarks.md).
   * 'auto' (the default) asks the server once: PGlite, behind pglite-socket, cannot take COPY.
   */
  copy?: boolean | 'auto';
  /** A COPY with no answer for this long fails, and its connection is closed. */
  timeoutMs?: number;
}

export function createBatchStore(db: Db, { copy = 'auto', timeoutMs = 30_000 }: BatchStoreOptions = {}): BatchStore {
  let copyWorks: Promise<boolean> | undefined = typeof copy === 'boolean' ? Promise.resolve(copy) : undefined;
  const canCopy = () =>
    (copyWorks ??= db.one<{ version: string }>(serverVersion).then(
      ({ version }) => !/PGlite/i.test(version),
      () => ((copyWorks = undefined), false), // asked again at the next batch
    ));
  return {
    async write({ readings, series, devices, rejected }, { worker, spoolId, position }) {
      const prepare = readings.length
        ? [pgp.as.format(prepareRaw, { months: arrayLiteral(monthsOf(readings)) })] : [];
      const upsert = series.length
        ? [pgp.as.format(upsertSeries, { values: pgp.helpers.values(series, seriesColumns) })] : [];
      const after: string[] = [];
      if (devices.length) {
        after.push(pgp.as.format(upsertDevices, { values: pgp.helpers.values(devices, deviceColumns) }));
      }
      if (rejected.length) after.push(pgp.helpers.insert(rejected, rejectedColumns));
      after.push(pgp.as.format(saveProgress, { worker, spoolId, position }));
      // Inside a caller's transaction (db is a task context, without connect()) the batch is one more statement.
      const ownsConnections = typeof (db as Partial<Pick<Db, 'connect'>>).connect === 'function';
      if (readings.length && ownsConnections && (await canCopy())) {
        // The series upsert returns the ids the COPY needs (its result is the last).
        const before = [...prepare, ...upsert].join(';\n');
        const addRollupsOf = (ids: string, ts: string, value: string) => pgp.as.format(addRollups, { ids, ts, value });
        const done = await writeWithCopy(db, readings, { before, after, addRollups: addRollupsOf }, timeoutMs);
        if (done) return;
      }
      // Partitions first, then series (the readings insert looks their ids up), then readings; one
      // round trip: the statements go as one multi-statement query inside the transaction.
      const queries = [...prepare, ...upsert, ...(readings.length ? [formatReadingsInsert(readings)] : []), ...after];
      await db.tx((t) => t.multi(queries.join(';\n')));
    },
    async committedPosition(worker, spoolId) {
      const row = await db.oneOrNone<{ spool_id: string; position: string }>(committedPosition, { worker });
      return row && row.spool_id === spoolId ? Number(row.position) : null;
    },
    knownSeries() {
      type Row = { device: string; sensor: string; metric: string; age_ms: number | null };
      return db.map(knownSeries, [], (r: Row) => ({
        device: r.device, sensor: r.sensor, metric: r.metric, ageMs: r.age_ms,
      }));
    },
  };
}

/** The INSERT of a batch of readings, one array literal per column (see array-literal.ts for why). */
export function formatReadingsInsert(readings: readonly ReadingRow[]): string {
  return pgp.as.format(insertReadings, {
    ts: arrayLiteral(readings.map((r) => r.ts.toISOString())),
    device: arrayLiteral(readings.map((r) => r.device)),
    sensor: arrayLiteral(readings.map((r) => r.sensor)),
    metric: arrayLiteral(readings.map((r) => r.metric)),
    value: arrayLiteral(readings.map((r) => r.value)),
  });
}

/** The first instant (UTC) of each calendar month the readings fall in: raw partitions are monthly. */
export function monthsOf(readings: readonly ReadingRow[]): string[] {
  const months = new Set<number>();
  for (const { ts } of readings) months.add(monthStartUtc(ts).getTime());
  return [...months].map((ms) => new Date(ms).toISOString());
}
