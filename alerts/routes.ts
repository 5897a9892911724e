import { isTimeZone, machineTimeZone, timeZoneProblem, wallClockOf, wallClockToInstant } from '../shared/time-zone.js';
import { isTemperatureUnit, TEMPERATURE_UNITS, type TemperatureUnit } from '../shared/units.js';
import { isName } from '../shared/contract.js';
import { durationField, parseNamedList, type Parsed } from '../shared/parse-helpers.js';
import { SEVERITIES, type Severity } from './rules.js';
import type { Reader } from './words.js';

/**
 * Where notifications go (`alerts.routes`): e-mail, a webhook (Alertmanager's JSON), ntfy, or MQTT.
 * Each route takes some severities, may send resolutions, repeats while firing, holds non-critical
 * messages through quiet hours, and waits `groupWait` so one room's alerts arrive as one message.
 * Parsing and planning are pure.
 */

export interface QuietHours {
  /** Minutes after local midnight; `from` > `to` spans midnight (22:00 to 07:00). */
  fromMinute: number;
  toMinute: number;
  timeZone: string;
  /** Severities that go out anyway. */
  except: Severity[];
}

interface RouteBase {
  name: string;
  severities: Severity[];
  sendResolved: boolean;
  /** While an alert fires, send it again this often; 0 never. */
  repeatIntervalMs: number;
  groupWaitMs: number;
  quietHours?: QuietHours;
  /** The unit its messages give temperatures in (issue 24, item 5); C unless it says F. */
  temperatureUnit: TemperatureUnit;
  /** The zone its messages give times in (IANA); the system's when absent. */
  timeZone?: string;
}

export type Route = RouteBase &
  (
    | { type: 'email'; to: string[] }
    | { type: 'webhook'; url: string; bearerToken?: string }
    | { type: 'ntfy'; url: string; token?: string }
    | { type: 'mqtt' }
  );

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const TYPE_KEYS: Record<Route['type'], string[]> = {
  email: ['to'],
  webhook: ['url', 'bearerToken'],
  ntfy: ['url', 'token'],
  mqtt: [],
};
const COMMON_KEYS = [
  'name',
  'type',
  'severities',
  'sendResolved',
  'repeatInterval',
  'groupWait',
  'quietHours',
  'temperatureUnit',
  'timeZone',
];

export function parseRoutes(raw: unknown): Parsed<Route[]> {
  return parseNamedList(raw, 'alerts.routes', 'route', parseRoute);
}

function parseRoute(item: unknown, problems: string[]): Route | null {
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    problems.push('must be an object with name and type');
    return null;
  }
  const r = item as Record<string, unknown>;
  const type = r.type as Route['type'];
  if (!Object.hasOwn(TYPE_KEYS, String(type))) {
    problems.push(`type: must be one of email, webhook, ntfy, mqtt (was ${JSON.stringify(r.type)?.slice(0, 40)})`);
    return null;
  }
  for (const key of Object.keys(r)) {
    if (!COMMON_KEYS.includes(key) && !TYPE_KEYS[type].includes(key))
      problems.push(`${key.slice(0, 40)}: not a setting of a ${type} route`);
  }
  if (!isName(r.name)) problems.push('name: must be 1 to 64 letters, digits, - or _');
  const name = isName(r.name) ? r.name : '';
  const severities = r.severities === undefined ? [...SEVERITIES] : severityList(r.severities, 'severities', problems);
  if (r.sendResolved !== undefined && typeof r.sendResolved !== 'boolean')
    problems.push('sendResolved: must be true or false');
  const duration = (key: string, fallback: number) => durationField(r, key, fallback, problems);
  if (r.temperatureUnit !== undefined && !isTemperatureUnit(r.temperatureUnit)) {
    const units = TEMPERATURE_UNITS.map((u) => `"${u}"`).join(' or ');
    problems.push(`temperatureUnit: must be ${units} (was ${JSON.stringify(r.temperatureUnit)?.slice(0, 40)})`);
  }
  const zoneProblem = timeZoneProblem('timeZone:', r.timeZone);
  const timeZone = zoneSetting(r.timeZone, undefined, zoneProblem, problems);
  const base: RouteBase = {
    name,
    severities,
    sendResolved: r.sendResolved !== false,
    repeatIntervalMs: duration('repeatInterval', 4 * 3_600_000),
    groupWaitMs: duration('groupWait', 30_000),
    quietHours: r.quietHours === undefined ? undefined : parseQuietHours(r.quietHours, timeZone, problems),
    temperatureUnit: r.temperatureUnit === 'F' ? 'F' : 'C',
    ...(timeZone ? { timeZone } : {}),
  };
  const url = (key: string): string => {
    const value = r[key];
    try {
      if (typeof value === 'string' && /^https?:$/.test(new URL(value).protocol)) return value;
    } catch {
      // named below
    }
    problems.push(`${key}: must be an http:// or https:// URL`);
    return '';
  };
  const secret = (key: string): string | undefined => {
    const value = r[key];
    if (value === undefined || (typeof value === 'string' && value)) return value;
    problems.push(`${key}: must be text`);
    return undefined;
  };
  switch (type) {
    case 'email': {
      const to = Array.isArray(r.to) ? r.to : typeof r.to === 'string' ? [r.to] : [];
      if (to.length === 0 || !to.every((a) => typeof a === 'string' && EMAIL.test(a)))
        problems.push('to: must be one or more e-mail addresses');
      return { ...base, type, to: to as string[] };
    }
    case 'webhook':
      return { ...base, type, url: url('url'), bearerToken: secret('bearerToken') };
    case 'ntfy':
      return { ...base, type, url: url('url'), token: secret('token') };
    case 'mqtt':
      return { ...base, type };
  }
}

function severityList(raw: unknown, key: string, problems: string[]): Severity[] {
  if (Array.isArray(raw) && raw.length > 0 && raw.every((s) => (SEVERITIES as readonly unknown[]).includes(s)))
    return raw as Severity[];
  problems.push(`${key}: must be a list of ${SEVERITIES.join(', ')}`);
  return [];
}

/** Quiet hours are in their own timeZone, else the route's, else UTC. */
function parseQuietHours(raw: unknown, routeTimeZone: string | undefined, problems: string[]): QuietHours | undefined {
  const q = (raw ?? {}) as Record<string, unknown>;
  const from = typeof q.from === 'string' ? CLOCK.exec(q.from) : null;
  const to = typeof q.to === 'string' ? CLOCK.exec(q.to) : null;
  if (!from || !to || q.from === q.to) {
    problems.push('quietHours: from and to must be different times of day as HH:MM, such as 22:00 and 07:00');
  }
  const zoneProblem = 'quietHours.timeZone: must be an IANA time zone such as Europe/Berlin';
  const timeZone =
    q.timeZone === undefined ? (routeTimeZone ?? 'UTC') : zoneSetting(q.timeZone, 'UTC', zoneProblem, problems);
  const except =
    q.except === undefined ? ['critical' as Severity] : severityList(q.except, 'quietHours.except', problems);
  if (!from || !to) return undefined;
  const minuteOf = (clock: RegExpExecArray) => Number(clock[1]) * 60 + Number(clock[2]);
  return { fromMinute: minuteOf(from), toMinute: minuteOf(to), timeZone, except };
}

/** A time zone setting: absent is `fallback`; one that names no zone is `problem` (and `fallback`). */
function zoneSetting<F extends string | undefined>(
  raw: unknown,
  fallback: F,
  problem: string,
  problems: string[],
): string | F {
  if (raw === undefined) return fallback;
  if (typeof raw === 'string' && isTimeZone(raw)) return raw;
  problems.push(problem);
  return fallback;
}

/** How a route's messages say things: its temperature unit, its time zone (the system's when it names none). */
export function readerOf(route: Pick<RouteBase, 'temperatureUnit' | 'timeZone'>): Reader {
  return { temperatureUnit: route.temperatureUnit, timeZone: route.timeZone ?? machineTimeZone() };
}

/** When quiet hours that contain `at` end, or null if `at` is outside them. Across a change of clocks too. */
export function quietUntil(q: QuietHours, at: number): number | null {
  const wall = wallClockOf(at, q.timeZone);
  const day = Math.floor(wall / 86_400_000) * 86_400_000;
  const minute = (wall - day) / 60_000;
  const inside =
    q.fromMinute < q.toMinute
      ? minute >= q.fromMinute && minute < q.toMinute
      : minute >= q.fromMinute || minute < q.toMinute;
  if (!inside) return null;
  const endDay = minute < q.toMinute ? day : day + 86_400_000;
  return wallClockToInstant(endDay + q.toMinute * 60_000, q.timeZone);
}

/** When a notification of this event through this route falls due, or null if the route does not take it. */
export function planNotification(
  route: Route,
  event: { type: 'fired' | 'resolved'; severity: Severity },
  at: number,
): number | null {
  if (!route.severities.includes(event.severity)) return null;
  if (event.type === 'resolved' && !route.sendResolved) return null;
  return dueThrough(route, event.severity, at);
}

/**
 * When a message this route takes falls due: after group wait, then after quiet hours unless its
 * severity goes out anyway. A resolution owed to a route that was notified of the firing uses this
 * directly: it is owed even if the route no longer takes that severity.
 */
export function dueThrough(route: Route, severity: Severity, at: number): number {
  const due = at + route.groupWaitMs;
  const quiet =
    route.quietHours && !route.quietHours.except.includes(severity) ? quietUntil(route.quietHours, due) : null;
  return quiet ?? due;
}
