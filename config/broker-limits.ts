import {
  DEEPEST_TOPIC,
  LINUX_MAX_OPEN_FILES,
  MAX_TIMER_MS,
  MAX_TOPIC_LEVELS,
  MIN_TIMEOUT_MS,
  MIN_TOPIC_LENGTH,
  MIN_TOPIC_LEVELS,
  MQTT_MAX_PACKET_BYTES,
  MQTT_MAX_PACKET_IDS,
  MQTT_MAX_TOPIC_BYTES,
  TIMER_LIMIT,
} from './bounds.js';

/** The broker's limits by default; broker/limits.ts applies them. Plain values, so config imports no component. */
export const DEFAULT_BROKER_LIMITS = {
  maxPayloadBytes: 64 * 1024,
  maxTopicLength: 256,
  maxTopicLevels: 16,
  maxConnections: 10_000,
  maxPublishesPerSecond: 2000,
  drainTimeoutMs: 5000,
  maxInflight: 100,
  // A node uses one connection, a Home Assistant one, a partitioned ingest one per worker.
  maxConnectionsPerAccount: 16,
  // A node retains its status, a diag per sensor and a discovery config per metric (tens); a
  // Zigbee2MQTT bridge a discovery config per entity of its network (hundreds).
  maxRetainedPerAccount: 2000,
  maxRetainedBytesPerAccount: 8 * 1024 * 1024,
  // A Zigbee network rarely passes 200 devices; every friendly name a bridge invents is one more.
  maxDevicesPerAccount: 1000,
};

const OPEN_FILES_LIMIT = 'each connection is an open file, and Linux allows a process at most 1,048,576 (fs.nr_open)';

/** The embedded broker's limits per packet, per client and per account: the settings under broker.* in this order. */
export const brokerLimits = {
  maxPayloadBytes: {
    doc: 'Largest PUBLISH payload; a client sending a larger one is disconnected.',
    format: 'bytes',
    default: DEFAULT_BROKER_LIMITS.maxPayloadBytes,
    env: 'MQTT_MAX_PAYLOAD_BYTES',
    bounds: {
      min: 1024,
      belowMin: 'smaller refuses ordinary readings and Home Assistant discovery messages',
      max: MQTT_MAX_PACKET_BYTES,
      aboveMax: 'no MQTT packet is larger (its Remaining Length, MQTT-2.2.3)',
    },
  },
  maxTopicLength: {
    doc: 'Longest topic or filter, in characters.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxTopicLength,
    env: 'MQTT_MAX_TOPIC_LENGTH',
    bounds: {
      min: MIN_TOPIC_LENGTH,
      belowMin: 'shorter refuses pimonitor\'s own topics: home/<device>/<sensor>/diag with the longest names has '
        + `${MIN_TOPIC_LENGTH} characters`,
      max: MQTT_MAX_TOPIC_BYTES,
      aboveMax: 'an MQTT topic is at most 65,535 bytes (MQTT-1.5.3)',
    },
  },
  maxTopicLevels: {
    doc: 'Most levels in a topic or filter.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxTopicLevels,
    env: 'MQTT_MAX_TOPIC_LEVELS',
    bounds: {
      min: MIN_TOPIC_LEVELS,
      belowMin: `fewer refuses pimonitor's own topics: ${DEEPEST_TOPIC} has ${MIN_TOPIC_LEVELS} levels`,
      max: MAX_TOPIC_LEVELS,
      aboveMax: 'an MQTT topic of at most 65,535 bytes has no more levels (MQTT-1.5.3)',
    },
  },
  maxConnections: {
    doc: 'Most concurrent client connections; more are refused.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxConnections,
    env: 'MQTT_MAX_CONNECTIONS',
    bounds: {
      min: 1,
      belowMin: 'the broker would refuse every client',
      max: LINUX_MAX_OPEN_FILES,
      aboveMax: OPEN_FILES_LIMIT,
    },
  },
  maxPublishesPerSecond: {
    doc: 'Publishes per second one client may send before it is disconnected as a flood.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxPublishesPerSecond,
    env: 'MQTT_MAX_PUBLISHES_PER_SECOND',
    bounds: {
      min: 1,
      belowMin: 'every publish would disconnect its client',
      max: 10_000_000,
      aboveMax: 'no broker delivers that many; 10000000 is as good as no limit',
    },
  },
  maxInflight: {
    doc: 'QoS 2 messages one client may have in flight to the broker; more disconnects it.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxInflight,
    env: 'MQTT_MAX_INFLIGHT',
    bounds: {
      min: 1,
      belowMin: 'no client could send a QoS 2 message',
      max: MQTT_MAX_PACKET_IDS,
      aboveMax: 'MQTT packet identifiers are 16 bits: no client can have more in flight (MQTT-2.3.1)',
    },
  },
  maxConnectionsPerAccount: {
    doc: 'Connections one account may have open at once (per broker); one more is refused with "not authorized" and '
      + 'counted.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxConnectionsPerAccount,
    env: 'MQTT_MAX_CONNECTIONS_PER_ACCOUNT',
    bounds: {
      min: 1,
      belowMin: 'no account could connect',
      max: LINUX_MAX_OPEN_FILES,
      aboveMax: OPEN_FILES_LIMIT,
    },
  },
  maxRetainedPerAccount: {
    doc: 'Retained topics one account may hold; a retained message to one more disconnects it, and is counted.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxRetainedPerAccount,
    env: 'MQTT_MAX_RETAINED_PER_ACCOUNT',
    bounds: {
      min: 1,
      belowMin: 'a node could not retain its status',
      max: 1_000_000,
      aboveMax: 'retained messages live in the broker\'s memory (or Redis) and go to every new subscriber: a million '
        + 'is a flood, not a network',
    },
  },
  maxRetainedBytesPerAccount: {
    doc: 'Bytes of retained payloads one account may hold; past it a retained message disconnects it, and is '
      + 'counted.',
    format: 'bytes',
    default: DEFAULT_BROKER_LIMITS.maxRetainedBytesPerAccount,
    env: 'MQTT_MAX_RETAINED_BYTES_PER_ACCOUNT',
    bounds: {
      min: 1024,
      belowMin: 'a node could not retain its status and diag messages',
      max: 2 ** 30,
      aboveMax: 'retained messages live in the broker\'s memory (or Redis)',
    },
  },
  maxDevicesPerAccount: {
    doc: 'Devices one source account (Tasmota, Zigbee2MQTT, ESPHome, Shelly) may speak for through the configured '
      + 'sources; a message making one more disconnects it, and is counted.',
    format: 'count',
    default: DEFAULT_BROKER_LIMITS.maxDevicesPerAccount,
    env: 'MQTT_MAX_DEVICES_PER_ACCOUNT',
    bounds: {
      min: 1,
      belowMin: 'a bridge could not speak for any device',
      max: 1_000_000,
      aboveMax: 'each device is a row the dashboard lists: a million is a flood, not a network',
    },
  },
  drainTimeoutMs: {
    doc: 'A subscriber that stops reading (a frozen dashboard) is disconnected after this long, so it cannot stall '
      + 'delivery to others.',
    format: 'duration-ms',
    default: DEFAULT_BROKER_LIMITS.drainTimeoutMs,
    env: 'MQTT_DRAIN_TIMEOUT_MS',
    bounds: {
      min: MIN_TIMEOUT_MS,
      belowMin: 'every busy moment would disconnect a subscriber',
      max: MAX_TIMER_MS,
      aboveMax: TIMER_LIMIT,
    },
  },
};
