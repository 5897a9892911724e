import { join } from 'node:path';
import { listDir, readAttribute } from './sysfs.js';
import {
  SensorReadError,
  SensorSetupError,
  type DriverContext,
  roundPublished,
  type Readings,
  type SensorDriver,
  type SensorSpec,
} from './types.js';

const IIO_DEVICES = 'sys/bus/iio/devices';

/**
 * IIO channels we know: attribute → metric and the factor to its unit (IIO uses milli-°C, milli-%RH,
 * kPa).
 */
const CHANNELS: ReadonlyArray<[attribute: string, metric: string, factor: number]> = [
  ['in_temp_input', 'temperature', 1 / 1000],
  ['in_humidityrelative_input', 'humidity', 1 / 1000],
  ['in_pressure_input', 'pressure', 10],
];

/**
 * Any sensor the Linux kernel exposes through IIO: the DHT11/DHT22 overlay (`dtoverlay=dht11,gpiopin=4`),
 * BME280/BMP280 and friends. No native code, no root. Options: `device` (iio:deviceN) or `iioName`
 * (the content of its `name` file, e.g. dht11, bme280); without either, the only IIO device there is.
 */
export function createIioDriver(
  spec: SensorSpec,
  ctx: DriverContext,
  defaults: { iioName?: string; minReadIntervalMs?: number } = {},
): SensorDriver {
  let dir = '';
  let channels: Array<[string, string, number]> = [];
  const wantedName = (spec.options.iioName as string | undefined) ?? defaults.iioName;
  const isDht = wantedName === 'dht11';
  return {
    minReadIntervalMs: defaults.minReadIntervalMs,
    staleAfterPause: isDht,
    ranges: isDht
      ? { temperature: [-40, 80], humidity: [0, 100] }
      : { temperature: [-40, 85], humidity: [0, 100], pressure: [300, 1100] },
    async open() {
      dir = await findDevice(ctx.sysfsRoot, spec.options.device as string | undefined, wantedName);
      const present = new Set(await listDir(ctx.sysfsRoot, dir));
      channels = CHANNELS.filter(([attribute]) => present.has(attribute));
      if (channels.length === 0) {
        throw new SensorSetupError(`${dir} has none of ${CHANNELS.map(([attribute]) => attribute).join(', ')}`);
      }
    },
    async read() {
      const out: Readings = {};
      for (const [attribute, metric, factor] of channels) {
        const text = await readAttribute(ctx.sysfsRoot, join(dir, attribute));
        const value = Number(text);
        if (!Number.isFinite(value)) throw new SensorReadError('io', `${attribute}: "${text}" is not a number`);
        out[metric] = roundPublished(value * factor);
      }
      return out;
    },
    async close() {},
  };
}

async function findDevice(root: string, device: string | undefined, name: string | undefined): Promise<string> {
  if (device) return join(IIO_DEVICES, device);
  const devices = (await listDir(root, IIO_DEVICES)).filter((entry) => entry.startsWith('iio:device'));
  const nameOf = (device: string) => readAttribute(root, join(IIO_DEVICES, device, 'name')).catch(() => '');
  const named = await Promise.all(devices.map(async (device) => [device, await nameOf(device)] as const));
  const matches = named.filter(([, deviceName]) => !name || deviceName === name);
  if (matches.length === 1) return join(IIO_DEVICES, matches[0]![0]);
  const seen = named.map(([device, deviceName]) => `${device} (${deviceName || '?'})`).join(', ') || 'none';
  const what = name ? `an IIO device named ${name}` : 'exactly one IIO device';
  const hint =
    name === 'dht11' ? ' (is dtoverlay=dht11,gpiopin=<pin> in /boot/firmware/config.txt, and did you reboot?)' : '';
  throw new SensorSetupError(
    `expected ${what} under /${IIO_DEVICES}, found ${seen}${hint}; set "device" to choose one`,
  );
}
