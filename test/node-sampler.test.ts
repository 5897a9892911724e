// @engine-independent: opens no database (jest.config.js)
import { getEventListeners } from 'node:events';
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import type { Readings, SensorSpec } from '../sensor-node/drivers/types.js';
import { realClock, SensorSampler, type SamplerClock } from '../sensor-node/sampler.js';
import { fakeContext, scriptedDhtBinding, type DhtStep } from './helpers/fake-hardware.js';

/** A clock the sampler runs on instantly: sleeping moves time forward; reads are logged with their time. */
function virtualClock() {
  let now = 0;
  const clock: SamplerClock = { now: () => now, sleep: async (ms) => void (now += ms) };
  return { clock, advance: (ms: number) => (now += ms) };
}

async function runSampler(script: DhtStep[], intervalMs: number, cycles: number, extra: Partial<SensorSpec> = {}) {
  const { clock } = virtualClock();
  const dht = scriptedDhtBinding(script);
  const readAt: number[] = [];
  const binding = {
    promises: { read: async (t: number, p: number) => (readAt.push(clock.now()), dht.binding.promises.read(t, p)) },
  };
  const spec: SensorSpec = {
    type: 'dht22-node-dht-sensor', name: 'dht22', intervalMs, calibration: {},
    maxChangePerMinute: { temperature: 10, humidity: 30 }, options: { pin: 4 }, ...extra,
  };
  const driver = DRIVERS[spec.type]!.create(spec, fakeContext({ optional: { 'node-dht-sensor': binding } }));
  const got: Array<{ readings: Readings; at: number }> = [];
  let sampler!: SensorSampler;
  await new Promise<void>((resolve) => {
    sampler = new SensorSampler(spec, driver, (_s, readings, at) => {
      got.push({ readings, at });
      if (got.length === cycles) resolve();
    }, clock, () => 0.5);
    void sampler.start();
  });
  await sampler.stop();
  return { got, readAt, diagnostics: sampler.diagnostics };
}

const ok = (temperature: number, humidity = 40) => ({ temperature, humidity });

test('failed reads are retried inside the interval, never sooner than 2 s apart, and counted by kind', async () => {
  // Each interval after a pause starts with a warm-up read whose stale value is thrown away.
  const { got, readAt, diagnostics } = await runSampler(
    [ok(20), ok(20), ok(99), new Error('timeout'), new Error('checksum mismatch'), ok(20.5)], 60_000, 2,
  );
  expect(got.map((g) => g.readings)).toEqual([ok(20), ok(20.5)]);
  const gaps = readAt.slice(1).map((t, i) => t - readAt[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2000);
  expect(diagnostics.failures).toEqual({ timeout: 1, checksum: 1, io: 0, range: 0, spike: 0 });
  expect(diagnostics.attempts).toBe(6);
  expect(diagnostics.lastError).toMatchObject({ kind: 'checksum', message: 'checksum mismatch' });
});

test('out-of-range values and spikes are failures, not readings; calibration applies to what is kept', async () => {
  // warm-up, reading; warm-up (stale, unchecked), 123 %RH, a clone's sign bug, a spike, a good value.
  const script = [ok(20), ok(20), ok(99), ok(21, 123), ok(-3276.7), ok(45), ok(21.5)];
  const { got, diagnostics } = await runSampler(script, 60_000, 2, { calibration: { temperature: -0.5 } });
  expect(got.map((g) => g.readings)).toEqual([ok(19.5), ok(21)]);
  expect(diagnostics.failures).toMatchObject({ range: 2, spike: 1 });
});

test('when every retry fails, the interval is skipped and the next one tries again', async () => {
  const failing = Array.from({ length: 40 }, () => new Error('timeout'));
  const { got, readAt, diagnostics } = await runSampler([ok(20), ok(20), ...failing, ok(20.1)], 10_000, 2);
  expect(got.map((g) => g.readings)).toEqual([ok(20), ok(20.1)]);
  // Every read is an attempt; all but the two good ones and the warm-ups of later intervals failed.
  expect(diagnostics.attempts).toBe(readAt.length);
  expect(diagnostics.failures.timeout).toBeGreaterThan(30);
  expect(diagnostics.failures.timeout).toBeLessThan(40);
  // Retries never outrun the hardware: at most one read per 2 s of virtual time.
  expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(40 * 2000);
});

test('at the shortest interval (2 s) reads stay 2 s apart across intervals, each interval reading once', async () => {
  const { got, readAt } = await runSampler([ok(20), ok(20.1), ok(20.2), ok(20.3), ok(20.4)], 2000, 4);
  expect(got.map((g) => g.readings.temperature)).toEqual([20.1, 20.2, 20.3, 20.4]);
  const gaps = readAt.slice(1).map((t, i) => t - readAt[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2000);
});

test('sleeping does not pile up abort listeners (a node sleeps millions of times)', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 20; i++) await realClock.sleep(1, controller.signal);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  const pending = realClock.sleep(60_000, controller.signal);
  controller.abort();
  await pending;
});
