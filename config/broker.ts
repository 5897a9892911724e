import { PORT_OR_ANY, PORT_OR_OFF } from './bounds.js';
import { brokerLimits } from './broker-limits.js';

/** Defined with the limits' settings; broker/limits.ts imports it from here. */
export { DEFAULT_BROKER_LIMITS } from './broker-limits.js';

export const broker = {
  broker: {
    embedded: {
      doc: 'Whether `pimonitor up` starts the embedded MQTT broker; false to use the broker at MQTT_URL.',
      format: Boolean,
      default: true,
      env: 'BROKER_EMBEDDED',
    },
    host: {
      doc: 'Address the embedded MQTT broker listens on.',
      format: String,
      default: '0.0.0.0',
      env: 'MQTT_HOST',
    },
    port: {
      doc: 'Port the embedded MQTT broker listens on.',
      format: 'port',
      default: 1883,
      env: 'MQTT_PORT',
      bounds: PORT_OR_ANY,
    },
    tls: {
      enabled: {
        doc: 'Also listen for MQTT over TLS.',
        format: Boolean,
        default: false,
        env: 'MQTT_TLS',
      },
      port: {
        doc: 'Port of the TLS listener.',
        format: 'port',
        default: 8883,
        env: 'MQTT_TLS_PORT',
        bounds: PORT_OR_ANY,
      },
      certFile: {
        doc: 'PEM certificate (chain) of the TLS listener.',
        format: String,
        default: '',
        env: 'MQTT_TLS_CERT_FILE',
      },
      keyFile: {
        doc: 'PEM private key of the TLS listener.',
        format: String,
        default: '',
        env: 'MQTT_TLS_KEY_FILE',
        sensitive: true,
      },
      caFile: {
        doc: 'PEM CA of client certificates; empty asks for none.',
        format: String,
        default: '',
        env: 'MQTT_TLS_CA_FILE',
      },
      requireClientCert: {
        doc: 'Refuse TLS clients without a certificate signed by caFile.',
        format: Boolean,
        default: false,
        env: 'MQTT_TLS_REQUIRE_CLIENT_CERT',
      },
    },
    websocket: {
      enabled: {
        doc: 'Also listen for MQTT over WebSocket (browser dashboards).',
        format: Boolean,
        default: false,
        env: 'MQTT_WS',
      },
      port: {
        doc: 'Port of the WebSocket listener (9001, as is usual for MQTT over WebSocket; 8080 is the dashboard\'s).',
        format: 'port',
        default: 9001,
        env: 'MQTT_WS_PORT',
        bounds: PORT_OR_ANY,
      },
    },
    persistence: {
      doc: 'Where the broker keeps sessions, retained and queued messages: file (memory, with every change journaled '
        + 'under DATA_DIR/broker before it is acknowledged: survives a crash), memory (lost when the broker stops), '
        + 'or redis (lets several brokers form one).',
      format: ['file', 'memory', 'redis'],
      default: 'file',
      env: 'BROKER_PERSISTENCE',
    },
    journalFsyncMs: {
      doc: 'With broker.persistence=file, how often the journal is fsynced: a power cut loses at most this much of '
        + 'what was acknowledged; a crash of the process loses nothing.',
      format: 'duration-ms',
      default: 1000,
      env: 'BROKER_JOURNAL_FSYNC_MS',
      bounds: {
        min: 10,
        belowMin: 'an fsync that often costs more than the messages it keeps',
        max: 60_000,
        aboveMax: 'a power cut would lose over a minute of acknowledged messages',
      },
    },
    journalCompactBytes: {
      doc: 'With broker.persistence=file, the journal is rewritten as a snapshot of what is still held when it grows '
        + 'past this.',
      format: 'bytes',
      default: 64 * 1024 * 1024,
      env: 'BROKER_JOURNAL_COMPACT_BYTES',
      bounds: {
        min: 64 * 1024,
        belowMin: 'the journal would be rewritten every few messages',
        max: 2 ** 31,
        aboveMax: 'the journal is read whole at start',
      },
    },
    redisUrl: {
      doc: 'Redis for broker.persistence=redis, e.g. redis://:password@127.0.0.1:6379/0.',
      format: String,
      default: 'redis://127.0.0.1:6379',
      env: 'REDIS_URL',
      sensitive: true,
    },
    redisKeyPrefix: {
      doc: 'Prefix of every Redis key and channel of this installation.',
      format: String,
      default: 'pimonitor:',
      env: 'REDIS_KEY_PREFIX',
    },
    // maxPayloadBytes to drainTimeoutMs, in this place of the schema and the reference.
    ...brokerLimits,
    failedLoginDelayMs: {
      doc: 'How long a failed login waits before it is answered.',
      format: 'duration-ms',
      default: 1000,
      env: 'MQTT_FAILED_LOGIN_DELAY_MS',
      bounds: {
        min: 0,
        max: 60_000,
        aboveMax: 'each failed login holds its connection open that long, and clients stop waiting for an answer '
          + 'after 30 s (MQTT.js connectTimeout)',
      },
    },
    httpHost: {
      doc: 'Address of the broker\'s /metrics and /healthz endpoint; 0.0.0.0 lets a Prometheus on another machine '
        + 'scrape it.',
      format: String,
      default: '127.0.0.1',
      env: 'BROKER_HTTP_HOST',
    },
    httpPort: {
      doc: 'Port of the broker\'s /metrics (Prometheus) and /healthz endpoint; 0 turns it off.',
      format: 'port',
      default: 9465,
      env: 'BROKER_HTTP_PORT',
      bounds: PORT_OR_OFF,
    },
  },
};
