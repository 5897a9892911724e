import { createCpuTemperatureDriver } from './cpu-temperature.js';
import { createDhtBindingDriver, DHT22_MIN_READ_INTERVAL_MS } from './dht-binding.js';
import { createDs18b20Driver } from './ds18b20.js';
import { createGpioInputDriver } from './gpio-input.js';
import { createIioDriver } from './iio.js';
import { createSimulatedDriver } from './simulated.js';
import type { DriverContext, SensorDriver, SensorSpec } from './types.js';

export type OptionKind = 'integer' | 'string' | 'boolean';

export interface DriverType {
  summary: string;
  create(spec: SensorSpec, ctx: DriverContext): SensorDriver;
  /** Driver options a sensor entry may have, and which it must. */
  options: Readonly<Record<string, { kind: OptionKind; required?: boolean; doc: string }>>;
  /** Shortest interval the hardware allows. */
  minIntervalMs?: number;
  /**
   * The metrics it reports, known before the first read (Home Assistant discovery announces them at
   * once); a driver that learns them from the hardware (iio) leaves this out and they are announced
   * as they first arrive.
   */
  metrics?: (spec: SensorSpec) => string[];
  /** Its metrics are on/off states (a door, motion): binary_sensor entities in Home Assistant. */
  binary?: boolean;
}

const DHT_METRICS = () => ['temperature', 'humidity'];

const PIN = { kind: 'integer', required: true, doc: 'BCM GPIO number (GPIO4 is pin 7)' } as const;

/**
 * Adding a sensor type: a driver file beside this one, and one entry here (docs/sensor-nodes.md, "Adding a
 * sensor type").
 */
export const DRIVERS: Readonly<Record<string, DriverType>> = {
  'dht22-iio': {
    summary: 'DHT22/DHT11 through the kernel driver (dtoverlay=dht11,gpiopin=4): recommended',
    create: (spec, ctx) =>
      createIioDriver(spec, ctx, { iioName: 'dht11', minReadIntervalMs: DHT22_MIN_READ_INTERVAL_MS }),
    options: { device: { kind: 'string', doc: 'IIO device, e.g. iio:device0 (default: the one named dht11)' } },
    minIntervalMs: DHT22_MIN_READ_INTERVAL_MS,
    metrics: DHT_METRICS,
  },
  iio: {
    summary: 'any IIO sensor: BME280, BMP280 and others the kernel exposes (temperature, humidity, pressure)',
    create: (spec, ctx) => createIioDriver(spec, ctx),
    options: {
      device: { kind: 'string', doc: 'IIO device, e.g. iio:device1' },
      iioName: { kind: 'string', doc: 'the device\'s name file, e.g. bme280' },
    },
  },
  'dht22-node-dht-sensor': {
    summary: 'DHT22 through the optional native package node-dht-sensor',
    create: (spec, ctx) => createDhtBindingDriver(spec, ctx, 'node-dht-sensor'),
    options: { pin: PIN },
    minIntervalMs: DHT22_MIN_READ_INTERVAL_MS,
    metrics: DHT_METRICS,
  },
  'dht22-rpi-dht-sensor': {
    summary: 'DHT22 through the optional rpi-dht-sensor (old setups; does not build on Node >= 12)',
    create: (spec, ctx) => createDhtBindingDriver(spec, ctx, 'rpi-dht-sensor'),
    options: { pin: PIN },
    minIntervalMs: DHT22_MIN_READ_INTERVAL_MS,
    metrics: DHT_METRICS,
  },
  ds18b20: {
    summary: 'DS18B20 1-Wire thermometer (dtoverlay=w1-gpio)',
    create: createDs18b20Driver,
    options: { id: { kind: 'string', doc: '1-Wire id, e.g. 28-0316a2795cff (default: the only one)' } },
    minIntervalMs: 1000,
    metrics: () => ['temperature'],
  },
  'cpu-temperature': {
    summary: 'the board\'s own CPU temperature (any Linux)',
    create: createCpuTemperatureDriver,
    options: { zone: { kind: 'integer', doc: 'thermal zone number (default 0)' } },
    metrics: () => ['temperature'],
  },
  'gpio-input': {
    summary: 'a digital input via onoff: PIR motion, door switch; publishes each change at once',
    create: createGpioInputDriver,
    options: {
      pin: PIN,
      debounceMs: { kind: 'integer', doc: 'debounce time (default 50)' },
      activeLow: { kind: 'boolean', doc: 'invert the input (default false)' },
      metric: { kind: 'string', doc: 'metric name (default state), e.g. motion or open' },
    },
    metrics: (spec) => [String(spec.options.metric ?? 'state')],
    binary: true,
  },
  simulated: {
    summary: 'a simulated DHT22 (random walk), for demos and tests',
    create: createSimulatedDriver,
    options: {},
    metrics: DHT_METRICS,
  },
};
