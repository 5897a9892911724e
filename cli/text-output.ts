/** Pure formatting for the operators' commands: tables, sizes, ages, a progress line. */

/** Columns padded to their widest cell; numbers (cells starting with a digit or sign) aligned right. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) =>
    rows.length > 0 && rows.every((row) => /^[-+~≈]?\d/.test(row[i] ?? '') || (row[i] ?? '') === '-'));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];
/** 1536 → "1.5 kB" (powers of 1000, as disks are sold). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

/** 75_000 → "1 min"; negative ages (a clock ahead) read "in 1 min". */
export function formatAge(ms: number): string {
  if (ms < 0) return `in ${formatAge(-ms)}`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A date as YYYY-MM-DD (UTC). */
export const formatDay = (d: Date): string => d.toISOString().slice(0, 10);

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "[#########...........]  45%  1,234,567 rows  12 s" for a terminal line of about `width` characters. */
export function progressLine(fraction: number, rows: number, elapsedMs: number, width = 30): string {
  const done = Math.min(Math.max(Number.isFinite(fraction) ? fraction : 0, 0), 1);
  const filled = Math.round(done * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = `${String(Math.floor(done * 100)).padStart(3)}%`;
  return `${bar} ${percent}  ${formatCount(rows)} rows  ${Math.round(elapsedMs / 1000)} s`;
}
