/**
 * A believable DHT22: each metric takes a small random step from where it was, pulled gently back
 * toward its typical value, and stays inside the sensor's range. `random` is injected for tests.
 */
export interface WalkSpec {
  start: number;
  min: number;
  max: number;
  /** Largest step per reading. */
  step: number;
  decimals: number;
}

export const DHT22_WALK: Record<string, WalkSpec> = {
  temperature: { start: 21, min: -40, max: 80, step: 0.2, decimals: 1 },
  humidity: { start: 45, min: 0, max: 100, step: 0.5, decimals: 1 },
};

export function createRandomWalk(specs: Record<string, WalkSpec>, random: () => number = Math.random) {
  const state = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.start]));
  return function next(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [metric, spec] of Object.entries(specs)) {
      const pull = (spec.start - state[metric]!) * 0.02;
      const value = Math.min(spec.max, Math.max(spec.min, state[metric]! + pull + (random() * 2 - 1) * spec.step));
      state[metric] = value;
      out[metric] = Number(value.toFixed(spec.decimals));
    }
    return out;
  };
}
