/**
 * The units people may read temperatures in, and the one conversion between them. Stored values are in
 * the contract's units (shared/contract.ts METRIC_UNITS: °C); reports and alert notifications convert
 * at the edge, with these. Pure.
 */

export const TEMPERATURE_UNITS = ['C', 'F'] as const;
export type TemperatureUnit = (typeof TEMPERATURE_UNITS)[number];

export const isTemperatureUnit = (u: unknown): u is TemperatureUnit => (TEMPERATURE_UNITS as readonly unknown[]).includes(u);

export const celsiusToFahrenheit = (c: number): number => (c * 9) / 5 + 32;
export const fahrenheitToCelsius = (f: number): number => ((f - 32) * 5) / 9;

/**
 * A value stored in `unit` as a reader who wants temperatures in `temperatureUnit` reads it: only °C
 * changes (to °F); every other unit, and none, is left as it is.
 */
export function inReaderUnits(value: number, unit: string | null, temperatureUnit: TemperatureUnit): { value: number; unit: string | null } {
  return unit === '°C' && temperatureUnit === 'F' ? { value: celsiusToFahrenheit(value), unit: '°F' } : { value, unit };
}

/** A reading as people read it: one decimal, none from 100 up (21.25 → "21.3", 1013.2 → "1013"), never "-0.0". */
export function formatReading(v: number): string {
  return v.toFixed(Math.abs(v) >= 100 ? 0 : 1).replace(/^-0(\.0)?$/, '0$1');
}
