import { backoffMs } from '../shared/backoff.js';
import {
  FAILURE_KINDS,
  SensorReadError,
  type FailureKind,
  type Readings,
  type SensorDriver,
  type SensorSpec,
} from './drivers/types.js';
import { calibrate, rangeProblem, SpikeFilter } from './quality.js';

export interface Diagnostics {
  attempts: number;
  readings: number;
  failures: Record<FailureKind, number>;
  lastError: { kind: FailureKind; message: string; monotonicMs: number } | null;
}

export interface SamplerClock {
  /** Monotonic milliseconds: never jumps when NTP sets the wall clock. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: SamplerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      // The listener goes when the timer fires: a node sleeps millions of times over its life.
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A reading worth publishing and when it was taken, on the monotonic clock. */
export type OnReading = (sensor: string, readings: Readings, takenAtMonotonicMs: number) => void;

/** Below this, a read that follows another counts as fresh; after a longer pause a DHT returns an old value. */
const STALE_AFTER_MS = 5000;

/**
 * Reads one sensor every `intervalMs`. A failed read is retried with backoff inside the interval,
 * never sooner than the hardware allows; out-of-range values and spikes count as failures; what is
 * left is calibrated and handed on. start() opens the driver; stop() ends the loop and closes it.
 */
export class SensorSampler {
  readonly diagnostics: Diagnostics = {
    attempts: 0,
    readings: 0,
    failures: Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>,
    lastError: null,
  };
  private readonly spikes: SpikeFilter;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private lastReadAt = -Infinity;

  constructor(
    readonly spec: SensorSpec,
    private readonly driver: SensorDriver,
    private readonly onReading: OnReading,
    private readonly clock: SamplerClock = realClock,
    private readonly random: () => number = Math.random,
  ) {
    this.spikes = new SpikeFilter(spec.maxChangePerMinute);
  }

  async start(): Promise<void> {
    await this.driver.open();
    this.driver.watch?.((readings) => this.accept(readings, this.clock.now()));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.driver.close();
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const started = this.clock.now();
      await this.cycle(started + this.spec.intervalMs);
      await this.clock.sleep(Math.max(0, started + this.spec.intervalMs - this.clock.now()), this.abort.signal);
    }
  }

  /** One interval's worth of attempts, until one succeeds or the next interval is due. */
  private async cycle(deadline: number): Promise<void> {
    const gap = this.driver.minReadIntervalMs ?? 0;
    if (this.driver.staleAfterPause && this.clock.now() - this.lastReadAt > STALE_AFTER_MS) {
      // The first value after a pause is the one measured at the previous read: read it, throw it
      // away unchecked (it must not train the spike filter), and wait for a fresh one.
      await this.waitForGap();
      this.diagnostics.attempts++;
      this.lastReadAt = this.clock.now();
      await this.driver.read().catch(() => undefined);
    }
    for (let failures = 1; !this.abort.signal.aborted; failures++) {
      try {
        const readings = await this.attempt();
        this.accept(readings, this.lastReadAt);
        return;
      } catch (err) {
        this.recordFailure(err);
        const wait = Math.max(gap, backoffMs(failures, { initialMs: 500, maxMs: 30_000 }, this.random));
        if (this.clock.now() + wait >= deadline) return;
        await this.clock.sleep(wait, this.abort.signal);
      }
    }
  }

  /** Never read sooner than the hardware allows after the previous read, whichever interval it was in. */
  private async waitForGap(): Promise<void> {
    const wait = this.lastReadAt + (this.driver.minReadIntervalMs ?? 0) - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, this.abort.signal);
  }

  private async attempt(): Promise<Readings> {
    await this.waitForGap();
    this.diagnostics.attempts++;
    this.lastReadAt = this.clock.now();
    const readings = await this.driver.read();
    const outOfRange = rangeProblem(readings, this.driver.ranges);
    if (outOfRange) throw new SensorReadError('range', outOfRange);
    const spike = this.spikes.check(readings, this.lastReadAt);
    if (spike) throw new SensorReadError('spike', spike);
    return readings;
  }

  private accept(readings: Readings, takenAt: number): void {
    this.diagnostics.readings++;
    this.onReading(this.spec.name, calibrate(readings, this.spec.calibration), takenAt);
  }

  private recordFailure(err: unknown): void {
    const kind: FailureKind = err instanceof SensorReadError ? err.kind : 'io';
    this.diagnostics.failures[kind]++;
    const message = (err as Error).message ?? String(err);
    this.diagnostics.lastError = { kind, message, monotonicMs: this.clock.now() };
  }
}
