import type { Db } from '../shared/db.js';
import { diskUsage } from './usage.js';

export interface DeviceStats {
  device: string;
  status: string | null;
  first_seen: Date;
  last_seen: Date;
  series: number;
  /** Its sensors, by name. */
  sensors: string[];
  /** Values stored over all time (from the daily rollups). */
  values: number;
  /** Of those, still kept raw. */
  raw_values: number;
  /** Of those, in the archive (months past, sql/020_archive.sql). */
  archived_values: number;
  /** Its share of the disk: raw and archived values at their bytes per value, rollups by its number of series. */
  bytes: number;
}

/** Every device with what it has stored and the disk that takes (`pimonitor devices`, the dashboard). */
export async function deviceStats(db: Db): Promise<{ devices: DeviceStats[]; databaseBytes: number }> {
  const usage = await diskUsage(db);
  const rows = await db.any<{ device: string; status: string | null; first_seen: Date; last_seen: Date; series: number; sensors: string[]; values: string; raw_values: string; archived_values: string }>(`
    WITH oldest AS (SELECT date_trunc('hour', min(ts), 'UTC') AS ts FROM readings_raw),
    stored AS (SELECT device, sum(count) AS values FROM readings_1d GROUP BY device),
    -- Archived values of the days since the oldest raw reading (late readings of an archived month) are not raw.
    archived AS (
      SELECT s.device, sum(a.n) AS values,
        sum(a.n) FILTER (WHERE a.day >= date_trunc('day', (SELECT ts FROM oldest), 'UTC')) AS since
      FROM readings_archive a JOIN series s ON s.id = a.series_id GROUP BY s.device),
    raw AS (SELECT device, sum(count) AS values FROM readings_1h WHERE bucket >= (SELECT ts FROM oldest) GROUP BY device),
    catalogue AS (SELECT device, count(*)::int AS series, array_agg(DISTINCT sensor ORDER BY sensor) AS sensors FROM series GROUP BY device)
    SELECT d.device, d.status, d.first_seen, d.last_seen,
      coalesce(catalogue.series, 0) AS series, coalesce(catalogue.sensors, '{}') AS sensors,
      coalesce(stored.values, 0) AS values,
      greatest(coalesce(raw.values, 0) - coalesce(archived.since, 0), 0) AS raw_values,
      coalesce(archived.values, 0) AS archived_values
    FROM devices d LEFT JOIN catalogue USING (device) LEFT JOIN stored USING (device) LEFT JOIN raw USING (device)
      LEFT JOIN archived USING (device)
    ORDER BY d.device`);
  const rollupBytes = usage.tables.filter((t) => t.table.startsWith('rollup_')).reduce((n, t) => n + t.bytes, 0);
  const allSeries = rows.reduce((n, r) => n + r.series, 0) || 1;
  return {
    databaseBytes: usage.databaseBytes,
    devices: rows.map((r) => ({
      ...r,
      values: Number(r.values),
      raw_values: Number(r.raw_values),
      archived_values: Number(r.archived_values),
      bytes: Math.round(Number(r.raw_values) * (usage.rawBytesPerValue ?? 0)
        + Number(r.archived_values) * (usage.archivedBytesPerValue ?? 0) + (rollupBytes * r.series) / allSeries),
    })),
  };
}
