/**
 * Tasmota (https://tasmota.github.io/docs/MQTT/): telemetry on tele/<topic>/SENSOR every TelePeriod,
 * one JSON object per device with an object per sensor, and the Last Will on tele/<topic>/LWT:
 *
 *   tele/th16/SENSOR  {"Time":"2018-03-02T18:25:03","AM2301":{"Temperature":22.6,"Humidity":32.4},"TempUnit":"C"}
 *   tele/th16/LWT     Online | Offline
 *
 * Device = the Tasmota topic; sensor = each sensor's key in lower case (am2301, ds18b20-1, energy);
 * metrics = its numeric fields in snake case. "Time" is local time without an offset (unless SetOption52
 * adds one): it is read in the source's time zone, which must be Tasmota's.
 */

import { statusOf } from './availability.js';
import { convert, legalName, metricName, numberOf } from './mapping.js';
import {
  checked,
  ignore,
  isRecord,
  jsonObject,
  readingTime,
  type DecodeContext,
  type Decoded,
  type MappedReading,
  type Source,
} from './source.js';
import type { PresetOptions } from './presets.js';

/** Tasmota's field names that pimonitor knows under another name. */
const ALIASES: Readonly<Record<string, string>> = {
  CarbonDioxide: 'co2',
  eCO2: 'eco2',
  Total: 'energy',
  Today: 'energy_today',
  Yesterday: 'energy_yesterday',
  Factor: 'power_factor',
  Period: 'energy_period', // Wh since the last TelePeriod
  Gas: 'gas_resistance', // BME680, kΩ
};
/** Top-level fields that describe the message, not a sensor. */
const MESSAGE_FIELDS = new Set(['Time', 'TempUnit', 'PressureUnit', 'SpeedUnit']);
const isTemperature = (metric: string) =>
  metric === 'temperature' || metric === 'dew_point' || metric.endsWith('_temperature');
const isPressure = (metric: string) => metric === 'pressure' || metric === 'sea_pressure';

export function tasmota(o: PresetOptions): Source {
  const prefix = o.prefix ?? 'tele';
  const at = prefix.split('/').length;
  return {
    name: o.name,
    preset: 'tasmota',
    filters: [`${prefix}/+/SENSOR`, `${prefix}/+/LWT`],
    deviceKey: (topic) => topic.split('/')[at] ?? '',
    decode(topic, payload, context) {
      const levels = topic.split('/');
      const device = `${o.devicePrefix}${legalName(levels[at] ?? '')}`;
      switch (levels[at + 1]) {
        case 'LWT':
          return statusOf(o.name, device, payload, { online: 'Online', offline: 'Offline' });
        case 'SENSOR':
          return sensors(o, device, payload, context);
        default:
          return ignore(o.name, `${levels[at + 1]} is not telemetry`);
      }
    },
  };
}

function sensors(o: PresetOptions, device: string, payload: Buffer, context: DecodeContext): Decoded {
  const json = jsonObject(o.name, payload);
  if (!json.ok) return json.rejected;
  const { body } = json;
  const time = readingTime(o.name, 'Time', body.Time, o.timeZone, context);
  if (!time.ok) return time.rejected;
  const { ts, localZone } = time;
  const tempUnit = body.TempUnit === 'F' ? 'F' : body.TempUnit === 'K' ? 'K' : 'C';
  const pressureUnit = body.PressureUnit === 'mmHg' || body.PressureUnit === 'inHg' ? body.PressureUnit : 'hPa';
  const mapped: MappedReading[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (MESSAGE_FIELDS.has(key) || !isRecord(value)) continue;
    const fields: Array<[string, unknown]> = [];
    for (const [field, raw] of Object.entries(value)) {
      const metric = ALIASES[field] ?? metricName(field);
      const values = Array.isArray(raw)
        ? raw.map((v, i) => [`${metric}_${i + 1}`, v] as const)
        : [[metric, raw] as const];
      for (const [name, v] of values) {
        let n = numberOf(v);
        if (n === undefined) continue; // Ids and texts ("Id":"01144A0CB2AA") are not readings
        if (isTemperature(name)) n = convert(n, tempUnit);
        else if (isPressure(name)) n = convert(n, pressureUnit);
        fields.push([name, n]);
      }
    }
    if (fields.length > 0) mapped.push({ device, sensor: legalName(key).toLowerCase(), ts, fields });
  }
  if (mapped.length === 0)
    return ignore(o.name, `no sensor values in ${Object.keys(body).slice(0, 5).join(', ') || 'an empty object'}`);
  return checked(o.name, mapped, context, localZone);
}
