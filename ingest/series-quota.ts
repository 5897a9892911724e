import type { Metric, Reading } from '../shared/contract.js';
import type { Item } from './batcher.js';

/** The setting a refusal names, so whoever reads rejected_messages knows what to raise (config/ingest.ts). */
export const SERIES_QUOTA_SETTING = 'INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR';
export const SERIES_QUOTA_WINDOW_MS = 60 * 60_000;

/**
 * A series as the database has it, for seeding: how long ago it was created by the database's clock
 * (null when it predates schema version 9).
 */
export interface KnownSeries {
  device: string;
  sensor: string;
  metric: string;
  ageMs: number | null;
}

/** What admit() decided for one message. */
export interface Admission {
  /** The item as it is to be stored: unchanged, without the refused readings (and a refusal), or a rejection. */
  item: Item;
  /** New series admitted (counted against their device's hour). */
  created: number;
  /** Readings refused, one per metric value. */
  refused: number;
  /** Set on a device's first refusal since it last created a series: when the hour has room again. */
  reached?: { device: string; until: Date };
}

interface DeviceWindow {
  /** Receive times (ms) of the series created in the window, oldest first; never more than the limit. */
  times: number[];
  refusing: boolean;
}

/**
 * The quota of new series per device per hour (issue 23: one device account made 96,338 series in
 * 0.7 s). A series ingest knows costs a lookup (device, sensor, metric); only a series not known yet is counted, in a
 * sliding hour of receive time (the spool's receivedAt, so a replay decides as the first pass did).
 * It keeps every series key it knows (seeded from the database at start, then each one it admits), and
 * per device the creation times of the last hour. Not pure, but no clock and no I/O: time is each
 * message's receive time, so tests drive it with plain numbers.
 */
export class SeriesQuota {
  /** device → sensor → metrics: no key string is built per reading, unlike rows.ts seriesKey. */
  private readonly known = new Map<string, Map<string, Set<string>>>();
  private knownCount = 0;
  private readonly windows = new Map<string, DeviceWindow>();
  private lastSweepMs = -Infinity;

  constructor(
    readonly limit: number,
    private readonly windowMs = SERIES_QUOTA_WINDOW_MS,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new Error(`the series quota must be a whole number of at least 1, not ${limit}`);
    }
  }

  /**
   * The series the database has; those created less than an hour ago count against their device, as if
   * received at `nowMs` minus their age. After a restart the hour goes on where it was.
   */
  seed(series: Iterable<KnownSeries>, nowMs: number): void {
    const recent: Array<[string, number]> = [];
    for (const { device, sensor, metric, ageMs } of series) {
      this.learn(device, sensor, metric);
      if (ageMs !== null && ageMs < this.windowMs) recent.push([device, nowMs - Math.max(0, ageMs)]);
    }
    recent.sort((a, b) => a[1] - b[1]);
    for (const [device, at] of recent) this.record(this.windowOf(device), at);
  }

  get knownSeries(): number {
    return this.knownCount;
  }

  /** Decides one message at its receive time; anything but readings passes unchanged. */
  admit(item: Item): Admission {
    const { entry, message } = item;
    if (entry.kind !== 'readings') return { item, created: 0, refused: 0 };
    if (this.allKnown(entry.readings)) return { item, created: 0, refused: 0 };
    const at = entry.receivedAt.getTime();
    this.sweep(at);
    let created = 0;
    let kept: Reading[] | undefined; // set at the first refusal: the readings so far, then only what is kept
    const refusedNames: string[] = [];
    let refusedDevice: { device: string; window: DeviceWindow } | undefined;
    let reached: Admission['reached'];
    entry.readings.forEach((reading, r) => {
      let metrics: Metric[] | undefined;
      reading.metrics.forEach((m, i) => {
        let admitted = this.isKnown(reading.device, reading.sensor, m.metric);
        if (!admitted) {
          const window = this.windowOf(reading.device);
          this.expire(window, at);
          if (window.times.length < this.limit) {
            this.record(window, at);
            window.refusing = false;
            this.learn(reading.device, reading.sensor, m.metric);
            created++;
            admitted = true;
          } else {
            if (!window.refusing) {
              reached = { device: reading.device, until: new Date(window.times[0]! + this.windowMs) };
            }
            window.refusing = true;
            refusedDevice ??= { device: reading.device, window };
            refusedNames.push(`${reading.sensor}/${m.metric}`);
          }
        }
        if (!admitted) metrics ??= reading.metrics.slice(0, i);
        else metrics?.push(m);
      });
      if (metrics && !kept) kept = entry.readings.slice(0, r);
      if (kept && (metrics ?? reading.metrics).length > 0) kept.push(metrics ? { ...reading, metrics } : reading);
    });
    if (!kept) return { item, created, refused: 0 };
    const { device, window } = refusedDevice!;
    const until = new Date(window.times[0]! + this.windowMs);
    const reason = refusalReason(device, this.limit, refusedNames, until, kept.length > 0);
    const refusal = { code: 'quota' as const, reason };
    const { topic, payload } = message;
    const next: Item = kept.length > 0
      ? { message, entry: { ...entry, readings: kept, refused: { topic, payload, ...refusal } } }
      : {
        message,
        entry: { kind: 'rejected', source: entry.source, topic, payload, ...refusal, receivedAt: entry.receivedAt },
      };
    return { item: next, created, refused: refusedNames.length, reached };
  }

  /** The hot path: a message of series ingest knows costs a few Map lookups and nothing else. */
  private allKnown(readings: readonly Reading[]): boolean {
    for (const { device, sensor, metrics } of readings) {
      const known = this.known.get(device)?.get(sensor);
      if (!known) return false;
      for (const { metric } of metrics) if (!known.has(metric)) return false;
    }
    return true;
  }

  private isKnown(device: string, sensor: string, metric: string): boolean {
    return this.known.get(device)?.get(sensor)?.has(metric) ?? false;
  }

  private learn(device: string, sensor: string, metric: string): void {
    let sensors = this.known.get(device);
    if (!sensors) this.known.set(device, (sensors = new Map()));
    let metrics = sensors.get(sensor);
    if (!metrics) sensors.set(sensor, (metrics = new Set()));
    if (!metrics.has(metric)) this.knownCount++;
    metrics.add(metric);
  }

  private windowOf(device: string): DeviceWindow {
    let window = this.windows.get(device);
    if (!window) this.windows.set(device, (window = { times: [], refusing: false }));
    return window;
  }

  /** Keeps times in order even when the clock stepped back; only the newest `limit` matter. */
  private record(window: DeviceWindow, at: number): void {
    const { times } = window;
    let i = times.length;
    while (i > 0 && times[i - 1]! > at) i--;
    times.splice(i, 0, at);
    if (times.length > this.limit) times.shift();
  }

  private expire(window: DeviceWindow, at: number): void {
    let n = 0;
    while (n < window.times.length && window.times[n]! <= at - this.windowMs) n++;
    if (n > 0) window.times.splice(0, n);
  }

  /** Once a window's length: forgets devices with nothing in the last hour, so memory follows active devices. */
  private sweep(at: number): void {
    if (at - this.lastSweepMs < this.windowMs) return;
    this.lastSweepMs = at;
    for (const [device, window] of this.windows) {
      this.expire(window, at);
      if (window.times.length === 0) this.windows.delete(device);
    }
  }
}

/** The reason stored with a refusal: who, how many, which setting, which series, until when. */
export function refusalReason(
  device: string, limit: number, refused: readonly string[], until: Date, partly: boolean,
): string {
  const unique = [...new Set(refused)];
  const named = unique.slice(0, 5).map((s) => `"${s}"`).join(', ');
  const more = unique.length > 5 ? ` and ${unique.length - 5} more` : '';
  const rest = partly
    ? '; the rest of this message and the series the device already has are stored'
    : '; the series the device already has are still stored';
  const verb = unique.length === 1 ? 'is' : 'are';
  return `device ${device} created ${limit} new series in the last hour (${SERIES_QUOTA_SETTING}=${limit}); `
    + `${named}${more} ${verb} refused until ${until.toISOString()}${rest}`;
}
