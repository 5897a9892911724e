/**
 * The one reader of ISO 8601 times for every sender: the contract's `ts` (shared/contract.ts) and the
 * times of other projects' devices (shared/sources: Tasmota's Time, Zigbee2MQTT's last_seen, …). It
 * checks what Date.parse does not: a calendar date that exists (2026-02-31 is refused, not rolled over
 * to 3 March), hours, minutes and seconds in range, an offset of at most ±23:59, and the range of
 * instants pimonitor stores. Pure: a value or a reason, never a throw.
 */

/** A Pi without a real-time clock boots in 1970 or at its last shutdown; nothing real predates this. */
export const EARLIEST_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/**
 * The last instant a time may name. A JavaScript Date holds ±8.64e15 ms and PostgreSQL's timestamptz
 * up to 294276 AD, but ISO 8601 with a four-digit year ends here, and nothing a sensor reports is later.
 */
export const LATEST_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Date and time (T, or a space for a local time), seconds and up to 9 decimals optional, then the offset if any.
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * An ISO 8601 time as its wall-clock fields read as UTC (`wallMs`) and its offset from UTC, or null
 * when it has none (a local time, to be read in a zone). `instantMs` is the instant when there is an
 * offset. Fractions below a millisecond are cut off, as Date.parse does.
 */
export type IsoTime =
  | { ok: true; wallMs: number; offsetMs: number | null; instantMs: number | null }
  | { ok: false; problem: 'format' | 'date' };

export function parseIsoTime(text: string): IsoTime {
  const match = ISO_TIME.exec(text);
  // A space between date and time is only the local form's (Zigbee2MQTT, SQL); with an offset it is T.
  if (!match || (match[4] === ' ' && match[9] !== undefined)) return { ok: false, problem: 'format' };
  const fields = [match[1], match[2], match[3], match[5], match[6], match[7]];
  const [year, month, day, hour, minute, second = 0] = fields.map((field) => Number(field ?? 0)) as number[];
  const ms = Math.floor(Number(`0.${match[8] ?? '0'}`) * 1000);
  const wall = new Date(0);
  // The last day of the month: not Date.UTC, which reads years 0-99 as 1900-1999.
  wall.setUTCFullYear(year!, month!, 0);
  const dateInRange = month! >= 1 && month! <= 12 && day! >= 1 && day! <= wall.getUTCDate();
  if (!dateInRange || hour! > 23 || minute! > 59 || second > 59) return { ok: false, problem: 'date' };
  wall.setUTCFullYear(year!, month! - 1, day!);
  wall.setUTCHours(hour!, minute!, second, ms);
  const wallMs = wall.getTime();
  if (match[9] === undefined) return { ok: true, wallMs, offsetMs: null, instantMs: null };
  const [offsetHours, offsetMinutes] = [Number(match[11] ?? 0), Number(match[12] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) return { ok: false, problem: 'date' };
  const offsetMs = (match[10] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return { ok: true, wallMs, offsetMs, instantMs: wallMs - offsetMs };
}

/**
 * Why the instant `ms` cannot be a reading's time, or null: not a number or after the year 9999
 * (`timestamp`), or before 2000 (`clock`: the sender's clock is not set). The reason starts with
 * `label` (ts, time) and quotes `shown` where the instant has no ISO form.
 */
export function instantProblem(
  ms: number,
  label: string,
  shown: string,
): { code: 'timestamp' | 'clock'; reason: string } | null {
  if (!(ms <= LATEST_TIMESTAMP_MS)) {
    const why = Number.isNaN(ms) ? 'not a valid date' : 'after the year 9999: not a valid date';
    return { code: 'timestamp', reason: `${label} ${shown} is ${why}` };
  }
  if (ms < EARLIEST_TIMESTAMP_MS) {
    const when = ms >= -8.64e15 ? new Date(ms).toISOString() : shown;
    return { code: 'clock', reason: `${label} ${when} is before 2000-01-01: the sender's clock is not set` };
  }
  return null;
}
