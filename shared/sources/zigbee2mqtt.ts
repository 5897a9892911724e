/**
 * Zigbee2MQTT (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html): each device's
 * state as one JSON object on zigbee2mqtt/<friendly name>, and, with availability enabled
 * (https://www.zigbee2mqtt.io/guide/configuration/device-availability.html), a retained
 * zigbee2mqtt/<friendly name>/availability of {"state":"online"} (or plain `online` with
 * legacy_availability_payload).
 *
 * Device = the friendly name, made legal if it is not (shared/sources/mapping.ts legalName: "Living
 * Room/Thermometer" → Living_Room-Thermometer_dc3e4f); sensor = `zigbee` (or the source's `sensor`);
 * metrics = the numeric and true/false fields. zigbee2mqtt/bridge/#, …/set and …/get are not readings and are ignored.
 */

import { statusOf } from './availability.js';
import { convert, legalName, metricName, numberOf } from './mapping.js';
import {
  checked,
  ignore,
  isRecord,
  jsonObject,
  readingTime,
  type Decoded,
  type DecodeContext,
  type Source,
} from './source.js';
import type { PresetOptions } from './presets.js';

/** Fields about the message or the radio's bookkeeping, not the room. */
const NOT_READINGS = new Set(['last_seen', 'elapsed', 'update_available']);
/**
 * Zigbee2MQTT's `voltage` is millivolts on battery devices (a CR2032 reads ~3000) and volts on mains
 * plugs (~230): no plausible mains value is above this, and no live battery below it.
 */
const MILLIVOLTS_ABOVE = 500;
const COMMAND = /\/(set|get)(\/.*)?$/;

export function zigbee2mqtt(o: PresetOptions): Source {
  const prefix = o.prefix ?? 'zigbee2mqtt';
  const friendlyName = (topic: string) => topic.slice(prefix.length + 1);
  return {
    name: o.name,
    preset: 'zigbee2mqtt',
    filters: [`${prefix}/#`],
    deviceKey: (topic) =>
      friendlyName(topic)
        .replace(/\/availability$/, '')
        .replace(COMMAND, ''),
    decode(topic, payload, context) {
      const name = friendlyName(topic);
      if (name === 'bridge' || name.startsWith('bridge/')) return ignore(o.name, 'a message of the bridge itself');
      if (COMMAND.test(name)) return ignore(o.name, 'a command to a device');
      if (name.endsWith('/availability'))
        return availability(o, `${o.devicePrefix}${legalName(name.slice(0, -'/availability'.length))}`, payload);
      if (name === '') return ignore(o.name, 'no device name');
      return state(o, `${o.devicePrefix}${legalName(name)}`, payload, context);
    },
  };
}

function availability(o: PresetOptions, device: string, payload: Buffer): Decoded {
  const text = payload.toString('utf8').trim();
  if (text.startsWith('{')) {
    const json = jsonObject(o.name, payload);
    if (!json.ok) return json.rejected;
    return statusOf(o.name, device, Buffer.from(String(json.body.state ?? '')), {
      online: 'online',
      offline: 'offline',
    });
  }
  return statusOf(o.name, device, payload, { online: 'online', offline: 'offline' });
}

function state(o: PresetOptions, device: string, payload: Buffer, context: DecodeContext): Decoded {
  const json = jsonObject(o.name, payload);
  if (!json.ok) return json.rejected;
  const { body } = json;
  // last_seen (when enabled: ISO_8601, ISO_8601_local or epoch) is when the device was heard: the reading's time.
  const time = readingTime(o.name, 'last_seen', body.last_seen, o.timeZone, context);
  if (!time.ok) return time.rejected;
  const { ts, localZone } = time;
  const fields: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (NOT_READINGS.has(key) || isRecord(value)) continue;
    let n = numberOf(value);
    if (n === undefined) continue; // state "ON", action "single", battery_state "low": not numbers
    const metric = metricName(key);
    if (metric === 'voltage' && n > MILLIVOLTS_ABOVE) n = convert(n, 'mV');
    fields.push([metric, n]);
  }
  if (fields.length === 0)
    return ignore(o.name, `no numeric fields (${Object.keys(body).slice(0, 5).join(', ') || 'an empty object'})`);
  return checked(o.name, [{ device, sensor: o.sensor ?? 'zigbee', ts, fields }], context, localZone);
}
