/**
 * ESPHome's MQTT client (https://esphome.io/components/mqtt.html): each entity's state as a plain text
 * payload on <topic prefix>/<component type>/<object id>/state, the birth and will messages `online` /
 * `offline` on <topic prefix>/status. The topic prefix is the node's name unless configured.
 *
 *   livingroom/sensor/living_room_temperature/state   21.4
 *   livingroom/binary_sensor/hall_motion/state        ON
 *
 * Device = the node; the object id names the sensor and the metric: a known metric word in it is the
 * metric and the rest the sensor (living_room_temperature → sensor living_room, metric temperature;
 * temperature alone → sensor `sensor`); with none, sensor = the object id and metric `value` (or
 * `state` for a binary sensor, ON/OFF stored as 1/0). `nan` (no value from the sensor) is rejected.
 */

import { statusOf } from './availability.js';
import { convert, legalName, NUMBER_TEXT } from './mapping.js';
import { checked, ignore, reject, type Source } from './source.js';
import type { PresetOptions } from './presets.js';

/** Metric words looked for in object ids; the first word of the id that is one of them is the metric. */
const METRIC_WORDS = [
  'temperature',
  'humidity',
  'pressure',
  'illuminance',
  'voltage',
  'current',
  'power',
  'energy',
  'battery',
  'co2',
  'motion',
  'occupancy',
  'contact',
  'door',
  'window',
];

/** Splits an object id into sensor and metric (see the module comment). Pure. */
export function splitObjectId(
  objectId: string,
  component: 'sensor' | 'binary_sensor',
): { sensor: string; metric: string } {
  const words = objectId.toLowerCase().split(/[_-]+/).filter(Boolean);
  const index = words.findIndex((w) => METRIC_WORDS.includes(w));
  if (index < 0) return { sensor: legalName(objectId), metric: component === 'sensor' ? 'value' : 'state' };
  const rest = words.filter((_, i) => i !== index).join('_');
  return { sensor: rest ? legalName(rest) : component, metric: words[index]! };
}

export function esphome(o: PresetOptions): Source {
  const prefix = o.prefix ? `${o.prefix}/` : '';
  const at = o.prefix ? o.prefix.split('/').length : 0;
  return {
    name: o.name,
    preset: 'esphome',
    filters: [`${prefix}+/sensor/+/state`, `${prefix}+/binary_sensor/+/state`, `${prefix}+/status`],
    deviceKey: (topic) => topic.split('/')[at] ?? '',
    decode(topic, payload, context) {
      const levels = topic.split('/');
      const device = `${o.devicePrefix}${legalName(levels[at] ?? '')}`;
      if (levels.length === at + 2 && levels[at + 1] === 'status')
        return statusOf(o.name, device, payload, { online: 'online', offline: 'offline' });
      const component = levels[at + 1];
      if ((component !== 'sensor' && component !== 'binary_sensor') || levels[at + 3] !== 'state')
        return ignore(o.name, `${component ?? 'this'} is not a sensor state`);
      const { sensor, metric } = splitObjectId(levels[at + 2] ?? '', component);
      const text = payload.toString('utf8').trim();
      let value: number;
      if (component === 'binary_sensor') {
        if (text !== 'ON' && text !== 'OFF')
          return reject(
            o.name,
            'metric',
            `${device}/${sensor}: binary sensor state ${JSON.stringify(text.slice(0, 20))} is not ON or OFF`,
          );
        value = text === 'ON' ? 1 : 0;
      } else {
        if (/^-?nan$/i.test(text))
          return reject(o.name, 'metric', `${device}/${sensor}: ${metric} is nan (the sensor gave no value)`);
        if (!NUMBER_TEXT.test(text))
          return reject(
            o.name,
            'metric',
            `${device}/${sensor}: ${metric} ${JSON.stringify(text.slice(0, 20))} is not a number`,
          );
        value = Number(text);
        if (metric === 'temperature' && o.temperatureUnit) value = convert(value, o.temperatureUnit);
      }
      return checked(o.name, [{ device, sensor, ts: context.receivedAt, fields: [[metric, value]] }], context);
    },
  };
}
