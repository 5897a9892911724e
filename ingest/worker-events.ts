import type { RejectionCode } from '../shared/contract.js';

/** What an ingest worker counts (read by ingest/metrics.ts at scrape time) and the events it emits. */
export interface IngestStats {
  messages: number;
  /** Messages of devices another worker's partition owns: acknowledged and left to that worker. */
  skipped: number;
  rowsWritten: number;
  rejected: number;
  batches: number;
  replayed: number;
  /** Messages the database refused even as a rejection: only their spool position was written. */
  dropped: number;
  /** Times the broker refused the subscription after a reconnect. */
  subscribeRefused: number;
  /** Times ingest connected to another broker of MQTT_URL's list than the one before (failover). */
  brokerSwitches: number;
  /** New series admitted by the quota of new series per device per hour (ingest/series-quota.ts); 0 without one. */
  seriesCreated: number;
  /** Readings (metric values) refused by that quota: they would have created a series past a device's hour. */
  seriesRefused: number;
  /** Source device names that are not legal names, each stored under a name of its own (counted once per name). */
  renamedNames: number;
  /** Per source (`pimonitor` for home/…): messages stored as readings or status, rejected, ignored by rule. */
  bySource: Record<string, SourceCounts>;
}

/** Every count at 0, for a worker that has just started. */
export const emptyStats = (): IngestStats => ({
  messages: 0, skipped: 0, rowsWritten: 0, rejected: 0, batches: 0, replayed: 0, dropped: 0, subscribeRefused: 0,
  brokerSwitches: 0, seriesCreated: 0, seriesRefused: 0, renamedNames: 0, bySource: {},
});

export interface SourceCounts {
  stored: number;
  rejected: number;
  ignored: number;
}

export interface IngestEvents {
  connected: [];
  disconnected: [];
  brokerError: [Error];
  brokerSwitched: [{ from: string; to: string; switches: number }];
  subscribeRefused: [{ reason: string; retryInMs: number }];
  replaying: [{ bytes: number }];
  flushed: [{ rows: number; messages: number; ms: number }];
  rejected: [{ topic: string; code: RejectionCode; reason: string; source: string }];
  isolated: [{ topic: string; error: string; storedAs: string }];
  writeFailed: [{ err: unknown; attempt: number; retryInMs: number }];
  syncFailed: [Error];
  /** Something failed where nothing could be done but report it (a flush during stop). */
  failed: [{ during: string; err: unknown }];
  /** A device reached its quota of new series for the hour: once per episode, not per message. */
  seriesQuotaReached: [{ device: string; limit: number; until: Date }];
  /**
   * A source's device name that is not legal was first stored, under `device`: once per name; `count` such
   * names so far.
   */
  renamed: [{ source: string; name: string; device: string; count: number }];
}
