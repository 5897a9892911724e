import { type DriverContext, type GpioPin, type SensorDriver, type SensorSpec } from './types.js';

/**
 * A digital input (PIR motion sensor, door reed switch) via onoff: an edge interrupt, debounced,
 * publishes each change at once as `{state: 0|1}`, and the state at each interval as well.
 */
export function createGpioInputDriver(spec: SensorSpec, ctx: DriverContext): SensorDriver {
  let pin: GpioPin;
  const metric = String(spec.options.metric ?? 'state');
  return {
    ranges: { [metric]: [0, 1] },
    async open() {
      pin = await ctx.openGpio(Number(spec.options.pin), {
        direction: 'in',
        edge: 'both',
        debounceMs: Number(spec.options.debounceMs ?? 50),
        activeLow: Boolean(spec.options.activeLow ?? false),
      });
    },
    async read() {
      return { [metric]: pin.readSync() };
    },
    watch(onChange) {
      pin.watch((err, value) => {
        if (!err) onChange({ [metric]: value });
      });
    },
    async close() {
      pin?.unexport();
    },
  };
}
