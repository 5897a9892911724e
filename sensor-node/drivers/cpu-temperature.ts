import { readAttribute } from './sysfs.js';
import { SensorReadError, type DriverContext, type SensorDriver, type SensorSpec } from './types.js';

/** The SoC's own temperature (any Linux box has a thermal zone): the quickest first sensor. */
export function createCpuTemperatureDriver(spec: SensorSpec, ctx: DriverContext): SensorDriver {
  const path = `sys/class/thermal/thermal_zone${Number(spec.options.zone ?? 0)}/temp`;
  return {
    ranges: { temperature: [-40, 150] },
    async open() {
      await readAttribute(ctx.sysfsRoot, path);
    },
    async read() {
      const milli = Number(await readAttribute(ctx.sysfsRoot, path));
      if (!Number.isFinite(milli)) throw new SensorReadError('io', `${path} is not a number`);
      return { temperature: milli / 1000 };
    },
    async close() {},
  };
}
