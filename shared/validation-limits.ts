/**
 * What a reading is checked against (shared/contract.ts checkReading): the payload's size, how far
 * ahead of the receiver's clock its time may be, and the physical ranges of known metrics. Pure.
 */

export type Range = readonly [min: number, max: number];
export const DEFAULT_METRIC_RANGES: Readonly<Record<string, Range>> = {
  temperature: [-273.15, 1000],
  humidity: [0, 100],
};

export interface ValidationLimits {
  /** Largest accepted payload in bytes. */
  maxPayloadBytes: number;
  /** How far in the future a `ts` may be before the sender's clock is distrusted. */
  maxFutureSkewMs: number;
  /** Physical ranges of known metrics; metrics not listed are stored as they are. */
  ranges: Readonly<Record<string, Range>>;
}

/** The most `maxFutureSkewMs` may be: a clock more than a day ahead is wrong, not skewed. */
export const MAX_FUTURE_SKEW_MS = 86_400_000;

export const DEFAULT_LIMITS: ValidationLimits = {
  maxPayloadBytes: 16 * 1024,
  maxFutureSkewMs: 5 * 60_000,
  ranges: DEFAULT_METRIC_RANGES,
};
