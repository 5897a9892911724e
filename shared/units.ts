/**
 * The unit of every quantity pimonitor stores, in one table: the contract (shared/contract.ts), ingest
 * (series.unit), the database (sql/015_metric_units.sql: pimonitor_unit_of reads metric_units, which
 * shared/migrate.ts fills from this table), the dashboard (ui/, bundled from here), `pimonitor sources
 * test` and alerts all read it. Sources convert what devices send into these units
 * (shared/sources/mapping.ts). And the units people may read temperatures in, with the one conversion
 * between them: reports and alert notifications convert at the edge. Pure; imports nothing, so the
 * browser bundle can take it.
 */

/**
 * Metric → unit. Names are the metrics pimonitor's nodes send and the presets make of Tasmota,
 * Zigbee2MQTT, ESPHome and Shelly fields (test/sources-units.test.ts walks their documented payloads).
 * A metric not here (power_factor, linkquality, occupancy, state) has no unit.
 */
export const METRIC_UNITS: Readonly<Record<string, string>> = {
  temperature: '°C',
  dew_point: '°C',
  device_temperature: '°C',
  local_temperature: '°C',
  current_heating_setpoint: '°C',
  occupied_heating_setpoint: '°C',
  humidity: '%',
  soil_moisture: '%',
  pressure: 'hPa',
  sea_pressure: 'hPa',
  co2: 'ppm',
  eco2: 'ppm',
  tvoc: 'ppb',
  pm1: 'µg/m³',
  pm2_5: 'µg/m³',
  pm25: 'µg/m³',
  pm10: 'µg/m³',
  illuminance: 'lx',
  illuminance_lux: 'lx',
  gas_resistance: 'kΩ',
  voltage: 'V',
  current: 'A',
  power: 'W',
  apparent_power: 'VA',
  reactive_power: 'var',
  frequency: 'Hz',
  energy: 'kWh',
  energy_today: 'kWh',
  energy_yesterday: 'kWh',
  energy_period: 'Wh',
  battery: '%',
  position: '%',
};

/**
 * The unit of `metric`, or null. A numbered metric (Tasmota's arrays: voltage_1, power_2 for each
 * channel) has the unit of its quantity.
 */
export function unitOf(metric: string): string | null {
  if (Object.hasOwn(METRIC_UNITS, metric)) return METRIC_UNITS[metric]!;
  const quantity = /^(.+)_\d+$/.exec(metric)?.[1];
  return quantity !== undefined && Object.hasOwn(METRIC_UNITS, quantity) ? METRIC_UNITS[quantity]! : null;
}

export const TEMPERATURE_UNITS = ['C', 'F'] as const;
export type TemperatureUnit = (typeof TEMPERATURE_UNITS)[number];

export const isTemperatureUnit = (u: unknown): u is TemperatureUnit =>
  (TEMPERATURE_UNITS as readonly unknown[]).includes(u);

export const celsiusToFahrenheit = (c: number): number => (c * 9) / 5 + 32;
export const fahrenheitToCelsius = (f: number): number => ((f - 32) * 5) / 9;

/**
 * A value stored in `unit` as a reader who wants temperatures in `temperatureUnit` reads it: only °C
 * changes (to °F); every other unit, and none, is left as it is.
 */
export function inReaderUnits(
  value: number,
  unit: string | null,
  temperatureUnit: TemperatureUnit,
): { value: number; unit: string | null } {
  return unit === '°C' && temperatureUnit === 'F' ? { value: celsiusToFahrenheit(value), unit: '°F' } : { value, unit };
}
