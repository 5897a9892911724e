import {
  MAX_BUFFER_BYTES, MAX_SPOOL_SEGMENT_BYTES, MAX_TIMER_MS, MQTT_MAX_PACKET_BYTES, PORT_OR_OFF, TIMER_LIMIT,
} from './bounds.js';
import { DEFAULT_LIMITS, MAX_FUTURE_SKEW_MS } from '../shared/contract.js';

export const ingest = {
  ingest: {
    clientId: {
      doc: 'MQTT client id of the ingest worker; keep it stable so the broker keeps its session.',
      format: String,
      default: 'pimonitor-ingest',
      env: 'INGEST_CLIENT_ID',
    },
    partition: {
      doc: 'This worker\'s share of the devices as i/n (0/2 and 1/2 split them between two workers by a hash of the '
        + 'device name); 0/1 takes all. Each worker needs its own INGEST_CLIENT_ID.',
      format: 'partition',
      default: '0/1',
      env: 'INGEST_PARTITION',
    },
    shareGroup: {
      doc: 'On a broker with shared subscriptions (Mosquitto, EMQX; not Aedes), subscribe as $share/<group>/home/+/+ '
        + 'so the broker splits messages between the workers of the group.',
      format: String,
      default: '',
      env: 'INGEST_SHARE_GROUP',
    },
    sources: {
      doc: 'Devices of other projects to read beside pimonitor\'s own: preset names (tasmota, zigbee2mqtt, esphome, '
        + 'shelly), comma-separated, or a JSON list of presets with options and custom mappings; see '
        + 'docs/devices.md. The broker, the alerts worker and the dashboard read the same.',
      format: 'sources',
      default: [] as unknown,
      env: 'INGEST_SOURCES',
    },
    batchMaxRows: {
      doc: 'Rows that make a batch full: it is written at once instead of waiting for the flush interval. When '
        + 'several full batches wait (the database fell behind), one commit takes up to 4 of them.',
      format: 'count',
      default: 2000,
      env: 'INGEST_BATCH_MAX_ROWS',
      bounds: {
        min: 1,
        belowMin: 'a batch needs a row',
        max: 100_000,
        aboveMax: 'a batch is held in memory (up to 4 wait at once) and written in one transaction; past a few '
          + 'thousand rows it only adds latency (docs/benchmarks.md)',
      },
    },
    flushIntervalMs: {
      doc: 'Longest a received reading waits before its batch is written, in milliseconds.',
      format: 'duration-ms',
      default: 250,
      env: 'INGEST_FLUSH_INTERVAL_MS',
      bounds: {
        min: 0,
        max: 60_000,
        aboveMax: 'a reading would wait that long to be stored, with nothing gained: a full batch is written at once',
      },
    },
    spoolMaxBytes: {
      doc: 'Bytes of received messages kept in the local spool while the database is slow or away; past this ingest '
        + 'stops acknowledging and the broker holds the rest.',
      format: 'bytes',
      default: 512 * 1024 * 1024,
      env: 'INGEST_SPOOL_MAX_BYTES',
      bounds: {
        min: 64 * 1024,
        belowMin: 'a spool that small holds a few readings: ingest would stop acknowledging at once and leave '
          + 'everything to the broker',
        max: MAX_BUFFER_BYTES,
        aboveMax: 'the spool is a buffer for a database outage, not an archive',
      },
    },
    spoolSegmentBytes: {
      doc: 'Size of one spool file; whole files are deleted once the database has their messages.',
      format: 'bytes',
      default: 16 * 1024 * 1024,
      env: 'INGEST_SPOOL_SEGMENT_BYTES',
      bounds: {
        min: 64 * 1024,
        belowMin: 'smaller makes a file for every few messages',
        max: MAX_SPOOL_SEGMENT_BYTES,
        aboveMax: 'a segment is read whole into memory when ingest starts',
      },
    },
    syncIntervalMs: {
      doc: 'How often the spool is flushed to disk (fsync): the most a power cut can lose. A crash of the process '
        + 'alone loses nothing.',
      format: 'duration-ms',
      default: 1000,
      env: 'INGEST_SYNC_INTERVAL_MS',
      bounds: {
        min: 10,
        belowMin: 'more often wears out an SD card and gains nothing (a crash of the process alone loses nothing)',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
    stopTimeoutMs: {
      doc: 'On SIGTERM, how long ingest keeps writing before it exits; what is left stays in the spool for the next '
        + 'start.',
      format: 'duration-ms',
      default: 10_000,
      env: 'INGEST_STOP_TIMEOUT_MS',
      bounds: {
        min: 100,
        belowMin: 'ingest would exit before it could write anything',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
    httpHost: {
      doc: 'Address of the /metrics and /healthz endpoint; 0.0.0.0 lets a Prometheus on another machine scrape it.',
      format: String,
      default: '127.0.0.1',
      env: 'INGEST_HTTP_HOST',
    },
    httpPort: {
      doc: 'Port of the /metrics (Prometheus) and /healthz endpoint; 0 turns it off.',
      format: 'port',
      default: 9464,
      env: 'INGEST_HTTP_PORT',
      bounds: PORT_OR_OFF,
    },
    maxPayloadBytes: {
      doc: 'Largest reading payload accepted, in bytes; larger ones are rejected with a reason.',
      format: 'bytes',
      default: DEFAULT_LIMITS.maxPayloadBytes,
      env: 'INGEST_MAX_PAYLOAD_BYTES',
      bounds: {
        min: 1024,
        belowMin: 'smaller refuses ordinary readings',
        max: MQTT_MAX_PACKET_BYTES,
        aboveMax: 'no MQTT packet is larger (its Remaining Length, MQTT-2.2.3)',
      },
    },
    maxFutureSkewMs: {
      doc: 'How far in the future a reading ts may be before it is rejected (a Pi has no real-time clock).',
      format: 'duration-ms',
      default: DEFAULT_LIMITS.maxFutureSkewMs,
      env: 'INGEST_MAX_FUTURE_SKEW_MS',
      bounds: { min: 0, max: MAX_FUTURE_SKEW_MS, aboveMax: 'a clock more than a day ahead is wrong, not skewed' },
    },
    metricRanges: {
      doc: 'Physical ranges of known metrics as JSON {"metric": [min, max]}; merged over the built-in temperature and '
        + 'humidity ranges.',
      format: 'metric-ranges',
      default: {},
      env: 'INGEST_METRIC_RANGES',
    },
    maxNewSeriesPerDevicePerHour: {
      doc: 'New series (device, sensor, metric) one device may create per hour of receive time; readings that would '
        + 'create more are stored in rejected_messages (code quota) until the hour has room again, while its existing '
        + 'series are stored as before. 0 turns the quota off.',
      format: 'count',
      default: 200,
      env: 'INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR',
      bounds: {
        min: 1,
        max: 1_000_000,
        aboveMax: 'no device has that many sensors and metrics: use 0 to turn the quota off',
        or: { value: 0, means: 'to turn the quota off' },
      },
    },
    statsIntervalMs: {
      doc: 'How often ingest logs a summary line (received, stored, rejected), in milliseconds.',
      format: 'duration-ms',
      default: 60_000,
      env: 'INGEST_STATS_INTERVAL_MS',
      bounds: {
        min: 1000,
        belowMin: 'a summary line more often than every second floods the log',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
  },
};
