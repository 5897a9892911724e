/**
 * Shelly Gen2 and later (Plus H&T, Plus 1PM, Pro …;
 * https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt):
 *
 *   <id>/status/temperature:0   {"id":0,"tC":21.6,"tF":70.9}          ("Generic status update over MQTT")
 *   <id>/status/humidity:0      {"id":0,"rh":54.3}
 *   <id>/events/rpc             {"src":…,"method":"NotifyStatus","params":{"ts":1669036325.44,"temperature:0":{…}}}
 *   <id>/online                 true | false
 *
 * <id> is the device's MQTT topic prefix (its device id, e.g. shellyplusht-08b61fcb7f3c, unless
 * changed). Device = that prefix; sensor = the component with `-` for `:` (temperature-0, switch-0);
 * metrics from the component's status (https://shelly-api-docs.shelly.cloud/gen2/General/Notifications
 * for NotifyStatus; params.ts, epoch seconds, is the time). Other components (sys, wifi, …) and
 * NotifyEvent are ignored.
 */

import { statusOf } from './availability.js';
import { convert, legalName, numberOf } from './mapping.js';
import {
  checked,
  ignore,
  isRecord,
  jsonObject,
  readingTime,
  reject,
  type Decoded,
  type DecodeContext,
  type MappedReading,
  type Source,
} from './source.js';
import type { PresetOptions } from './presets.js';

type Path = readonly string[];
/** Per component type: metric ← path in its status object. Energies are Wh in Shelly, kWh here. */
const COMPONENTS: Readonly<Record<string, ReadonlyArray<readonly [metric: string, path: Path, unit?: 'Wh']>>> = {
  temperature: [['temperature', ['tC']]],
  humidity: [['humidity', ['rh']]],
  illuminance: [['illuminance', ['lux']]],
  devicepower: [
    ['battery', ['battery', 'percent']],
    ['voltage', ['battery', 'V']],
  ],
  voltmeter: [['voltage', ['voltage']]],
  switch: [
    ['power', ['apower']],
    ['voltage', ['voltage']],
    ['current', ['current']],
    ['energy', ['aenergy', 'total'], 'Wh'],
    ['device_temperature', ['temperature', 'tC']],
  ],
  pm1: [
    ['power', ['apower']],
    ['voltage', ['voltage']],
    ['current', ['current']],
    ['energy', ['aenergy', 'total'], 'Wh'],
  ],
  cover: [
    ['power', ['apower']],
    ['voltage', ['voltage']],
    ['current', ['current']],
    ['energy', ['aenergy', 'total'], 'Wh'],
    ['position', ['current_pos']],
  ],
  em1: [
    ['power', ['act_power']],
    ['voltage', ['voltage']],
    ['current', ['current']],
  ],
};

const at = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);

/** The readings of one component's status, or null when pimonitor does not read that component. */
function componentReading(device: string, component: string, status: unknown, ts: Date): MappedReading | null {
  const [type = '', id = '0'] = component.split(':');
  const metrics = COMPONENTS[type];
  if (!metrics || !isRecord(status)) return null;
  const fields: Array<[string, unknown]> = [];
  for (const [metric, path, unit] of metrics) {
    const n = numberOf(at(status, path));
    if (n !== undefined) fields.push([metric, unit ? convert(n, unit) : n]);
  }
  return fields.length ? { device, sensor: legalName(`${type}-${id}`), ts, fields } : null;
}

export function shelly(o: PresetOptions): Source {
  const prefix = o.prefix ? `${o.prefix}/` : '';
  const level = o.prefix ? o.prefix.split('/').length : 0;
  return {
    name: o.name,
    preset: 'shelly',
    filters: [`${prefix}+/status/+`, `${prefix}+/events/rpc`, `${prefix}+/online`],
    deviceKey: (topic) => topic.split('/')[level] ?? '',
    decode(topic, payload, context) {
      const levels = topic.split('/').slice(level);
      const device = `${o.devicePrefix}${legalName(levels[0] ?? '')}`;
      if (levels[1] === 'online' && levels.length === 2)
        return statusOf(o.name, device, payload, { online: 'true', offline: 'false' });
      if (levels[1] === 'status' && levels.length === 3) return status(o, device, levels[2]!, payload, context);
      if (levels[1] === 'events' && levels[2] === 'rpc') return notification(o, device, payload, context);
      return ignore(o.name, 'not a status topic');
    },
  };
}

function status(o: PresetOptions, device: string, component: string, payload: Buffer, context: DecodeContext): Decoded {
  const json = jsonObject(o.name, payload);
  if (!json.ok) return json.rejected;
  const reading = componentReading(device, component, json.body, context.receivedAt);
  return reading
    ? checked(o.name, [reading], context)
    : ignore(o.name, `component ${component.slice(0, 40)} has no readings pimonitor keeps`);
}

function notification(o: PresetOptions, device: string, payload: Buffer, context: DecodeContext): Decoded {
  const json = jsonObject(o.name, payload);
  if (!json.ok) return json.rejected;
  const { method, params } = json.body;
  if (method !== 'NotifyStatus' && method !== 'NotifyFullStatus')
    return ignore(o.name, `${String(method).slice(0, 40)} is not a status notification`);
  if (!isRecord(params)) return reject(o.name, 'shape', `${method} has no params object`);
  const time = readingTime(o.name, 'params.ts', params.ts, 'UTC', context);
  if (!time.ok) return time.rejected;
  const { ts } = time;
  const readings = Object.entries(params).flatMap(
    ([component, value]) => componentReading(device, component, value, ts) ?? [],
  );
  return readings.length
    ? checked(o.name, readings, context)
    : ignore(o.name, `${method} carries no component pimonitor reads`);
}
