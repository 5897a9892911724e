import { diagTopic, readingTopic, statusTopic } from '../shared/contract.js';
import { unitOf } from '../shared/units.js';

/**
 * Home Assistant MQTT discovery for one node: what to publish so that its sensors appear in Home
 * Assistant with no YAML. Pure: the node's sensors in, topics and payloads out.
 *
 * Payload keys use Home Assistant's abbreviations (homeassistant/components/mqtt/abbreviations.py:
 * dev, o, cmps, p, uniq_id, stat_t, val_tpl, …), as ESPHome and Tasmota do. Two layouts:
 * - device (Home Assistant 2024.11+): one retained message at <prefix>/device/<device>/config with the
 *   device (`dev`), origin (`o`), availability and every entity under `cmps`;
 * - entity: one retained message per entity at <prefix>/<platform>/<device>/<id>/config, each with
 *   the device repeated, for older installations.
 * Entities are keyed by device, sensor and metric names, never by a MAC: a replaced board keeps them.
 */

export interface DiscoverySensor {
  name: string;
  type: string;
  metrics: readonly string[];
  intervalMs: number;
  /** On/off inputs (door, motion): binary_sensor entities. */
  binary: boolean;
}

export interface DiscoveryOptions {
  prefix: string;
  mode: 'device' | 'entity';
  device: string;
  /** pimonitor's version, for Home Assistant's device page and origin. */
  version: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON, or '' to remove what a retained config announced. */
  payload: string;
}

type Platform = 'sensor' | 'binary_sensor';
interface Entity { id: string; platform: Platform; config: Record<string, unknown> }

/**
 * What Home Assistant knows of each metric pimonitor names: device class, precision, state class (the unit
 * is unitOf's).
 */
const SENSOR_CLASSES: Readonly<Record<string, { dev_cla: string; sug_dsp_prc: number; stat_cla?: string }>> = {
  temperature: { dev_cla: 'temperature', sug_dsp_prc: 1 },
  humidity: { dev_cla: 'humidity', sug_dsp_prc: 1 },
  pressure: { dev_cla: 'atmospheric_pressure', sug_dsp_prc: 1 },
  co2: { dev_cla: 'carbon_dioxide', sug_dsp_prc: 0 },
  illuminance: { dev_cla: 'illuminance', sug_dsp_prc: 0 },
  voltage: { dev_cla: 'voltage', sug_dsp_prc: 2 },
  current: { dev_cla: 'current', sug_dsp_prc: 2 },
  power: { dev_cla: 'power', sug_dsp_prc: 1 },
  // Energy is a meter reading: Home Assistant's statistics need total_increasing, not measurement.
  energy: { dev_cla: 'energy', sug_dsp_prc: 3, stat_cla: 'total_increasing' },
  battery: { dev_cla: 'battery', sug_dsp_prc: 0 },
};

/** Binary sensor device classes by the metric name a GPIO input is given. */
const BINARY_CLASSES: Readonly<Record<string, string>> = {
  motion: 'motion', occupancy: 'occupancy', presence: 'presence', door: 'door', window: 'window',
  open: 'opening', opening: 'opening', contact: 'opening', moisture: 'moisture', leak: 'moisture',
  smoke: 'smoke', vibration: 'vibration', sound: 'sound',
};

/** A dead node shows as unavailable after this many missed intervals. */
const EXPIRE_INTERVALS = 3;

const words = (name: string) => name.replace(/[_-]+/g, ' ');
/**
 * Ids that cannot collide. A component id (a topic level: letters, digits, _ and -) is
 * `<sensor>-<metric>`: metric names never contain '-', so the last '-' splits it; the diagnostic ones
 * end in `-_success` and `-_error`, since a metric never starts with '_'. A unique_id joins device,
 * sensor and metric with '/', which no name contains.
 */
const componentId = (sensor: string, part: string) => `${sensor}-${part}`;
const uniqueId = (device: string, sensor: string, part: string) => `pimonitor/${device}/${sensor}/${part}`;

/** Every entity of a node: one per metric of each sensor, and two diagnostic ones per sensor. */
export function entitiesOf(options: DiscoveryOptions, sensors: readonly DiscoverySensor[]): Entity[] {
  const { device } = options;
  const entities: Entity[] = [];
  for (const sensor of sensors) {
    const state = readingTopic(device, sensor.name);
    const expire = Math.max(1, Math.ceil((EXPIRE_INTERVALS * sensor.intervalMs) / 1000));
    for (const metric of sensor.metrics) {
      const id = componentId(sensor.name, metric);
      const common = {
        name: `${words(sensor.name)} ${words(metric)}`,
        uniq_id: uniqueId(device, sensor.name, metric),
        stat_t: state,
        val_tpl: `{{ value_json.${metric} }}`,
        exp_aft: expire,
      };
      if (sensor.binary) {
        const cla = BINARY_CLASSES[metric];
        const config = { ...common, ...(cla ? { dev_cla: cla } : {}), pl_on: '1', pl_off: '0' };
        entities.push({ id, platform: 'binary_sensor', config });
      } else {
        const known = SENSOR_CLASSES[metric];
        const unit = unitOf(metric);
        const config = {
          ...common,
          ...(known ?? {}),
          ...(unit ? { unit_of_meas: unit } : {}),
          stat_cla: known?.stat_cla ?? 'measurement',
        };
        entities.push({ id, platform: 'sensor', config });
      }
    }
    // The node's read statistics for the sensor (home/<device>/<sensor>/diag, retained), on the device
    // page.
    const diag = diagTopic(device, sensor.name);
    entities.push({
      id: componentId(sensor.name, '_success'),
      platform: 'sensor',
      config: {
        name: `${words(sensor.name)} read success`,
        uniq_id: uniqueId(device, sensor.name, '_success'),
        stat_t: diag,
        ent_cat: 'diagnostic',
        val_tpl: '{{ (100 * value_json.readings / value_json.attempts) | round(1) if value_json.attempts else 100 }}',
        unit_of_meas: '%',
        stat_cla: 'measurement',
        sug_dsp_prc: 1,
      },
    });
    entities.push({
      id: componentId(sensor.name, '_error'),
      platform: 'sensor',
      config: {
        name: `${words(sensor.name)} last error`,
        uniq_id: uniqueId(device, sensor.name, '_error'),
        stat_t: diag,
        ent_cat: 'diagnostic',
        val_tpl: "{{ value_json.lastError.message[:250] if value_json.lastError else 'none' }}",
        ic: 'mdi:alert-circle-outline',
      },
    });
  }
  return entities;
}

const deviceOf = (options: DiscoveryOptions) => ({
  ids: [`pimonitor/${options.device}`],
  name: options.device,
  mf: 'pimonitor',
  mdl: 'Raspberry Pi sensor node',
  sw: options.version,
});
const originOf = (options: DiscoveryOptions) => ({ name: 'pimonitor', sw: options.version });
const availabilityOf = (options: DiscoveryOptions) => ({
  avty_t: statusTopic(options.device),
  pl_avail: 'online',
  pl_not_avail: 'offline',
});

export const deviceTopic = (options: DiscoveryOptions) => `${options.prefix}/device/${options.device}/config`;
export const entityTopic = (options: DiscoveryOptions, platform: string, id: string) =>
  `${options.prefix}/${platform}/${options.device}/${id}/config`;

/**
 * The messages that announce `sensors` and remove what was announced before (`previous`: the ids of
 * entities and their platforms, as `discoveryState` returns them) and is gone now.
 */
export function discoveryMessages(
  options: DiscoveryOptions,
  sensors: readonly DiscoverySensor[],
  previous: DiscoveryState | null,
): DiscoveryMessage[] {
  const { device } = options;
  const entities = entitiesOf(options, sensors);
  const now = new Set(entities.map((entity) => entity.id));
  const gone = Object.entries(previous?.entities ?? {}).filter(([id]) => !now.has(id));
  const messages: DiscoveryMessage[] = [];
  const removal = (topic: string): DiscoveryMessage => ({ topic, payload: '' });
  // Switching layouts: the other layout's retained configs would make every entity twice.
  if (previous && previous.mode !== options.mode) {
    if (previous.mode === 'device') messages.push(removal(`${previous.prefix}/device/${device}/config`));
    else {
      for (const [id, platform] of Object.entries(previous.entities)) {
        messages.push(removal(`${previous.prefix}/${platform}/${device}/${id}/config`));
      }
    }
  } else if (previous && previous.mode === 'entity') {
    for (const [id, platform] of gone) messages.push(removal(entityTopic(options, platform, id)));
  }
  const announced = { dev: deviceOf(options), o: originOf(options), ...availabilityOf(options), qos: 1 };
  if (options.mode === 'device') {
    const cmps: Record<string, unknown> = Object.fromEntries(
      entities.map((entity) => [entity.id, { p: entity.platform, ...entity.config }]),
    );
    // A component sent with only its platform is removed (Home Assistant's device discovery).
    if (previous?.mode === 'device') for (const [id, platform] of gone) cmps[id] = { p: platform };
    // Nothing to announce (no sensors): nothing, or clear what a previous run announced.
    if (Object.keys(cmps).length > 0) {
      messages.push({ topic: deviceTopic(options), payload: JSON.stringify({ ...announced, cmps }) });
    } else if (previous?.mode === 'device') messages.push(removal(deviceTopic(options)));
  } else {
    for (const entity of entities) {
      const payload = JSON.stringify({ ...entity.config, ...announced });
      messages.push({ topic: entityTopic(options, entity.platform, entity.id), payload });
    }
  }
  return messages;
}

/** What was announced, kept by the node between runs so a removed sensor's entities are removed too. */
export interface DiscoveryState {
  prefix: string;
  mode: 'device' | 'entity';
  /** Entity id → platform. */
  entities: Record<string, Platform>;
}

export function discoveryState(options: DiscoveryOptions, sensors: readonly DiscoverySensor[]): DiscoveryState {
  const entities = Object.fromEntries(entitiesOf(options, sensors).map((entity) => [entity.id, entity.platform]));
  return { prefix: options.prefix, mode: options.mode, entities };
}

/** A state file's contents, or null when it is missing or not one (then nothing is removed). */
export function parseDiscoveryState(text: string): DiscoveryState | null {
  try {
    const parsed = JSON.parse(text) as Partial<DiscoveryState>;
    const ok =
      typeof parsed.prefix === 'string' &&
      (parsed.mode === 'device' || parsed.mode === 'entity') &&
      parsed.entities &&
      typeof parsed.entities === 'object' &&
      Object.values(parsed.entities).every((platform) => platform === 'sensor' || platform === 'binary_sensor');
    return ok ? (parsed as DiscoveryState) : null;
  } catch {
    return null;
  }
}
