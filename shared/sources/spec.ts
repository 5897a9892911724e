/**
 * The `ingest.sources` setting (INGEST_SOURCES): preset names ("tasmota,zigbee2mqtt"), or a JSON list
 * of names and objects ({"preset": "tasmota", "timeZone": "Europe/Berlin"}, or a custom mapping). Pure:
 * sources or every problem, named by the source's number and name; never an exception.
 */

import { METRIC_PATTERN, NAME_CHARACTERS, NAME_PATTERN } from '../contract.js';
import { parseNamedList, type Parsed } from '../parse-helpers.js';
import { isTimeZone, machineTimeZone } from '../time-zone.js';
import { custom, type CustomOptions } from './custom.js';
import { isUnit, UNIT_CONVERSIONS, type Unit } from './mapping.js';
import { isPreset, PRESET_NAMES, PRESETS, type PresetOptions } from './presets.js';
import type { Source } from './source.js';
import { fenced, HOME_ASSISTANT_PREFIX, OWN_ROOTS } from './territory.js';

const DEVICE_PREFIX = new RegExp(`^[${NAME_CHARACTERS}]{0,32}$`);
const PRESET_KEYS = ['preset', 'name', 'prefix', 'devicePrefix', 'timeZone', 'temperatureUnit', 'sensor'];
const CUSTOM_KEYS = [
  'preset',
  'name',
  'topic',
  'payload',
  'metrics',
  'metric',
  'sensor',
  'time',
  'timeZone',
  'units',
  'devicePrefix',
  'availability',
];
/** Topic roots that are pimonitor's own or Home Assistant's: a source there would read them twice. */
const RESERVED_ROOTS = [...OWN_ROOTS, HOME_ASSISTANT_PREFIX];

/**
 * `discoveryPrefix`: Home Assistant's (node.discovery.prefix), left out of every wildcard with
 * pimonitor's trees and the other sources' roots (shared/sources/territory.ts).
 */
export function parseSources(raw: unknown, defaultTimeZone: string, discoveryPrefix?: string): Parsed<Source[]> {
  if (raw === '' || raw === undefined || raw === null) return { ok: true, value: [] };
  const list =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw;
  // A preset's name is the preset's unless given, so problems are labelled with it too.
  const withName = (item: unknown) =>
    typeof item === 'string'
      ? { preset: item, name: item }
      : item && typeof item === 'object' && !('name' in item) && 'preset' in item && typeof item.preset === 'string'
        ? { ...item, name: item.preset }
        : item;
  const named = Array.isArray(list) ? list.map(withName) : list;
  const parsed = parseNamedList(named, 'ingest.sources', 'source', (item, problems) =>
    parseSource(item, defaultTimeZone, problems),
  );
  return parsed.ok ? { ok: true, value: fenced(parsed.value, discoveryPrefix) } : parsed;
}

/**
 * The configured sources with times read in this machine's zone unless a source names one; throws what
 * the configuration check already named.
 */
export function configuredSources(raw: unknown, discoveryPrefix: string): Source[] {
  const parsed = parseSources(raw, machineTimeZone(), discoveryPrefix);
  if (!parsed.ok) throw new Error(`ingest.sources: ${parsed.problems.join('; ')}`);
  return parsed.value;
}

function parseSource(item: unknown, defaultTimeZone: string, problems: string[]): Source | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    problems.push(`must be a preset name (${PRESET_NAMES.join(', ')}) or an object`);
    return null;
  }
  const s = item as Record<string, unknown>;
  if (s.preset !== undefined && s.preset !== 'custom' && !isPreset(s.preset)) {
    problems.push(
      `preset: ${JSON.stringify(s.preset)?.slice(0, 40)} is not one of ${PRESET_NAMES.join(', ')} ` +
        '(or leave it out and give a topic for a mapping of your own)',
    );
    return null;
  }
  const isCustom = s.preset === undefined || s.preset === 'custom';
  const keys = isCustom ? CUSTOM_KEYS : PRESET_KEYS;
  for (const key of Object.keys(s))
    if (!keys.includes(key))
      problems.push(
        `${key}: not a setting of ${isCustom ? 'a custom source' : 'a preset'} (settings: ${keys.join(', ')})`,
      );
  const name = s.name ?? (isCustom ? undefined : s.preset);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name))
    problems.push('name: must be 1 to 64 letters, digits, - or _');
  const devicePrefix = s.devicePrefix ?? '';
  if (typeof devicePrefix !== 'string' || !DEVICE_PREFIX.test(devicePrefix))
    problems.push('devicePrefix: must be up to 32 letters, digits, - or _ (e.g. "z-")');
  const timeZone = s.timeZone ?? defaultTimeZone;
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone))
    problems.push(
      `timeZone: ${JSON.stringify(s.timeZone)?.slice(0, 40)} is not an IANA time zone such as Europe/Berlin`,
    );
  const sensor = optionalName(s.sensor, 'sensor', problems);
  const common = { name: name as string, devicePrefix: devicePrefix as string, timeZone: timeZone as string, sensor };
  if (isCustom) return parseCustom(s, common, problems);
  if (s.temperatureUnit !== undefined && !['C', 'F', 'K'].includes(s.temperatureUnit as string))
    problems.push('temperatureUnit: must be C, F or K');
  const prefix = s.prefix === undefined ? undefined : topicPath(s.prefix, 'prefix', problems);
  const options: PresetOptions = { ...common, prefix, temperatureUnit: s.temperatureUnit as Unit | undefined };
  return problems.length ? null : PRESETS[s.preset as keyof typeof PRESETS](options);
}

function parseCustom(
  s: Record<string, unknown>,
  common: Pick<CustomOptions, 'name' | 'devicePrefix' | 'timeZone' | 'sensor'>,
  problems: string[],
): Source | null {
  const topic = topicPattern(s.topic, 'topic', problems);
  const payload = s.payload ?? 'json';
  if (payload !== 'json' && payload !== 'number')
    problems.push('payload: must be "json" (an object) or "number" (a plain number)');
  const metrics =
    s.metrics === undefined ? undefined : stringMap(s.metrics, 'metrics', 'a dotted path such as main.temp', problems);
  const units =
    s.units === undefined
      ? {}
      : stringMap(s.units, 'units', `one of ${Object.keys(UNIT_CONVERSIONS).join(', ')}`, problems, isUnit);
  const metric = optionalName(s.metric, 'metric', problems, METRIC_PATTERN);
  if (s.time !== undefined && (typeof s.time !== 'string' || s.time === ''))
    problems.push('time: must be the dotted path of the time in the payload');
  let availability: CustomOptions['availability'];
  if (s.availability !== undefined) {
    const a = s.availability as Record<string, unknown>;
    if (a === null || typeof a !== 'object')
      problems.push('availability: must be an object {"topic": …, "online": …, "offline": …}');
    else {
      const at = topicPattern(a.topic, 'availability.topic', problems);
      const words = { online: a.online ?? 'online', offline: a.offline ?? 'offline' };
      if (typeof words.online !== 'string' || typeof words.offline !== 'string')
        problems.push('availability: online and offline must be texts');
      availability = { topic: at ?? '', online: String(words.online), offline: String(words.offline) };
    }
  }
  if (problems.length || !topic) return null;
  return custom({
    ...common,
    topic,
    payload: payload as 'json' | 'number',
    metrics,
    metric,
    time: s.time as string | undefined,
    units: units as Record<string, Unit>,
    availability,
  });
}

function optionalName(v: unknown, key: string, problems: string[], pattern = NAME_PATTERN): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && pattern.test(v)) return v;
  problems.push(
    `${key}: must be 1 to 64 letters, digits${pattern === NAME_PATTERN ? ', - or _' : ' or _, starting with a letter'}`,
  );
  return undefined;
}

function stringMap(
  v: unknown,
  key: string,
  what: string,
  problems: string[],
  valid: (x: unknown) => boolean = (x) => typeof x === 'string' && x !== '',
): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${key}: must be an object of metric: ${what}`);
    return {};
  }
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [k, x] of entries) {
    if (!METRIC_PATTERN.test(k))
      problems.push(`${key}: "${k.slice(0, 40)}" is not a metric name (a letter, then letters, digits or _)`);
    if (!valid(x)) problems.push(`${key}.${k.slice(0, 40)}: must be ${what}`);
  }
  if (key === 'metrics' && entries.length === 0)
    problems.push('metrics: name at least one metric, or leave it out to take every numeric field');
  return Object.fromEntries(entries) as Record<string, string>;
}

/** A fixed topic path (no wildcards, no empty level, not $-prefixed, not one of pimonitor's roots). */
function topicPath(v: unknown, key: string, problems: string[]): string | undefined {
  if (
    typeof v !== 'string' ||
    v === '' ||
    v.split('/').some((l) => l === '' || /[+#\u0000]/.test(l)) ||
    v.startsWith('$') ||
    v.length > 200
  ) {
    problems.push(`${key}: must be topic levels without wildcards, such as tele or zigbee2mqtt`);
    return undefined;
  }
  if (RESERVED_ROOTS.includes(v.split('/')[0]!))
    problems.push(`${key}: ${v.split('/')[0]}/ is pimonitor's own topic tree`);
  return v;
}

/** A custom topic pattern: levels of text, +, {device}, {sensor}, {metric}, # last; {device} required. */
function topicPattern(v: unknown, key: string, problems: string[]): string | undefined {
  const help = 'a topic pattern such as weather/{device}/{sensor} ({device} required; + and a final # allowed)';
  if (typeof v !== 'string' || v === '' || v.length > 200 || v.startsWith('$')) {
    problems.push(`${key}: must be ${help}`);
    return undefined;
  }
  const levels = v.split('/');
  const bad = levels.find(
    (l, i) =>
      l === '' ||
      (l === '#'
        ? i !== levels.length - 1
        : /[+#{}\u0000]/.test(l) && l !== '+' && !/^\{(device|sensor|metric)\}$/.test(l)),
  );
  if (bad !== undefined)
    problems.push(`${key}: level "${bad.slice(0, 40)}" is not text, +, #, {device}, {sensor} or {metric}`);
  if (!levels.includes('{device}')) problems.push(`${key}: has no {device} level`);
  for (const p of ['{device}', '{sensor}', '{metric}'])
    if (levels.filter((l) => l === p).length > 1) problems.push(`${key}: ${p} appears twice`);
  if (RESERVED_ROOTS.includes(levels[0]!)) problems.push(`${key}: ${levels[0]}/ is pimonitor's own topic tree`);
  // A pattern starting with + or {device} also matches home/…: allowed, because decode.ts asks the contract first.
  return bad === undefined ? v : undefined;
}
