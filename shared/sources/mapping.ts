/**
 * What every source needs to map another project's messages onto the contract: legal names, metric
 * names, units and times. Pure.
 */

import { NAME_CHARACTERS, nameProblem } from '../contract.js';
import { fnv1a } from '../partition.js';
import { offsetMs, wallClockToInstant } from '../time-zone.js';
import { instantProblem, parseIsoTime } from '../timestamp.js';

/** Room for the sanitised name before `_` and the hash. */
const KEPT = 64 - 7;

/** Six hex digits of the original name: the same in every process and after every restart. */
const hashOf = (text: string) => (fnv1a(text) >>> 8).toString(16).padStart(6, '0');

const NOT_NAME_CHARACTERS = new RegExp(`[^${NAME_CHARACTERS}]+`, 'g');

/**
 * A legal device or sensor name (1-64 of A-Z a-z 0-9 _ -) for a name another project allows. A name
 * that is legal already is kept as it is. Any other is made legal (`/` becomes `-`, every other
 * character outside the set `_`, runs of them one, none at the ends) and gets `_` and six hex digits of
 * a hash of the original, so two names that would read alike stay two devices: "Living Room",
 * "Living.Room" and "Living_Room" are Living_Room_<hash>, Living_Room_<another> and Living_Room.
 * Deterministic, without state: every process, and every restart, names a device alike.
 */
export function legalName(text: string): string {
  if (nameProblem('device', text) === null) return text;
  const sanitised = text
    .replace(/\//g, '-')
    .replace(NOT_NAME_CHARACTERS, '_')
    .replace(/([_-])[_-]+/g, '$1')
    .replace(/^[_-]+|[_-]+$/g, '');
  return `${(sanitised || 'x').slice(0, KEPT).replace(/[_-]+$/, '')}_${hashOf(text)}`;
}

/** A metric name from another project's field: "DewPoint" → dew_point, "PM2.5" → pm2_5, "1" → m1. */
export function metricName(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  const name = /^[a-z]/.test(snake) ? snake : `m${snake}`;
  return name.slice(0, 64);
}

/** Units a source may declare, each converted to the unit pimonitor stores for that kind of metric. */
export const UNIT_CONVERSIONS: Readonly<Record<string, (v: number) => number>> = {
  C: (v) => v,
  F: (v) => ((v - 32) * 5) / 9,
  K: (v) => v - 273.15,
  V: (v) => v,
  mV: (v) => v / 1000,
  kWh: (v) => v,
  Wh: (v) => v / 1000,
  hPa: (v) => v,
  Pa: (v) => v / 100,
  kPa: (v) => v * 10,
  mmHg: (v) => v * 1.333224,
  inHg: (v) => v * 33.863886,
};
export type Unit = keyof typeof UNIT_CONVERSIONS;
export const isUnit = (u: unknown): u is Unit => typeof u === 'string' && Object.hasOwn(UNIT_CONVERSIONS, u);

/** `value` in `unit` converted (to °C, V, kWh or hPa), rounded to 6 decimals so 70.9 °F is 21.611111 °C. */
export function convert(value: number, unit: Unit): number {
  if (unit === 'C' || unit === 'V' || unit === 'kWh' || unit === 'hPa') return value;
  return Math.round(UNIT_CONVERSIONS[unit]!(value) * 1e6) / 1e6;
}

/** A plain decimal number as text (ESPHome's states, number payloads): no hex, no Infinity, no spaces inside. */
export const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number from a JSON value: numbers as they are, true/false as 1/0; anything else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** `local`: the time had no offset and was read in the zone given (so a wrong zone shows as a clock error). */
export type TimeResult =
  { ok: true; ts: Date; local?: boolean } | { ok: false; code: 'timestamp' | 'clock'; reason: string };

/**
 * When a device says a reading was taken: epoch seconds (below 1e11, so until the year 5138) or
 * milliseconds, ISO 8601 with an offset, or ISO 8601 without one in `timeZone` (Tasmota's "Time",
 * Zigbee2MQTT's ISO_8601_local). The ISO forms, the calendar and the range are the contract's
 * (shared/timestamp.ts). A local time the clocks show twice (the autumn hour) is the one nearer the
 * receive time; one they skip (spring) is the time after the gap.
 */
export function instantOf(value: unknown, timeZone: string, receivedAt: Date): TimeResult {
  const shown = JSON.stringify(value)?.slice(0, 40) ?? String(value);
  let ms: number;
  let local = false;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      return { ok: false, code: 'timestamp', reason: `time ${value} is not epoch seconds or milliseconds` };
    ms = value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  } else if (typeof value === 'string') {
    const iso = parseIsoTime(value);
    if (!iso.ok)
      return {
        ok: false,
        code: 'timestamp',
        reason:
          iso.problem === 'date'
            ? `time ${shown} is not a valid date`
            : `time ${shown} is not ISO 8601 or epoch seconds or milliseconds`,
      };
    local = iso.instantMs === null;
    ms = iso.instantMs ?? localInstant(iso.wallMs, timeZone, receivedAt.getTime());
  } else {
    return { ok: false, code: 'timestamp', reason: `time ${shown} is not ISO 8601 or epoch seconds or milliseconds` };
  }
  const problem = instantProblem(ms, 'time', shown);
  if (problem) return { ok: false, ...problem };
  return local ? { ok: true, ts: new Date(ms), local } : { ok: true, ts: new Date(ms) };
}

const HALF_DAY_MS = 12 * 3_600_000;

function localInstant(wall: number, timeZone: string, receivedMs: number): number {
  // The offsets in force half a day either side cover any one change; keep those that give back `wall`.
  const offsets = new Set([offsetMs(wall - HALF_DAY_MS, timeZone), offsetMs(wall + HALF_DAY_MS, timeZone)]);
  const candidates = [...offsets]
    .map((offset) => ({ offset, instant: wall - offset }))
    .filter(({ offset, instant }) => offsetMs(instant, timeZone) === offset)
    .map(({ instant }) => instant);
  if (candidates.length === 0) return wallClockToInstant(wall, timeZone);
  return candidates.reduce((best, c) => (Math.abs(c - receivedMs) < Math.abs(best - receivedMs) ? c : best));
}
