import type { Gap, OfflineSpell } from './data.js';

/** What a series or device missed in a period: silences, coverage and offline spells. Pure. */

/** The 5-minute rollups' bucket: a silence shorter than this at the end is no more than a reading not due yet. */
const FIVE_MIN = 300_000;

export interface GapEdges {
  /** Silences between readings (parallel arrays: each from one reading to the next). */
  gapFrom: Date[];
  gapTo: Date[];
  /** The series' first and last reading in the period. */
  firstAt: Date;
  lastAt: Date;
  /** When the series was created. */
  seriesStart: Date;
  /** The period's start, and the end of what could be observed in it. */
  from: Date;
  until: Date;
}

/**
 * Silences longer than `minMs`: between readings, and at the edges: from the period's start (when the
 * series existed) and until its end.
 */
export function gapsOf(
  { gapFrom, gapTo, firstAt, lastAt, seriesStart, from, until }: GapEdges, minMs: number,
): Gap[] {
  const gaps: Gap[] = [];
  const add = (start: Date, end: Date) => {
    const ms = end.getTime() - start.getTime();
    if (ms > minMs) gaps.push({ from: start, to: end, ms });
  };
  if (seriesStart < from) add(from, firstAt);
  gapFrom.forEach((start, i) => add(start, gapTo[i]!));
  // The silence still going on at the end is only one when it is longer than the gap and a reading was due.
  if (until.getTime() - lastAt.getTime() > Math.max(minMs, FIVE_MIN)) add(lastAt, until);
  return gaps;
}

/**
 * Readings received against those expected at the typical spacing over `observedMs` (the time the series
 * existed in the period and could be seen), at most 1; null when the spacing is unknown.
 */
export function coverageOf(count: number, spacingMs: number | null, observedMs: number): number | null {
  const expected = spacingMs && spacingMs > 0 ? observedMs / spacingMs : null;
  return expected ? Math.min(1, count / Math.max(1, Math.round(expected))) : null;
}

/**
 * Offline spells from status changes in time order per device (the first may be the state before `from`,
 * which then starts at `from`); a spell still open at the end has `to` null.
 */
export function offlineSpells(
  rows: readonly { device: string; at: Date; status: string }[], from: Date,
): OfflineSpell[] {
  const spells: OfflineSpell[] = [];
  const open = new Map<string, OfflineSpell>();
  for (const row of rows) {
    if (row.status === 'offline' && !open.has(row.device)) {
      const spell = { device: row.device, from: row.at < from ? from : row.at, to: null };
      open.set(row.device, spell);
      spells.push(spell);
    } else if (row.status === 'online' && open.has(row.device)) {
      open.get(row.device)!.to = row.at;
      open.delete(row.device);
    }
  }
  return spells;
}
