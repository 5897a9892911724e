import type { Db } from './db.js';
import { sqlFile } from './sql-file.js';
import { METRIC_UNITS, unitOf } from './units.js';

const SQL = {
  lock: sqlFile('shared', 'advisory-xact-lock.sql'),
  prune: sqlFile('shared', 'metric-units-prune.sql'),
  upsert: sqlFile('shared', 'metric-units-upsert.sql'),
  unlabelled: sqlFile('shared', 'series-without-unit.sql'),
  label: sqlFile('shared', 'series-set-units.sql'),
};

/**
 * Writes the one table of units (shared/units.ts) into the database's metric_units, which
 * pimonitor_unit_of reads (rows inserted through the readings view), and gives series stored without a
 * unit the unit of their quantity now known (a dew point stored by an older version). Run after the
 * migrations, under their lock; skipped when the database is newer than this code (its table may know
 * more). Idempotent: a second run changes nothing.
 */
export async function syncMetricUnits(db: Db, lockKey: number): Promise<void> {
  const metrics = Object.keys(METRIC_UNITS);
  await db.tx(async (t) => {
    await t.one(SQL.lock, { key: lockKey });
    await t.none(SQL.prune, { metrics });
    await t.none(SQL.upsert, { metrics, units: metrics.map((m) => METRIC_UNITS[m]!) });
    const unlabelled = await t.map(SQL.unlabelled, [], (r: { metric: string }) => r.metric);
    const known = unlabelled.flatMap((m) => (unitOf(m) === null ? [] : [[m, unitOf(m)!] as const]));
    if (known.length === 0) return;
    await t.none(SQL.label, { metrics: known.map(([m]) => m), units: known.map(([, u]) => u) });
  });
}
