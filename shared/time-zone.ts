/** Wall clocks of IANA time zones, with Intl only (no time-zone database of our own). Pure. */

/** The instant at which clocks in `tz` show `wall` (given as if it were UTC). In a gap, the time after it. */
export function wallClockToInstant(wall: number, tz: string): number {
  let instant = wall - offsetMs(wall, tz);
  instant = wall - offsetMs(instant, tz);
  return instant;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone: making one costs far more than using it, and an export formats every row. */
function formatterOf(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
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

/** Whether Intl knows the zone (IANA names such as Europe/Berlin, and UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
