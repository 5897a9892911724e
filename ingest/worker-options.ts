import type { ValidationLimits } from '../shared/contract.js';
import type { BackoffOptions } from '../shared/backoff.js';
import type { Partition } from '../shared/partition.js';
import type { Source } from '../shared/sources/source.js';
import type { Spool } from '../shared/spool/spool.js';
import type { ConnectBroker } from './intake.js';
import type { BatchStore } from './store.js';

/** What an ingest worker (ingest/worker.ts) is given: its broker, spool, batching, database and limits. */
export interface IngestOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  batchMaxRows: number;
  flushIntervalMs: number;
  spool: Spool;
  /** Past this many spooled bytes not yet in the database, PUBACKs are held and the broker keeps the rest. */
  spoolMaxBytes: number;
  /** How often the spool is fsynced: what a power cut can lose at most. */
  syncIntervalMs: number;
  limits: ValidationLimits;
  store: BatchStore;
  /** Devices of other projects read beside pimonitor's own (shared/sources); none when absent. */
  sources?: readonly Source[];
  /** This worker's share of the devices; all when absent. */
  partition?: Partition;
  /** Subscribe as $share/<group>/… (brokers with shared subscriptions). */
  shareGroup?: string;
  /**
   * New series one device may create per hour of receive time (ingest/series-quota.ts); no quota when absent
   * or 0.
   */
  maxNewSeriesPerDevicePerHour?: number;
  backoff?: BackoffOptions;
  /** Injected so tests can drive the transport and the clock. */
  connect?: ConnectBroker;
  now?: () => number;
}
