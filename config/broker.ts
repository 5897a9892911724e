import { DEFAULT_LIMITS } from '../broker/limits.js';

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
    },
    persistence: {
      doc: 'Where the broker keeps sessions, retained and queued messages: memory, or redis (survives restarts; lets several brokers form one).',
      format: ['memory', 'redis'],
      default: 'memory',
      env: 'BROKER_PERSISTENCE',
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
    maxPayloadBytes: {
      doc: 'Largest PUBLISH payload; a client sending a larger one is disconnected.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxPayloadBytes,
      env: 'MQTT_MAX_PAYLOAD_BYTES',
    },
    maxTopicLength: {
      doc: 'Longest topic or filter, in characters.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxTopicLength,
      env: 'MQTT_MAX_TOPIC_LENGTH',
    },
    maxTopicLevels: {
      doc: 'Most levels in a topic or filter.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxTopicLevels,
      env: 'MQTT_MAX_TOPIC_LEVELS',
    },
    maxConnections: {
      doc: 'Most concurrent client connections; more are refused.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxConnections,
      env: 'MQTT_MAX_CONNECTIONS',
    },
    maxPublishesPerSecond: {
      doc: 'Publishes per second one client may send before it is disconnected as a flood.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.maxPublishesPerSecond,
      env: 'MQTT_MAX_PUBLISHES_PER_SECOND',
    },
    drainTimeoutMs: {
      doc: 'A subscriber that stops reading (a frozen dashboard) is disconnected after this long, so it cannot stall delivery to others.',
      format: 'positive-int',
      default: DEFAULT_LIMITS.drainTimeoutMs,
      env: 'MQTT_DRAIN_TIMEOUT_MS',
    },
    failedLoginDelayMs: {
      doc: 'How long a failed login waits before it is answered.',
      format: 'nat',
      default: 1000,
      env: 'MQTT_FAILED_LOGIN_DELAY_MS',
    },
  },
};
