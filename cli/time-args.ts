/**
 * Times on the command line: `now`, relative (`-7d`, `-12h`, `-30m`, `-2w`), or ISO 8601 (a date, or a
 * date and time, with or without an offset; without one it is a wall-clock time in `tz`). Pure: a
 * value or a reason, never an exception.
 */

import type { ParsedWithReason } from '../shared/parse-helpers.js';
import { wallClockToInstant } from '../shared/time-zone.js';

const RELATIVE = /^-(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseTimeArg(text: string, now: Date, tz: string): ParsedWithReason<Date> {
  const example = 'use now, -7d, -12h, 2026-11-01 or 2026-11-01T08:00:00+01:00';
  const bad = (why: string): ParsedWithReason<Date> => ({
    ok: false,
    reason: `"${text.slice(0, 60)}" is not a time: ${why}; ${example}`,
  });
  const trimmed = text.trim();
  if (trimmed === 'now') return { ok: true, value: now };
  const rel = RELATIVE.exec(trimmed);
  if (rel) {
    const value = new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
    return value.getTime() >= 0 ? { ok: true, value } : bad('that is before 1970');
  }
  const iso = ISO.exec(trimmed);
  if (!iso) return bad('unknown form');
  const [year, month, day, hour, minute, second] = iso.slice(1, 7).map((p) => (p === undefined ? 0 : Number(p))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const milli = iso[7] ? Number(iso[7].padEnd(3, '0')) : 0;
  if (year < 1970) return bad('the year is before 1970');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return bad('a field is out of range');
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  if (new Date(wall).getUTCDate() !== day) return bad('no such date');
  const offset = iso[8];
  if (offset === undefined) return { ok: true, value: new Date(wallClockToInstant(wall, tz)) };
  if (/^z$/i.test(offset)) return { ok: true, value: new Date(wall) };
  const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
  if (Number(hh) > 23 || Number(mm) > 59) return bad('the offset is out of range');
  return { ok: true, value: new Date(wall - (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000) };
}

export { formatInstant } from '../shared/time-zone.js';
