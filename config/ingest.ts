import { DEFAULT_LIMITS } from '../shared/contract.js';

export const ingest = {
  ingest: {
    clientId: {
      doc: 'MQTT client id of the ingest worker; keep it stable so the broker keeps its session.',
      format: String,
      default: 'pimonitor-ingest',
      env: 'INGEST_CLIENT_ID',
    },
    batchMaxRows: {
      doc: 'Rows that make a batch full: it is written at once instead of waiting for the flush interval.',
      format: 'positive-int',
      default: 2000,
      env: 'INGEST_BATCH_MAX_ROWS',
    },
    flushIntervalMs: {
      doc: 'Longest a received reading waits before its batch is written, in milliseconds.',
      format: 'nat',
      default: 250,
      env: 'INGEST_FLUSH_INTERVAL_MS',
    },
    maxPendingRows: {
      doc: 'Rows held in memory while the database is slow or away; past this ingest stops reading from the broker.',
      format: 'positive-int',
      default: 100_000,
      env: 'INGEST_MAX_PENDING_ROWS',
    },
    maxPayloadBytes: {
      doc: 'Largest reading payload accepted, in bytes; larger ones are rejected with a reason.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxPayloadBytes,
      env: 'INGEST_MAX_PAYLOAD_BYTES',
    },
    maxFutureSkewMs: {
      doc: 'How far in the future a reading ts may be before it is rejected (a Pi has no real-time clock).',
      format: 'nat',
      default: DEFAULT_LIMITS.maxFutureSkewMs,
      env: 'INGEST_MAX_FUTURE_SKEW_MS',
    },
    metricRanges: {
      doc: 'Physical ranges of known metrics as JSON {"metric": [min, max]}; merged over the built-in temperature and humidity ranges.',
      format: 'metric-ranges',
      default: {},
      env: 'INGEST_METRIC_RANGES',
    },
    statsIntervalMs: {
      doc: 'How often ingest logs a summary line (received, stored, rejected), in milliseconds.',
      format: 'positive-int',
      default: 60_000,
      env: 'INGEST_STATS_INTERVAL_MS',
    },
  },
};
