import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { diskUsage } from './usage.js';

const deviceStatsSql = sqlFile('storage', 'device-stats.sql');

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
  const rows = await db.any<{
    device: string; status: string | null; first_seen: Date; last_seen: Date; series: number; sensors: string[];
    values: string; raw_values: string; archived_values: string;
  }>(deviceStatsSql);
  const rollupBytes = usage.tables.filter((table) => table.table.startsWith('rollup_'))
    .reduce((sum, table) => sum + table.bytes, 0);
  const allSeries = rows.reduce((sum, row) => sum + row.series, 0) || 1;
  return {
    databaseBytes: usage.databaseBytes,
    devices: rows.map((row) => ({
      ...row,
      values: Number(row.values),
      raw_values: Number(row.raw_values),
      archived_values: Number(row.archived_values),
      bytes: Math.round(Number(row.raw_values) * (usage.rawBytesPerValue ?? 0)
        + Number(row.archived_values) * (usage.archivedBytesPerValue ?? 0) + (rollupBytes * row.series) / allSeries),
    })),
  };
}
