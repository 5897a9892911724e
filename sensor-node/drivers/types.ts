import { ExpectedError } from '../../shared/expected-error.js';
import type { Range } from '../../shared/contract.js';

export type Readings = Record<string, number>;

/** The precision a node publishes a value at: three decimals, enough for any sensor it reads. */
export const roundPublished = (value: number): number => Math.round(value * 1000) / 1000;

/** Why a read failed; counted per kind in the sensor's diagnostics. */
export const FAILURE_KINDS = ['timeout', 'checksum', 'io', 'range', 'spike'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export class SensorReadError extends Error {
  constructor(readonly kind: FailureKind, message: string) {
    super(message);
  }
}

/** Thrown when a sensor cannot be set up at all (missing package, no such device): fix the config. */
export class SensorSetupError extends ExpectedError {}

/**
 * One sensor driver: one job, behind this interface. open() prepares the hardware, read() returns
 * `{metric: value}` or throws a SensorReadError, close() releases it. Event sensors also watch().
 */
export interface SensorDriver {
  /** Physical ranges of what it reports; a value outside is a failed read, not a reading. */
  readonly ranges?: Readonly<Record<string, Range>>;
  /** Fastest the hardware may be read, in ms (DHT22: 2000). */
  readonly minReadIntervalMs?: number;
  /** The first value after a pause is the previous measurement (DHT sensors): read twice. */
  readonly staleAfterPause?: boolean;
  open(): Promise<void>;
  read(): Promise<Readings>;
  close(): Promise<void>;
  /** Event sensors (GPIO inputs): called at each change, between periodic reads. */
  watch?(onChange: (readings: Readings) => void): void;
}

/** A GPIO pin as the drivers use it; onoff's Gpio in production, a scripted fake in tests. */
export interface GpioPin {
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unexport(): void;
}

export interface GpioOptions {
  direction: 'in' | 'out';
  edge?: 'none' | 'rising' | 'falling' | 'both';
  debounceMs?: number;
  activeLow?: boolean;
}

/** What drivers get from the node: the hardware is injected, so tests fake only the hardware. */
export interface DriverContext {
  /** Prefix of /sys paths ('/' on a Pi; a temporary tree in tests). */
  sysfsRoot: string;
  openGpio(pin: number, options: GpioOptions): Promise<GpioPin>;
  /** Loads an optional package (a DHT binding) by name. */
  loadOptional(name: string): Promise<unknown>;
  random: () => number;
}

/** A validated sensor entry from the node's configuration. */
export interface SensorSpec {
  type: string;
  name: string;
  intervalMs: number;
  calibration: Readonly<Record<string, number>>;
  /** Largest believable change per minute, by metric; a larger jump is dropped as a spike. */
  maxChangePerMinute: Readonly<Record<string, number>>;
  options: Readonly<Record<string, string | number | boolean>>;
}
