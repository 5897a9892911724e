import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** A clock reading before this is certainly unset (a Pi without RTC boots in 1970 or at its last shutdown). */
const PLAUSIBLE_SINCE_MS = Date.UTC(2024, 0, 1);

export interface WallClockOptions {
  /** A file that exists once the system clock is synchronised (systemd-timesyncd); '' trusts the clock. */
  syncFile: string;
  monotonicNow?: () => number;
  /** The system's monotonic clock (since boot, shared by every process of one boot), in ms. */
  systemMonotonicNow?: () => number;
  wallNow?: () => number;
  exists?: (path: string) => boolean;
}

/**
 * Turns monotonic reading times into wall-clock times, but only once the system clock can be
 * trusted; until then it answers undefined and the node holds the reading. Because readings are
 * timed on the monotonic clock, a reading held for minutes still gets the time it was taken.
 */
export class WallClock {
  private synced = false;
  private readonly monotonicNow: () => number;
  private readonly systemMonotonicNow: () => number;
  private readonly wallNow: () => number;
  private readonly exists: (path: string) => boolean;

  /** The sync file to wait for, or '' when there is none to wait for. */
  readonly syncFile: string;

  constructor(options: WallClockOptions) {
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    // A clock given without its system counterpart (tests) is taken as the system's.
    const systemMonotonic = () => Number(process.hrtime.bigint()) / 1e6;
    this.systemMonotonicNow = options.systemMonotonicNow ?? (options.monotonicNow ?? systemMonotonic);
    this.wallNow = options.wallNow ?? Date.now;
    this.exists = options.exists ?? existsSync;
    // Without systemd-timesyncd (chrony, ntpd) the file never appears: then only plausibility counts.
    this.syncFile = options.syncFile && this.exists(dirname(options.syncFile)) ? options.syncFile : '';
  }

  /** Whether the system clock is synchronised; once it is, it stays so for this process. */
  isSynchronized(): boolean {
    if (!this.synced) {
      const fileSays = this.syncFile === '' || this.exists(this.syncFile);
      this.synced = fileSays && this.wallNow() >= PLAUSIBLE_SINCE_MS;
    }
    return this.synced;
  }

  /** The wall time of a monotonic instant, or undefined while the clock is not synchronised. */
  toWall(monotonicMs: number): Date | undefined {
    if (!this.isSynchronized()) return undefined;
    return new Date(Math.round(this.wallNow() - (this.monotonicNow() - monotonicMs)));
  }

  /**
   * A monotonic instant of this process on the system's monotonic clock: comparable across restarts of the
   * node within one boot.
   */
  toBootMs(monotonicMs: number): number {
    return monotonicMs + (this.systemMonotonicNow() - this.monotonicNow());
  }

  /** The wall time now, or undefined while the clock is not synchronised. */
  now(): number | undefined {
    return this.isSynchronized() ? this.wallNow() : undefined;
  }

  /**
   * Wall time minus the system's monotonic time (an instant's bootMs plus this is its wall time), or
   * undefined while not synchronised.
   */
  bootOffsetMs(): number | undefined {
    if (!this.isSynchronized()) return undefined;
    return this.wallNow() - this.systemMonotonicNow();
  }
}
