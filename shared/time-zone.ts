/** Wall clocks of IANA time zones, with Intl only (no time-zone database of our own). Pure. */

/**
 * The instant at which clocks in `tz` show `wall` (given as if it were UTC). In a gap, the time after it.
 */
export function wallClockToInstant(wall: number, tz: string): number {
  let instant = wall - offsetMs(wall, tz);
  instant = wall - offsetMs(instant, tz);
  return instant;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone: making one costs far more than using it, and an export formats every row. */
function formatterOf(tz: string): Intl.DateTimeFormat {
  let formatter = formatters.get(tz);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, formatter);
  }
  return formatter;
}

/** How far `tz` is ahead of UTC at `instant`, in ms. */
export function offsetMs(instant: number, tz: string): number {
  const parts = formatterOf(tz).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The wall clock in `tz` at `instant`, as if it were UTC (so getUTCHours() is the local hour). */
export function wallClockOf(instant: number, tz: string): number {
  return instant + offsetMs(instant, tz);
}

/** This machine's zone (TZ, else the system's), UTC when Intl cannot tell. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Whether Intl knows the zone (IANA names such as Europe/Berlin, and UTC). UTC is answered without
 * Intl: every command checks the configuration's zones, mostly UTC, and a first Intl.DateTimeFormat
 * with a zone maps in about 8 MiB of ICU data, a seventh of a sensor node's memory.
 */
export function isTimeZone(name: string): boolean {
  if (name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * What a setting, option or parameter named `field` is told when `value` is not a zone. The value is
 * shown as JSON, at most 60 characters of it: it may be anything a configuration file or a URL holds.
 */
export function timeZoneProblem(field: string, value: unknown): string {
  const shown = JSON.stringify(value)?.slice(0, 60) ?? String(value);
  return `${field} ${shown} is not a time zone; use an IANA name such as Europe/Berlin or UTC`;
}

const QUARTER_HOUR_MS = 900_000;
let lastOffset = { tz: '', quarter: NaN, offset: 0 };
/**
 * offsetMs, remembered for the quarter hour: zones change offset only on quarter hours, and an export
 * formats rows in time order, so nearly every row hits (formatToParts costs microseconds a call).
 */
function cachedOffsetMs(instant: number, tz: string): number {
  const quarter = Math.floor(instant / QUARTER_HOUR_MS);
  if (lastOffset.tz !== tz || lastOffset.quarter !== quarter) {
    lastOffset = { tz, quarter, offset: offsetMs(quarter * QUARTER_HOUR_MS, tz) };
  }
  return lastOffset.offset;
}

/** ISO 8601 in `tz` with its offset (2026-11-25T17:03:00+01:00); `UTC` gives the Z form. */
export function formatInstant(date: Date, tz: string): string {
  if (tz === 'UTC') return date.toISOString().replace('.000Z', 'Z');
  const offset = cachedOffsetMs(date.getTime(), tz);
  const local = new Date(date.getTime() + offset).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  const ms = date.getUTCMilliseconds();
  const fraction = ms ? `.${String(ms).padStart(3, '0')}` : '';
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const minutes = String(abs % 60).padStart(2, '0');
  return `${local}${fraction}${sign}${hours}:${minutes}`;
}
