import type { Db } from './db.js';
import { METRIC_UNITS, unitOf } from './units.js';

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
    await t.one('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    await t.none('DELETE FROM metric_units WHERE metric <> ALL($1::text[])', [metrics]);
    await t.none(
      `INSERT INTO metric_units (metric, unit) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (metric) DO UPDATE SET unit = EXCLUDED.unit WHERE metric_units.unit IS DISTINCT FROM EXCLUDED.unit`,
      [metrics, metrics.map((m) => METRIC_UNITS[m]!)],
    );
    const unlabelled = await t.map('SELECT DISTINCT metric FROM series WHERE unit IS NULL', [], (r: { metric: string }) => r.metric);
    const known = unlabelled.flatMap((m) => (unitOf(m) === null ? [] : [[m, unitOf(m)!] as const]));
    if (known.length === 0) return;
    await t.none('UPDATE series s SET unit = u.unit FROM unnest($1::text[], $2::text[]) AS u(metric, unit) WHERE s.metric = u.metric AND s.unit IS NULL', [known.map(([m]) => m), known.map(([, u]) => u)]);
  });
}
