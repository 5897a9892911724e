/**
 * What Home Assistant accepts in an MQTT discovery message for the platforms pimonitor announces,
 * written down from Home Assistant's own documentation and source, for tests to check our payloads
 * against (Home Assistant itself validates them with voluptuous and drops an invalid one with a log
 * line only its owner sees):
 * - keys: https://www.home-assistant.io/integrations/sensor.mqtt/ and /binary_sensor.mqtt/
 *   ("Configuration Variables"), MQTT_ENTITY_COMMON_SCHEMA in homeassistant/components/mqtt/entity.py;
 * - abbreviations: homeassistant/components/mqtt/abbreviations.py (ABBREVIATIONS, DEVICE_ABBREVIATIONS,
 *   ORIGIN_ABBREVIATIONS);
 * - device discovery (2024.11): https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload
 *   — `dev` and `o` required at the root, shared options availability, state_topic, command_topic, qos,
 *   encoding; each component under `cmps` needs `p` (platform) and `unique_id`; a component with only
 *   `p` removes it;
 * - device classes and their units: https://www.home-assistant.io/integrations/sensor/#device-class
 *   (SensorDeviceClass, DEVICE_CLASS_UNITS in homeassistant/components/sensor/const.py) and
 *   https://www.home-assistant.io/integrations/binary_sensor/#device-class;
 * - state classes: measurement, measurement_angle, total, total_increasing; energy may not be
 *   `measurement` (DEVICE_CLASS_STATE_CLASSES); entity_category: a sensor may only be `diagnostic`.
 */

export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  avty: 'availability', avty_mode: 'availability_mode', avty_t: 'availability_topic', avty_tpl: 'availability_template',
  cmps: 'components', def_ent_id: 'default_entity_id', dev: 'device', dev_cla: 'device_class', e: 'encoding',
  en: 'enabled_by_default',
  ent_cat: 'entity_category', ent_pic: 'entity_picture', exp_aft: 'expire_after', frc_upd: 'force_update', ic: 'icon',
  json_attr_t: 'json_attributes_topic', json_attr_tpl: 'json_attributes_template',
  lrst_val_tpl: 'last_reset_value_template',
  o: 'origin', obj_id: 'object_id', off_dly: 'off_delay', ops: 'options', p: 'platform', pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available', pl_off: 'payload_off', pl_on: 'payload_on', stat_cla: 'state_class',
  stat_t: 'state_topic',
  sug_dsp_prc: 'suggested_display_precision', uniq_id: 'unique_id', unit_of_meas: 'unit_of_measurement',
  val_tpl: 'value_template',
};
export const DEVICE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  cns: 'connections', cu: 'configuration_url', ids: 'identifiers', name: 'name', mf: 'manufacturer', mdl: 'model',
  mdl_id: 'model_id',
  hw: 'hw_version', sw: 'sw_version', sa: 'suggested_area', sn: 'serial_number', via_device: 'via_device',
};
export const ORIGIN_ABBREVIATIONS: Readonly<Record<string, string>> = {
  name: 'name', sw: 'sw_version', url: 'support_url',
};

const COMMON = [
  'availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available',
  'payload_not_available',
  'device', 'origin', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'icon',
  'json_attributes_template',
  'json_attributes_topic', 'name', 'object_id', 'default_entity_id', 'qos', 'unique_id', 'platform',
];
export const PLATFORM_KEYS: Readonly<Record<'sensor' | 'binary_sensor', { required: string[]; allowed: string[] }>> = {
  sensor: {
    required: ['state_topic'],
    allowed: [
      ...COMMON, 'device_class', 'expire_after', 'force_update', 'last_reset_value_template', 'options', 'state_class',
      'state_topic', 'suggested_display_precision', 'unit_of_measurement', 'value_template',
    ],
  },
  binary_sensor: {
    required: ['state_topic'],
    allowed: [
      ...COMMON, 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_off', 'payload_on',
      'state_topic', 'value_template',
    ],
  },
};
/** Device discovery: keys allowed at the root beside dev, o and cmps (the shared options). */
export const DEVICE_ROOT_KEYS = [
  'device', 'origin', 'components', 'availability', 'availability_mode', 'availability_template', 'availability_topic',
  'payload_available', 'payload_not_available', 'state_topic', 'command_topic', 'qos', 'encoding',
];

export const SENSOR_DEVICE_CLASS_UNITS: Readonly<Record<string, readonly string[]>> = {
  temperature: ['°C', '°F', 'K'],
  humidity: ['%'],
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi'],
  carbon_dioxide: ['ppm'],
  illuminance: ['lx'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  current: ['A', 'mA'],
  power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'],
  energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  battery: ['%'],
};
export const BINARY_DEVICE_CLASSES = [
  'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat',
  'light', 'lock',
  'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety',
  'smoke', 'sound',
  'tamper', 'update', 'vibration', 'window',
];
export const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'];

const expand = (o: Record<string, unknown>, map: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [map[k] ?? k, v]));
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems Home Assistant would find in one entity's config (abbreviated keys allowed); none means valid. */
export function entityProblems(platform: string, raw: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  const c = expand(raw, ABBREVIATIONS);
  const keys = PLATFORM_KEYS[platform as 'sensor' | 'binary_sensor'];
  if (!keys) return [`${where}: platform ${platform} is not one pimonitor announces`];
  for (const k of Object.keys(c))
    if (!keys.allowed.includes(k)) problems.push(`${where}: ${k} is not a ${platform} option`);
  for (const k of [...keys.required, 'unique_id']) if (c[k] === undefined) problems.push(`${where}: ${k} is required`);
  for (const k of [
    'state_topic', 'availability_topic', 'unique_id', 'name', 'value_template', 'payload_on', 'payload_off', 'icon',
  ]) {
    if (c[k] !== undefined && (typeof c[k] !== 'string' || (c[k] as string).length === 0))
      problems.push(`${where}: ${k} must be a non-empty string`);
  }
  if (typeof c.state_topic === 'string' && /[+#]/.test(c.state_topic))
    problems.push(`${where}: state_topic may not contain wildcards`);
  if (c.expire_after !== undefined && !(Number.isInteger(c.expire_after) && (c.expire_after as number) > 0))
    problems.push(`${where}: expire_after must be a positive integer of seconds`);
  if (
    c.suggested_display_precision !== undefined &&
    !(Number.isInteger(c.suggested_display_precision) && (c.suggested_display_precision as number) >= 0)
  )
    problems.push(`${where}: suggested_display_precision must be a whole number >= 0`);
  if (c.qos !== undefined && ![0, 1, 2].includes(c.qos as number)) problems.push(`${where}: qos must be 0, 1 or 2`);
  if (
    c.entity_category !== undefined &&
    c.entity_category !== 'diagnostic' &&
    !(platform !== 'sensor' && c.entity_category === 'config')
  )
    problems.push(`${where}: entity_category ${String(c.entity_category)} is not allowed for a ${platform}`);
  if (platform === 'sensor') {
    if (c.state_class !== undefined && !STATE_CLASSES.includes(c.state_class as string))
      problems.push(`${where}: state_class ${String(c.state_class)} is unknown`);
    if (c.device_class !== undefined) {
      const units = SENSOR_DEVICE_CLASS_UNITS[c.device_class as string];
      if (!units) problems.push(`${where}: sensor device_class ${String(c.device_class)} is unknown`);
      else if (!units.includes(c.unit_of_measurement as string))
        problems.push(
          `${where}: unit ${String(c.unit_of_measurement)} is not one of ${c.device_class}'s (${units.join(', ')})`,
        );
      if (c.device_class === 'energy' && c.state_class === 'measurement')
        problems.push(`${where}: energy cannot have state_class measurement`);
    }
  } else if (c.device_class !== undefined && !BINARY_DEVICE_CLASSES.includes(c.device_class as string)) {
    problems.push(`${where}: binary_sensor device_class ${String(c.device_class)} is unknown`);
  }
  if (c.device !== undefined) problems.push(...deviceProblems(c.device, `${where}: device`));
  if (c.origin !== undefined) problems.push(...originProblems(c.origin, `${where}: origin`));
  return problems;
}

export function deviceProblems(raw: unknown, where: string): string[] {
  if (!isObject(raw)) return [`${where} must be an object`];
  const d = expand(raw, DEVICE_ABBREVIATIONS);
  const problems = Object.keys(d)
    .filter((k) => !Object.values(DEVICE_ABBREVIATIONS).includes(k))
    .map((k) => `${where}: ${k} is not a device option`);
  const ids = d.identifiers;
  if (!(
    typeof ids === 'string' ||
    (Array.isArray(ids) && ids.length > 0 && ids.every((i) => typeof i === 'string' && i.length > 0))
  ))
    problems.push(`${where}: identifiers must be a string or a list of them`);
  return problems;
}

export function originProblems(raw: unknown, where: string): string[] {
  if (!isObject(raw)) return [`${where} must be an object`];
  const o = expand(raw, ORIGIN_ABBREVIATIONS);
  const problems = Object.keys(o)
    .filter((k) => !Object.values(ORIGIN_ABBREVIATIONS).includes(k))
    .map((k) => `${where}: ${k} is not an origin option`);
  if (typeof o.name !== 'string' || !o.name) problems.push(`${where}: name is required`);
  return problems;
}

/** Problems of a whole discovery message on `topic` (device or single-component layout); none means valid. */
export function discoveryProblems(prefix: string, topic: string, payload: string): string[] {
  const levels = topic.split('/');
  if (levels[0] !== prefix || levels.at(-1) !== 'config' || levels.some((l) => !/^[A-Za-z0-9_-]+$/.test(l)))
    return [`${topic}: not <prefix>/<component>/[<node_id>/]<object_id>/config with ids of letters, digits, _ and -`];
  if (payload === '') return []; // removal
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return [`${topic}: payload is not JSON`];
  }
  if (!isObject(body)) return [`${topic}: payload must be a JSON object`];
  if (levels[1] === 'device') {
    if (levels.length !== 4) return [`${topic}: device discovery is <prefix>/device/<object_id>/config`];
    const root = expand(body, ABBREVIATIONS);
    const problems = Object.keys(root)
      .filter((k) => !DEVICE_ROOT_KEYS.includes(k))
      .map((k) => `${topic}: ${k} is not a shared option of device discovery`);
    if (root.device === undefined) problems.push(`${topic}: dev is required`);
    else problems.push(...deviceProblems(root.device, `${topic}: dev`));
    if (root.origin === undefined) problems.push(`${topic}: o is required`);
    else problems.push(...originProblems(root.origin, `${topic}: o`));
    if (!isObject(root.components) || Object.keys(root.components).length === 0)
      return [...problems, `${topic}: cmps must name at least one component`];
    const shared = Object.fromEntries([
      'availability_topic', 'payload_available', 'payload_not_available', 'state_topic', 'qos',
    ].filter((k) => root[k] !== undefined).map((k) => [k, root[k]]));
    for (const [id, component] of Object.entries(root.components)) {
      if (!/^[A-Za-z0-9_-]+$/.test(id))
        problems.push(`${topic}: component id ${id} has characters other than letters, digits, _ and -`);
      if (!isObject(component)) {
        problems.push(`${topic}: cmps.${id} must be an object`);
        continue;
      }
      const c = expand(component, ABBREVIATIONS);
      if (typeof c.platform !== 'string') problems.push(`${topic}: cmps.${id}: p (platform) is required`);
      else if (Object.keys(c).length > 1)
        problems.push(...entityProblems(c.platform, { ...shared, ...component }, `${topic}: cmps.${id}`));
    }
    return problems;
  }
  const platform = levels[1]!;
  if (levels.length < 4 || levels.length > 5)
    return [`${topic}: single-component discovery is <prefix>/<component>/[<node_id>/]<object_id>/config`];
  return entityProblems(platform, body, topic);
}
