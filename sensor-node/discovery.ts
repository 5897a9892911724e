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

/** What Home Assistant knows of each metric pimonitor names: device class, precision, state class (the unit is unitOf's). */
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

const words = (s: string) => s.replace(/[_-]+/g, ' ');
/**
 * Ids that cannot collide. A component id (a topic level: letters, digits, _ and -) is
 * `<sensor>-<metric>`: metric names never contain '-', so the last '-' splits it; the diagnostic ones
 * end in `-_success` and `-_error`, since a metric never starts with '_'. A unique_id joins device,
 * sensor and metric with '/', which no name contains.
 */
const componentId = (sensor: string, part: string) => `${sensor}-${part}`;
const uniqueId = (device: string, sensor: string, part: string) => `pimonitor/${device}/${sensor}/${part}`;

/** Every entity of a node: one per metric of each sensor, and two diagnostic ones per sensor. */
export function entitiesOf(o: DiscoveryOptions, sensors: readonly DiscoverySensor[]): Entity[] {
  const entities: Entity[] = [];
  for (const s of sensors) {
    const state = readingTopic(o.device, s.name);
    const expire = Math.max(1, Math.ceil((EXPIRE_INTERVALS * s.intervalMs) / 1000));
    for (const metric of s.metrics) {
      const id = componentId(s.name, metric);
      const common = { name: `${words(s.name)} ${words(metric)}`, uniq_id: uniqueId(o.device, s.name, metric), stat_t: state, val_tpl: `{{ value_json.${metric} }}`, exp_aft: expire };
      if (s.binary) {
        const cla = BINARY_CLASSES[metric];
        entities.push({ id, platform: 'binary_sensor', config: { ...common, ...(cla ? { dev_cla: cla } : {}), pl_on: '1', pl_off: '0' } });
      } else {
        const known = SENSOR_CLASSES[metric];
        const unit = unitOf(metric);
        entities.push({ id, platform: 'sensor', config: { ...common, ...(known ?? {}), ...(unit ? { unit_of_meas: unit } : {}), stat_cla: known?.stat_cla ?? 'measurement' } });
      }
    }
    // The node's read statistics for the sensor (home/<device>/<sensor>/diag, retained), on the device page.
    const diag = diagTopic(o.device, s.name);
    entities.push({
      id: componentId(s.name, '_success'), platform: 'sensor',
      config: {
        name: `${words(s.name)} read success`, uniq_id: uniqueId(o.device, s.name, '_success'), stat_t: diag, ent_cat: 'diagnostic',
        val_tpl: '{{ (100 * value_json.readings / value_json.attempts) | round(1) if value_json.attempts else 100 }}', unit_of_meas: '%', stat_cla: 'measurement', sug_dsp_prc: 1,
      },
    });
    entities.push({
      id: componentId(s.name, '_error'), platform: 'sensor',
      config: {
        name: `${words(s.name)} last error`, uniq_id: uniqueId(o.device, s.name, '_error'), stat_t: diag, ent_cat: 'diagnostic',
        val_tpl: "{{ value_json.lastError.message[:250] if value_json.lastError else 'none' }}", ic: 'mdi:alert-circle-outline',
      },
    });
  }
  return entities;
}

const deviceOf = (o: DiscoveryOptions) => ({ ids: [`pimonitor/${o.device}`], name: o.device, mf: 'pimonitor', mdl: 'Raspberry Pi sensor node', sw: o.version });
const originOf = (o: DiscoveryOptions) => ({ name: 'pimonitor', sw: o.version });
const availabilityOf = (o: DiscoveryOptions) => ({ avty_t: statusTopic(o.device), pl_avail: 'online', pl_not_avail: 'offline' });

export const deviceTopic = (o: DiscoveryOptions) => `${o.prefix}/device/${o.device}/config`;
export const entityTopic = (o: DiscoveryOptions, platform: string, id: string) => `${o.prefix}/${platform}/${o.device}/${id}/config`;

/**
 * The messages that announce `sensors` and remove what was announced before (`previous`: the ids of
 * entities and their platforms, as `discoveryState` returns them) and is gone now.
 */
export function discoveryMessages(o: DiscoveryOptions, sensors: readonly DiscoverySensor[], previous: DiscoveryState | null): DiscoveryMessage[] {
  const entities = entitiesOf(o, sensors);
  const now = new Set(entities.map((e) => e.id));
  const gone = Object.entries(previous?.entities ?? {}).filter(([id]) => !now.has(id));
  const messages: DiscoveryMessage[] = [];
  // Switching layouts: the other layout's retained configs would make every entity twice.
  if (previous && previous.mode !== o.mode) {
    if (previous.mode === 'device') messages.push({ topic: `${previous.prefix}/device/${o.device}/config`, payload: '' });
    else for (const [id, platform] of Object.entries(previous.entities)) messages.push({ topic: `${previous.prefix}/${platform}/${o.device}/${id}/config`, payload: '' });
  } else if (previous && previous.mode === 'entity') {
    for (const [id, platform] of gone) messages.push({ topic: entityTopic(o, platform, id), payload: '' });
  }
  if (o.mode === 'device') {
    const cmps: Record<string, unknown> = Object.fromEntries(entities.map((e) => [e.id, { p: e.platform, ...e.config }]));
    // A component sent with only its platform is removed (Home Assistant's device discovery).
    if (previous?.mode === 'device') for (const [id, platform] of gone) cmps[id] = { p: platform };
    // Nothing to announce (no sensors): nothing, or clear what a previous run announced.
    if (Object.keys(cmps).length > 0) messages.push({ topic: deviceTopic(o), payload: JSON.stringify({ dev: deviceOf(o), o: originOf(o), ...availabilityOf(o), qos: 1, cmps }) });
    else if (previous?.mode === 'device') messages.push({ topic: deviceTopic(o), payload: '' });
  } else {
    for (const e of entities) messages.push({ topic: entityTopic(o, e.platform, e.id), payload: JSON.stringify({ ...e.config, dev: deviceOf(o), o: originOf(o), ...availabilityOf(o), qos: 1 }) });
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

export function discoveryState(o: DiscoveryOptions, sensors: readonly DiscoverySensor[]): DiscoveryState {
  return { prefix: o.prefix, mode: o.mode, entities: Object.fromEntries(entitiesOf(o, sensors).map((e) => [e.id, e.platform])) };
}

/** A state file's contents, or null when it is missing or not one (then nothing is removed). */
export function parseDiscoveryState(text: string): DiscoveryState | null {
  try {
    const v = JSON.parse(text) as Partial<DiscoveryState>;
    const ok = typeof v.prefix === 'string' && (v.mode === 'device' || v.mode === 'entity') && v.entities && typeof v.entities === 'object'
      && Object.values(v.entities).every((p) => p === 'sensor' || p === 'binary_sensor');
    return ok ? (v as DiscoveryState) : null;
  } catch {
    return null;
  }
}
