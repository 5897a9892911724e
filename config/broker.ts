/** The broker's limits by default; broker/limits.ts applies them. Plain values, so config imports no component. */
export const DEFAULT_BROKER_LIMITS = {
  maxPayloadBytes: 64 * 1024,
  maxTopicLength: 256,
  maxTopicLevels: 16,
  maxConnections: 10_000,
  maxPublishesPerSecond: 2000,
  drainTimeoutMs: 5000,
  maxInflight: 100,
};

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
    tls: {
      enabled: { doc: 'Also listen for MQTT over TLS.', format: Boolean, default: false, env: 'MQTT_TLS' },
      port: { doc: 'Port of the TLS listener.', format: 'port', default: 8883, env: 'MQTT_TLS_PORT' },
      certFile: { doc: 'PEM certificate (chain) of the TLS listener.', format: String, default: '', env: 'MQTT_TLS_CERT_FILE' },
      keyFile: { doc: 'PEM private key of the TLS listener.', format: String, default: '', env: 'MQTT_TLS_KEY_FILE', sensitive: true },
      caFile: { doc: 'PEM CA of client certificates; empty asks for none.', format: String, default: '', env: 'MQTT_TLS_CA_FILE' },
      requireClientCert: { doc: 'Refuse TLS clients without a certificate signed by caFile.', format: Boolean, default: false, env: 'MQTT_TLS_REQUIRE_CLIENT_CERT' },
    },
    websocket: {
      enabled: { doc: 'Also listen for MQTT over WebSocket (browser dashboards).', format: Boolean, default: false, env: 'MQTT_WS' },
      port: { doc: 'Port of the WebSocket listener.', format: 'port', default: 8080, env: 'MQTT_WS_PORT' },
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
      default: DEFAULT_BROKER_LIMITS.maxPayloadBytes,
      env: 'MQTT_MAX_PAYLOAD_BYTES',
    },
    maxTopicLength: {
      doc: 'Longest topic or filter, in characters.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.maxTopicLength,
      env: 'MQTT_MAX_TOPIC_LENGTH',
    },
    maxTopicLevels: {
      doc: 'Most levels in a topic or filter.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.maxTopicLevels,
      env: 'MQTT_MAX_TOPIC_LEVELS',
    },
    maxConnections: {
      doc: 'Most concurrent client connections; more are refused.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.maxConnections,
      env: 'MQTT_MAX_CONNECTIONS',
    },
    maxPublishesPerSecond: {
      doc: 'Publishes per second one client may send before it is disconnected as a flood.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.maxPublishesPerSecond,
      env: 'MQTT_MAX_PUBLISHES_PER_SECOND',
    },
    maxInflight: {
      doc: 'QoS 2 messages one client may have in flight to the broker; more disconnects it.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.maxInflight,
      env: 'MQTT_MAX_INFLIGHT',
    },
    drainTimeoutMs: {
      doc: 'A subscriber that stops reading (a frozen dashboard) is disconnected after this long, so it cannot stall delivery to others.',
      format: 'positive-int',
      default: DEFAULT_BROKER_LIMITS.drainTimeoutMs,
      env: 'MQTT_DRAIN_TIMEOUT_MS',
    },
    failedLoginDelayMs: {
      doc: 'How long a failed login waits before it is answered.',
      format: 'nat',
      default: 1000,
      env: 'MQTT_FAILED_LOGIN_DELAY_MS',
    },
    httpHost: {
      doc: 'Address of the broker\'s /metrics and /healthz endpoint; 0.0.0.0 lets a Prometheus on another machine scrape it.',
      format: String,
      default: '127.0.0.1',
      env: 'BROKER_HTTP_HOST',
    },
    httpPort: {
      doc: 'Port of the broker\'s /metrics (Prometheus) and /healthz endpoint; 0 turns it off.',
      format: 'port',
      default: 9465,
      env: 'BROKER_HTTP_PORT',
    },
  },
};
