import type { Range } from '../shared/contract.js';
import { roundPublished, type Readings } from './drivers/types.js';

/** Why a reading is outside its sensor's physical range (e.g. the 123 %RH of a DHT22 glitch), or null. Pure. */
export function rangeProblem(readings: Readings, ranges: Readonly<Record<string, Range>> = {}): string | null {
  for (const [metric, value] of Object.entries(readings)) {
    const range = ranges[metric];
    if (!Number.isFinite(value)) return `${metric} is not a number`;
    if (range && (value < range[0] || value > range[1])) return `${metric} ${value} outside ${range[0]}..${range[1]}`;
  }
  return null;
}

/** Adds per-metric calibration offsets (a DHT22 that reads 0.7 °C high gets -0.7). Pure. */
export function calibrate(readings: Readings, offsets: Readonly<Record<string, number>>): Readings {
  const out: Readings = {};
  for (const [metric, value] of Object.entries(readings)) {
    out[metric] = roundPublished(value + (offsets[metric] ?? 0));
  }
  return out;
}

/**
 * Drops readings that jump further than a metric can really change: up to `maxChangePerMinute`
 * times the minutes since the last accepted value (at least one minute's worth). A jump that the next
 * reading confirms is a real change and is accepted; a glitch is not repeated.
 */
export class SpikeFilter {
  private last = new Map<string, { value: number; at: number }>();
  private suspect = new Map<string, number>();

  constructor(private readonly maxChangePerMinute: Readonly<Record<string, number>>) {}

  /** Null if believable (and remembered), else why not. */
  check(readings: Readings, atMs: number): string | null {
    for (const [metric, value] of Object.entries(readings)) {
      const limit = this.maxChangePerMinute[metric];
      const last = this.last.get(metric);
      if (limit === undefined || !last) continue;
      const allowed = limit * Math.max(1, (atMs - last.at) / 60_000);
      if (Math.abs(value - last.value) <= allowed) continue;
      const suspect = this.suspect.get(metric);
      if (suspect !== undefined && Math.abs(value - suspect) <= limit) continue;
      this.suspect.set(metric, value);
      return `${metric} jumped from ${last.value} to ${value}, more than ${limit} a minute`;
    }
    for (const [metric, value] of Object.entries(readings)) {
      this.last.set(metric, { value, at: atMs });
      this.suspect.delete(metric);
    }
    return null;
  }
}
