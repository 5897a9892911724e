import type { Reader } from '../alerts/words.js';
import { METRIC_PATTERN, nameProblem } from '../shared/contract.js';
import type { Parsed } from '../shared/parse-helpers.js';
import { isTimeZone, machineTimeZone, timeZoneProblem } from '../shared/time-zone.js';
import { isTemperatureUnit, type TemperatureUnit } from '../shared/units.js';

/**
 * The query parameters of the JSON API, checked: a value, or every problem named (Parsed, as the
 * configuration's parsers give). Pure; never throws, whatever the query string holds.
 */

export interface HistoryQuery {
  device: string;
  sensor: string;
  metric?: string;
  from: Date;
  to: Date;
}

/** The longest range one history request may ask for. */
const MAX_RANGE_MS = 10 * 366 * 86_400_000;

/** A relative time's units (-30m, -12h, -7d, -2w). */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `from`/`to` as ISO 8601 or milliseconds since 1970; relative `-7d`, `-12h`, `-30m` from `now`. */
export function parseInstant(raw: string | null, now: Date, fallback: Date): Date | string {
  if (raw === null || raw === '') return fallback;
  const relative = /^-(\d{1,6})(m|h|d|w)$/.exec(raw);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  const ms = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(9999, 0, 1)) {
    return `${JSON.stringify(raw.slice(0, 40))} is not a time (ISO 8601, milliseconds, or -7d, -12h, -30m)`;
  }
  return new Date(ms);
}

export function parseHistoryQuery(params: URLSearchParams, now: Date): Parsed<HistoryQuery> {
  const problems: string[] = [];
  const device = params.get('device') ?? '';
  const sensor = params.get('sensor') ?? '';
  const metric = params.get('metric') ?? undefined;
  for (const [what, value] of [['device', device], ['sensor', sensor]] as const) {
    const problem = nameProblem(what, value);
    if (problem) problems.push(`${what}: ${problem}`);
  }
  if (metric !== undefined && !METRIC_PATTERN.test(metric)) {
    problems.push('metric: must be a metric name (letters, digits, _)');
  }
  const to = parseInstant(params.get('to'), now, now);
  const from = parseInstant(params.get('from'), now, new Date(now.getTime() - 86_400_000));
  if (typeof to === 'string') problems.push(`to: ${to}`);
  if (typeof from === 'string') problems.push(`from: ${from}`);
  if (typeof to !== 'string' && typeof from !== 'string') {
    if (from >= to) problems.push('from: must be before to');
    else if (to.getTime() - from.getTime() > MAX_RANGE_MS) problems.push('from: the range may span ten years at most');
  }
  if (problems.length > 0 || typeof to === 'string' || typeof from === 'string') return { ok: false, problems };
  return { ok: true, value: { device, sensor, ...(metric ? { metric } : {}), from, to } };
}

/**
 * The tier a chart of [from, to) reads, so a year costs what a day does: raw readings up to 6 hours,
 * 5-minute buckets up to 3 days (≤ 864 points), hourly up to 90 days (≤ 2,160), daily beyond.
 */
export function tierFor(from: Date, to: Date): 'raw' | '5m' | '1h' | '1d' {
  const ms = to.getTime() - from.getTime();
  if (ms <= 6 * 3_600_000) return 'raw';
  if (ms <= 3 * 86_400_000) return '5m';
  if (ms <= 90 * 86_400_000) return '1h';
  return '1d';
}

/** `?limit=` within [1, max], default `fallback`. */
export function parseLimit(raw: string | null, fallback: number, max: number): number {
  const limit = raw === null ? fallback : Number(raw);
  return Number.isInteger(limit) && limit >= 1 ? Math.min(limit, max) : fallback;
}

/**
 * `?temperatureUnit=C|F&tz=<IANA zone>`: how /api/alerts words its events (alerts/words.ts); by default
 * °C and this machine's zone. Problems, never a guess, for anything else.
 */
export function parseReader(params: URLSearchParams): Parsed<Reader> {
  const problems: string[] = [];
  const unit = params.get('temperatureUnit') ?? 'C';
  if (!isTemperatureUnit(unit)) problems.push(`temperatureUnit: must be C or F (was "${unit.slice(0, 20)}")`);
  const timeZone = params.get('tz') ?? machineTimeZone();
  if (!isTimeZone(timeZone)) {
    problems.push(timeZoneProblem('tz:', timeZone));
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { temperatureUnit: unit as TemperatureUnit, timeZone } };
}
