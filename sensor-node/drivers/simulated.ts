import { createRandomWalk, DHT22_WALK } from './simulated-walk.js';
import type { DriverContext, SensorDriver, SensorSpec } from './types.js';

/** A believable DHT22 for demos, tests and benchmarks: no hardware at all. */
export function createSimulatedDriver(_spec: SensorSpec, ctx: DriverContext): SensorDriver {
  const next = createRandomWalk(DHT22_WALK, ctx.random);
  return {
    async open() {},
    read: async () => next(),
    async close() {},
  };
}
