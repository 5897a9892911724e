import { join } from 'node:path';
import { listDir, readAttribute } from './sysfs.js';
import { SensorReadError, SensorSetupError, type DriverContext, type SensorDriver, type SensorSpec } from './types.js';

const W1_DEVICES = 'sys/bus/w1/devices';
/** What a DS18B20 reports before its first conversion: a power or wiring problem, not a temperature. */
const POWER_ON_RESET_MILLI = 85_000;

/** DS18B20 1-Wire thermometer (`dtoverlay=w1-gpio`). Option `id` (28-…); without it, the only one there is. */
export function createDs18b20Driver(spec: SensorSpec, ctx: DriverContext): SensorDriver {
  let dir = '';
  return {
    ranges: { temperature: [-55, 125] },
    async open() {
      const id = spec.options.id as string | undefined;
      if (id) {
        dir = join(W1_DEVICES, id);
        return;
      }
      const found = (await listDir(ctx.sysfsRoot, W1_DEVICES)).filter((d) => d.startsWith('28-'));
      if (found.length !== 1) {
        const seen = found.join(', ') || 'none';
        throw new SensorSetupError(`expected one DS18B20 (28-*) under /${W1_DEVICES}, found ${seen}; set "id"`);
      }
      dir = join(W1_DEVICES, found[0]!);
    },
    async read() {
      const milli = await readMilliCelsius(ctx.sysfsRoot, dir);
      if (milli === POWER_ON_RESET_MILLI) {
        throw new SensorReadError('range', "85 °C is the power-on value: check the sensor's power and pull-up");
      }
      return { temperature: milli / 1000 };
    },
    async close() {},
  };
}

/** Newer kernels have `temperature`; older ones only `w1_slave`, whose CRC line must say YES. */
async function readMilliCelsius(root: string, dir: string): Promise<number> {
  const direct = await readAttribute(root, join(dir, 'temperature')).catch(() => undefined);
  if (direct !== undefined && /^-?\d+$/.test(direct)) return Number(direct);
  const text = await readAttribute(root, join(dir, 'w1_slave'));
  const [crcLine = '', dataLine = ''] = text.split('\n');
  if (!crcLine.trim().endsWith('YES')) throw new SensorReadError('checksum', 'w1_slave CRC check failed');
  const match = /t=(-?\d+)/.exec(dataLine);
  if (!match) throw new SensorReadError('io', 'w1_slave has no t= value');
  return Number(match[1]);
}
