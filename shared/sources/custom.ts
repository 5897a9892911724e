/**
 * A mapping of your own, for a device no preset covers:
 *
 *   {"name": "weather", "topic": "weather/{device}/{sensor}", "metrics": {"temperature": "main.temp"},
 *    "units": {"temperature": "F"}, "time": "dt", "availability": {"topic": "weather/{device}/lwt"}}
 *
 * The topic names where device, sensor and metric come from ({device} is required; `+` matches a level
 * that names nothing); the payload is a JSON object (`metrics` maps each metric to a dotted path, or,
 * without it, every numeric top-level field is a metric) or a plain number (`"payload": "number"`, its
 * metric from {metric} or `metric`). Time from `time` (a path), else the receive time.
 */

import { levelsMatch } from '../topic-filter.js';
import { statusOf } from './availability.js';
import { convert, legalName, metricName, NUMBER_TEXT, numberOf, type Unit } from './mapping.js';
import {
  checked,
  ignore,
  isRecord,
  jsonObject,
  readingTime,
  reject,
  type Decoded,
  type DecodeContext,
  type Source,
} from './source.js';

export interface CustomOptions {
  name: string;
  topic: string;
  payload: 'json' | 'number';
  metrics?: Readonly<Record<string, string>>;
  metric?: string;
  sensor?: string;
  time?: string;
  timeZone: string;
  units: Readonly<Record<string, Unit>>;
  devicePrefix: string;
  availability?: { topic: string; online: string; offline: string };
}

const PLACEHOLDER = /^\{(device|sensor|metric)\}$/;

/** The subscription filter of a topic pattern: placeholders become +. */
export const filterOf = (pattern: string) =>
  pattern
    .split('/')
    .map((l) => (PLACEHOLDER.test(l) ? '+' : l))
    .join('/');

/** The placeholders' values when `topic` matches `pattern`, else null. */
export function matchPattern(pattern: string, topic: string): Record<string, string> | null {
  const found: Record<string, string> = {};
  const isWildcard = (level: string) => level === '+' || PLACEHOLDER.test(level);
  const capture = (level: string, value: string) => {
    const placeholder = PLACEHOLDER.exec(level);
    if (placeholder) found[placeholder[1]!] = value;
  };
  return levelsMatch(pattern.split('/'), topic.split('/'), isWildcard, capture) ? found : null;
}

const at = (value: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, key) => (isRecord(v) || Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );

export function custom(o: CustomOptions): Source {
  const filters = [filterOf(o.topic), ...(o.availability ? [filterOf(o.availability.topic)] : [])];
  return {
    name: o.name,
    preset: 'custom',
    filters,
    deviceKey: (topic) =>
      (matchPattern(o.topic, topic) ?? (o.availability && matchPattern(o.availability.topic, topic)) ?? {}).device ??
      '',
    decode(topic, payload, context) {
      // Availability first: its topic is the more specific one where both patterns match (weather/x/lwt).
      const lwt = o.availability && matchPattern(o.availability.topic, topic);
      if (lwt && o.availability)
        return statusOf(o.name, `${o.devicePrefix}${legalName(lwt.device ?? '')}`, payload, o.availability);
      const parts = matchPattern(o.topic, topic);
      if (parts) return reading(o, parts, payload, context);
      return ignore(o.name, 'the topic matches neither the reading nor the availability pattern');
    },
  };
}

function reading(o: CustomOptions, parts: Record<string, string>, payload: Buffer, context: DecodeContext): Decoded {
  const device = `${o.devicePrefix}${legalName(parts.device ?? '')}`;
  const sensor = parts.sensor !== undefined ? legalName(parts.sensor) : (o.sensor ?? o.name);
  const unitOf = (metric: string, n: number) => (o.units[metric] ? convert(n, o.units[metric]!) : n);
  if (o.payload === 'number') {
    const text = payload.toString('utf8').trim();
    const metric = parts.metric !== undefined ? metricName(parts.metric) : (o.metric ?? 'value');
    if (!NUMBER_TEXT.test(text))
      return reject(
        o.name,
        'metric',
        `${device}/${sensor}: ${metric} ${JSON.stringify(text.slice(0, 20))} is not a number`,
      );
    return checked(
      o.name,
      [{ device, sensor, ts: context.receivedAt, fields: [[metric, unitOf(metric, Number(text))]] }],
      context,
    );
  }
  const json = jsonObject(o.name, payload);
  if (!json.ok) return json.rejected;
  const raw = o.time ? at(json.body, o.time) : undefined;
  if (o.time && raw === undefined) return reject(o.name, 'timestamp', `the payload has no ${o.time}`);
  const time = readingTime(o.name, o.time ?? 'time', raw, o.timeZone, context);
  if (!time.ok) return time.rejected;
  const { ts, localZone } = time;
  const fields: Array<[string, unknown]> = [];
  const entries = o.metrics
    ? Object.entries(o.metrics).map(([metric, path]) => [metric, at(json.body, path)] as const)
    : Object.entries(json.body)
        .filter(([k]) => k !== o.time)
        .map(([k, v]) => [metricName(k), v] as const);
  for (const [metric, value] of entries) {
    const n = numberOf(value);
    if (n !== undefined) fields.push([metric, unitOf(metric, n)]);
    else if (o.metrics && value !== undefined) fields.push([metric, value]); // named, so its problem is reported
  }
  if (fields.length === 0)
    return reject(
      o.name,
      'shape',
      `${device}/${sensor}: none of ${o.metrics ? Object.values(o.metrics).join(', ') : 'the fields'} is a number`,
    );
  return checked(o.name, [{ device, sensor, ts, fields }], context, localZone);
}
