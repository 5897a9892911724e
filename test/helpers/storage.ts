import type { Entry } from '../../ingest/entries.js';
import { toRows } from '../../ingest/rows.js';
import { createBatchStore } from '../../ingest/store.js';
import { pgp, type Db } from '../../shared/db.js';
import { applyStorageSettings } from '../../storage/settings.js';
import { createMigratedTestDatabase, type TestDatabase } from './database.js';

export interface Sample {
  device: string;
  sensor?: string;
  metric?: string;
  ts: Date;
  value: number;
}

/** Writes samples the way ingest does (one batch, series ids, merged into the rollups), without a broker. */
export async function writeBatch(db: Db, samples: readonly Sample[]): Promise<void> {
  const entries: Entry[] = samples.map(({ device, sensor = 'dht22', metric = 'temperature', ts, value }) => ({
    kind: 'readings',
    source: 'pimonitor',
    readings: [{ device, sensor, ts, metrics: [{ metric, value }] }],
    receivedAt: ts,
  }));
  await createBatchStore(db).write(toRows(entries), {
    worker: 'test', spoolId: '00000000-0000-4000-8000-000000000000', position: 0,
  });
}

const viewColumns = new pgp.helpers.ColumnSet(['ts', 'device', 'sensor', 'metric', 'value'], { table: 'readings' });

/**
 * Writes samples the way an import does: INSERT INTO the `readings` view, whose trigger stores each new
 * reading and marks its bucket in rollup_dirty for the rollup job (a repeated reading is ignored).
 */
export async function writeThroughView(db: Db, samples: readonly Sample[]): Promise<void> {
  const rows = samples.map(({ device, sensor = 'dht22', metric = 'temperature', ts, value }) => ({
    ts, device, sensor, metric, value,
  }));
  await db.none(pgp.helpers.insert(rows, viewColumns));
}

/**
 * The storage tests' database: migrated once for the file, raw readings kept forever and daily rollups in
 * `rollupTimeZone`, emptied before each case. `db` is there once the file's beforeAll has run.
 */
export function useStorageDatabase(rollupTimeZone: string): { readonly db: Db } {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await createMigratedTestDatabase();
    await applyStorageSettings(t.db, { rawKeepDays: 0, rollupTimeZone });
  }, 60_000);
  afterAll(async () => t?.stop());
  beforeEach(async () => emptyStorage(t!.db));
  return { get db() { return t!.db; } };
}

/** Empties readings, rollups and the catalogue between cases of a property test. */
export async function emptyStorage(db: Db): Promise<void> {
  await db.none(
    'TRUNCATE readings_raw, readings_archive, rollup_5m, rollup_1h, rollup_1d, rollup_dirty, series, devices RESTART ' +
      'IDENTITY',
  );
}

export const TIERS = {
  '5m': { table: 'rollup_5m', view: 'readings_5m', bucket: () => 'pimonitor_bucket_5m(ts)' },
  '1h': { table: 'rollup_1h', view: 'readings_1h', bucket: () => "date_trunc('hour', ts, 'UTC')" },
  '1d': { table: 'rollup_1d', view: 'readings_1d', bucket: (tz: string) => `date_trunc('day', ts, '${tz}')` },
} as const;
export type Tier = keyof typeof TIERS;

const COLUMNS =
  'series_id, bucket, count, round(sum::numeric, 6) AS sum, min, max, min_at, max_at, first_at, first_value, last_at,' +
    ' last_value';

/**
 * Every bucket of a tier aggregated from raw readings in one query: what the rollups must equal.
 * `source` is a table or view of (series_id, ts, value): readings_raw, or a test's own history.
 */
export async function fromScratch(db: Db, tier: Tier, tz = 'UTC', source = 'readings_raw'): Promise<unknown[]> {
  return db.any(`
    SELECT ${COLUMNS} FROM (
      SELECT series_id, ${TIERS[tier].bucket(tz)} AS bucket, count(*)::int AS count, sum(value) AS sum, min(value) ` +
        `AS min, max(value) AS max,
        (array_agg(ts ORDER BY value, ts))[1] AS min_at, (array_agg(ts ORDER BY value DESC, ts))[1] AS max_at,
        min(ts) AS first_at, (array_agg(value ORDER BY ts))[1] AS first_value, max(ts) AS last_at, (array_agg(value ` +
          `ORDER BY ts DESC))[1] AS last_value
      FROM ${source} GROUP BY 1, 2) x
    ORDER BY series_id, bucket`);
}

/** A tier as stored (`table`) or as its up-to-date view shows it (`view`), in fromScratch's shape. */
export async function stored(db: Db, tier: Tier, from: 'table' | 'view'): Promise<unknown[]> {
  return db.any(`SELECT ${COLUMNS} FROM ${TIERS[tier][from]} ORDER BY series_id, bucket`);
}
