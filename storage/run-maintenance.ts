import type { Config } from '../config/index.js';
import { connect, disconnect } from '../shared/db.js';
import type { Logger } from '../shared/log.js';
import { Maintenance } from './maintenance.js';
import { retentionPolicyOf } from './retention.js';
import { storageSettingsOf } from './settings.js';

/**
 * A rollup or retention step may take minutes on a Pi after a long outage; ingest's 30 s would cut it
 * off.
 */
const MAINTENANCE_QUERY_TIMEOUT_MS = 10 * 60_000;

/**
 * Starts the maintenance job on a connection of its own (it never takes one ingest needs), logging what
 * it does.
 */
export function startMaintenance(config: Config, url: string, log: Logger,
): { stop(options: { timeoutMs: number }): Promise<void> } {
  const db = connect(url, {
    poolSize: 1, applicationName: 'pimonitor-maintenance', queryTimeoutMs: MAINTENANCE_QUERY_TIMEOUT_MS,
    connectTimeoutMs: config.database.connectTimeoutMs,
  });
  const maintenance = new Maintenance(db, {
    settings: storageSettingsOf(config),
    retention: retentionPolicyOf(config.storage),
    intervalMs: config.storage.maintenanceIntervalMs,
    compactAfterDays: config.storage.compactAfterDays,
    archiveAfterDays: config.storage.archiveAfterDays,
  });
  let failures = 0;
  maintenance.on('settingsApplied', ({ timeZoneChanged }) => {
    if (!timeZoneChanged) return;
    log.info({ timeZone: storageSettingsOf(config).rollupTimeZone }, 'daily rollups recomputed for the new time zone');
  });
  maintenance.on('partitionsCreated', ({ count }) => log.info({ count }, 'created monthly partitions ahead'));
  maintenance.on('retained', ({ item }) => log.info({
    table: item.table, ...(item.kind === 'partition' ? { partition: item.name } : { before: item.before }),
    rows: item.rows, bytes: item.bytes,
  }, 'retention removed old data'));
  maintenance.on('compacted', ({ name, bytesBefore, bytesAfter }) =>
    log.info({ partition: name, bytesBefore, bytesAfter }, 'compacted a past month\'s raw readings'));
  maintenance.on('archived', ({ readings, chunks, busy, released, complete, ms }) =>
    log.info({ readings, chunks, busy, released, complete, ms }, 'archived past months\' raw readings'));
  maintenance.on('rolledUp', ({ buckets, ms }) => {
    if (failures > 0) log.info({ afterFailures: failures }, 'maintenance works again');
    failures = 0;
    log.debug({ buckets, ms }, 'rolled up');
  });
  // One line per kind of failure while it lasts, not one a minute.
  maintenance.on('failed', ({ during, err }) => {
    if (failures++ !== 0 && failures % 60 !== 0) return;
    const message = (err as Error)?.message ?? String(err);
    log.warn({ during, err: message, failures }, 'maintenance step failed; trying again next run');
  });
  maintenance.start();
  return {
    async stop({ timeoutMs }) {
      await maintenance.stop({ timeoutMs });
      // Its step may still be waiting on a database that stopped answering: do not wait for it again.
      await disconnect(db, 300);
    },
  };
}
