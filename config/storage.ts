import { DAYS, MAX_TIMER_MS, TIMER_LIMIT } from './bounds.js';

/** How long each tier of data is kept, and the rollup job's settings. Read by ingest's maintenance job and the CLI. */
export const storage = {
  storage: {
    retentionRawDays: {
      doc: 'Days readings are kept at all, raw or archived (ARCHIVE_AFTER_DAYS); older months are dropped whole '
        + '(0 keeps them forever). Readings older than this are refused with a reason. 3653 (ten years) keeps ten '
        + 'DHT22 nodes in about 7 GB with the archive on.',
      format: 'days',
      default: 3653,
      env: 'RETENTION_RAW_DAYS',
      bounds: DAYS,
    },
    retention5mDays: {
      doc: 'Days 5-minute rollups are kept (0: forever; about 170 bytes per series per 5 minutes).',
      format: 'days',
      default: 0,
      env: 'RETENTION_5M_DAYS',
      bounds: DAYS,
    },
    retention1hDays: {
      doc: 'Days hourly rollups are kept (0: forever).',
      format: 'days',
      default: 0,
      env: 'RETENTION_1H_DAYS',
      bounds: DAYS,
    },
    retention1dDays: {
      doc: 'Days daily rollups are kept (0: forever).',
      format: 'days',
      default: 0,
      env: 'RETENTION_1D_DAYS',
      bounds: DAYS,
    },
    retentionRejectedDays: {
      doc: 'Days rejected messages are kept for diagnosis (0: forever).',
      format: 'days',
      default: 30,
      env: 'RETENTION_REJECTED_DAYS',
      bounds: DAYS,
    },
    compactAfterDays: {
      doc: 'Days after a month ends before the maintenance job rewrites its raw and 5-minute partitions in key order '
        + '(each series\' rows together: far fewer pages to read); 0 never does (`pimonitor db compact` still can).',
      format: 'days',
      default: 3,
      env: 'COMPACT_AFTER_DAYS',
      bounds: DAYS,
    },
    archiveAfterDays: {
      doc: 'Days after a month ends before the maintenance job folds its readings into the archive (readings_archive: '
        + 'one compressed row per series and day, about 2.5 bytes per value against 84 raw; `readings` reads both); '
        + 'late readings for an archived month still land, and are folded in at the next run. 0 never archives '
        + '(`pimonitor db archive` still can).',
      format: 'days',
      default: 7,
      env: 'ARCHIVE_AFTER_DAYS',
      bounds: DAYS,
    },
    rollupTimeZone: {
      doc: 'Time zone whose midnights bound the daily rollups (an IANA name such as Europe/Berlin); empty: this '
        + 'machine\'s zone.',
      format: 'time-zone-or-empty',
      default: '',
      env: 'ROLLUP_TIME_ZONE',
    },
    maintenance: {
      doc: 'Whether ingest runs the maintenance job (rollups every interval, partitions ahead, retention hourly). '
        + 'With several ingest workers one at a time does the work.',
      format: Boolean,
      default: true,
      env: 'MAINTENANCE_ENABLED',
    },
    maintenanceIntervalMs: {
      doc: 'How often the maintenance job rolls up new readings, in milliseconds; readings_5m/1h/1d are up to date '
        + 'between runs anyway.',
      format: 'duration-ms',
      default: 60_000,
      env: 'MAINTENANCE_INTERVAL_MS',
      bounds: {
        min: 1000,
        belowMin: 'each run queries the database: more often only loads it',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
  },
};
