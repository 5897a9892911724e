import type { Config } from '../config/index.js';
import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { machineTimeZone } from '../shared/time-zone.js';

const setRawKeep = sqlFile('storage', 'set-raw-keep.sql');
const setRollupTimeZone = sqlFile('storage', 'set-rollup-time-zone.sql');

/**
 * What the database itself must know of the storage settings (pimonitor_prepare_raw and the rollups read
 * them).
 */
export interface StorageSettings {
  /** Raw readings older than this many days are dropped and refused; 0 keeps them forever. */
  rawKeepDays: number;
  /** IANA zone whose midnights bound the daily rollups. */
  rollupTimeZone: string;
}

export function storageSettingsOf(config: Config): StorageSettings {
  return {
    rawKeepDays: config.storage.retentionRawDays,
    rollupTimeZone: config.storage.rollupTimeZone || machineTimeZone(),
  };
}

/** Writes the settings to storage_settings; a new time zone recomputes the daily rollups it can. */
export async function applyStorageSettings(db: Db, { rawKeepDays, rollupTimeZone }: StorageSettings,
): Promise<{ timeZoneChanged: boolean }> {
  return db.tx(async (t) => {
    await t.none(setRawKeep, { rawKeepDays });
    const { changed } = await t.one<{ changed: boolean }>(setRollupTimeZone, { rollupTimeZone });
    return { timeZoneChanged: changed };
  });
}
