import type { Config } from '../config/index.js';
import type { Db } from '../shared/db.js';

/** What the database itself must know of the storage settings (pimonitor_prepare_raw and the rollups read them). */
export interface StorageSettings {
  /** Raw readings older than this many days are dropped and refused; 0 keeps them forever. */
  rawKeepDays: number;
  /** IANA zone whose midnights bound the daily rollups. */
  rollupTimeZone: string;
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function storageSettingsOf(config: Config): StorageSettings {
  return { rawKeepDays: config.storage.retentionRawDays, rollupTimeZone: config.storage.rollupTimeZone || systemTimeZone() };
}

/** Writes the settings to storage_settings; a new time zone recomputes the daily rollups it can. */
export async function applyStorageSettings(db: Db, { rawKeepDays, rollupTimeZone }: StorageSettings): Promise<{ timeZoneChanged: boolean }> {
  return db.tx(async (t) => {
    await t.none('UPDATE storage_settings SET raw_keep = CASE WHEN $1 > 0 THEN make_interval(days => $1) END', [rawKeepDays]);
    const { changed } = await t.one<{ changed: boolean }>('SELECT pimonitor_set_rollup_time_zone($1) AS changed', [rollupTimeZone]);
    return { timeZoneChanged: changed };
  });
}
