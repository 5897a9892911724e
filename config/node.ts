import { MAX_BUFFER_BYTES, MAX_TIMER_MS, TIMER_LIMIT } from './bounds.js';
import { defaultDeviceName } from './formats.js';

export const node = {
  node: {
    device: {
      doc: 'This node\'s device name, the <device> in home/<device>/<sensor>; defaults to the hostname.',
      format: 'device-name',
      default: defaultDeviceName(),
      defaultText: 'the hostname, each character a device name cannot have replaced by `-`, cut to 64 characters',
      env: 'NODE_DEVICE',
    },
    intervalMs: {
      doc: 'How often each sensor is read and published, in milliseconds, unless a sensor sets its own intervalMs.',
      format: 'duration-ms',
      default: 10_000,
      env: 'NODE_INTERVAL_MS',
      bounds: {
        min: 100,
        belowMin: 'no sensor is worth reading more often (each driver checks its own minimum at start: 2 s for a '
          + 'DHT22)',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
    sensors: {
      doc: 'The sensors of this node: a list of {"type", "name", "intervalMs"?, "calibration"?, '
        + '"maxChangePerMinute"?, driver options}; see docs/sensor-nodes.md.',
      format: 'sensor-list',
      default: [] as unknown[],
      env: 'NODE_SENSORS',
    },
    simulate: {
      doc: 'Also publish a simulated DHT22 (temperature, humidity) as sensor "dht22"; no hardware needed.',
      format: Boolean,
      default: false,
      env: 'NODE_SIMULATE',
    },
    outboxMaxBytes: {
      doc: 'Disk kept for readings while the broker is away; 0 sizes it for 7 days at the configured intervals. Past '
        + 'it the oldest are dropped.',
      format: 'bytes',
      default: 0,
      env: 'NODE_OUTBOX_MAX_BYTES',
      bounds: {
        min: 64 * 1024,
        belowMin: 'an outbox that small keeps almost nothing while the broker is away',
        max: MAX_BUFFER_BYTES,
        aboveMax: 'the outbox is a buffer for a broker outage, not an archive',
        or: { value: 0, means: 'to size it for 7 days of readings' },
      },
    },
    clockSyncFile: {
      doc: 'A file that exists once the system clock is synchronised; until then readings are held, never stamped '
        + '1970. Empty trusts the clock.',
      format: String,
      default: '/run/systemd/timesync/synchronized',
      env: 'NODE_CLOCK_SYNC_FILE',
    },
    diagIntervalMs: {
      doc: 'How often each sensor\'s read statistics are published to home/<device>/<sensor>/diag.',
      format: 'duration-ms',
      default: 60_000,
      env: 'NODE_DIAG_INTERVAL_MS',
      bounds: {
        min: 1000,
        belowMin: 'diag messages are retained statistics: more often than every second only loads the broker',
        max: MAX_TIMER_MS,
        aboveMax: TIMER_LIMIT,
      },
    },
    statusLedPin: {
      doc: 'BCM GPIO of a status LED that blinks at each delivered reading; -1 for none.',
      format: 'count',
      default: -1,
      env: 'NODE_STATUS_LED_PIN',
      bounds: {
        min: 0,
        max: 1023,
        aboveMax: 'a Raspberry Pi\'s GPIO numbers are below 1024 (the BCM number, or 512 + it on kernels from 6.6)',
        or: { value: -1, means: 'for none' },
      },
    },
    discovery: {
      enabled: {
        doc: 'Publish Home Assistant MQTT discovery for this node\'s sensors (re-sent when Home Assistant announces '
          + 'itself on <prefix>/status).',
        format: Boolean,
        default: true,
        env: 'HA_DISCOVERY',
      },
      prefix: {
        doc: 'Home Assistant\'s discovery prefix (its MQTT integration setting). The embedded broker lets nodes '
          + 'publish discovery only under homeassistant/.',
        format: 'topic-level',
        default: 'homeassistant',
        env: 'HA_DISCOVERY_PREFIX',
      },
      mode: {
        doc: 'device: one message per node at <prefix>/device/<device>/config (Home Assistant 2024.11 and later); '
          + 'entity: one message per entity at <prefix>/<platform>/<device>/<id>/config, for older installations.',
        format: ['device', 'entity'],
        default: 'device',
        env: 'HA_DISCOVERY_MODE',
      },
    },
    sysfsRoot: {
      doc: 'Where /sys is; change only to read sensors from a copy of it (tests, containers).',
      format: String,
      default: '/',
      env: 'NODE_SYSFS_ROOT',
    },
  },
};
