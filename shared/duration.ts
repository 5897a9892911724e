/** Durations in rules: `90s`, `5m`, `1h`, `2d`, combinations (`1h30m`), or milliseconds as a number. Pure. */

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A rule that waits longer than a year is a typo. */
const MAX_MS = 366 * 86_400_000;

export function parseDuration(raw: unknown): { ok: true; ms: number } | { ok: false; reason: string } {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) && raw >= 0 && raw <= MAX_MS
      ? { ok: true, ms: Math.round(raw) }
      : { ok: false, reason: `${raw} is not a duration between 0 and 366 days` };
  }
  if (typeof raw !== 'string' || !WHOLE.test(raw.trim())) {
    const shown = JSON.stringify(raw)?.slice(0, 40);
    return { ok: false, reason: `${shown} is not a duration; use 30s, 5m, 1h30m or milliseconds` };
  }
  let ms = 0;
  for (const [, n, unit] of raw.trim().matchAll(PART)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms <= MAX_MS ? { ok: true, ms: Math.round(ms) } : { ok: false, reason: `${raw} is longer than 366 days` };
}

/** 300000 → "5 min", 5400000 → "1 h 30 min": how messages say a duration. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const parts: string[] = [];
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  return parts.join(' ') || '0 s';
}
