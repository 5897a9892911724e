// @engine-independent: opens no database (jest.config.js)
import { AlertEngine, type Change } from '../alerts/engine.js';
import { parseRules, type Rule } from '../alerts/rules.js';

const MIN = 60_000;
const rules = (raw: unknown[]): Rule[] => {
  const parsed = parseRules(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value;
};
const events = (changes: Change[]) =>
  changes.filter((c) => c.event).map((c) => [c.event!.type, c.key.device, c.event!.message, c.event!.inhibited]);

test('a threshold alert fires after `for` with its values in the message, and resolves', () => {
  const engine = new AlertEngine(rules([
    {
      name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, clear: 29, for: '5m', severity: 'critical',
    },
  ]), 0);
  expect(engine.reading('kitchen', 'dht22', 'temperature', 31.2, 0)).toEqual([
    {
      key: { rule: 'hot', device: 'kitchen', sensor: 'dht22', metric: 'temperature' },
      state: { phase: 'pending', startedAt: 0, value: 31.2, observedAt: 0 },
    },
  ]);
  expect(engine.nextDueAt()).toBe(5 * MIN);
  expect(engine.reading('kitchen', 'dht22', 'temperature', 31.4, 2 * MIN)).toEqual([]);
  expect(events(engine.tick(5 * MIN))).toEqual([
    ['fired', 'kitchen', 'kitchen/dht22 temperature 31.4 °C above 30 °C for 5 min', false],
  ]);
  expect(engine.reading('kitchen', 'dht22', 'humidity', 99, 6 * MIN)).toEqual([]);
  expect(events(engine.reading('kitchen', 'dht22', 'temperature', 29.5, 7 * MIN))).toEqual([]);
  expect(events(engine.reading('kitchen', 'dht22', 'temperature', 28.7, 8 * MIN))).toEqual([
    ['resolved', 'kitchen', 'kitchen/dht22 temperature back to 28.7 °C (below 29 °C) after 8 min', false],
  ]);
  expect(engine.active()).toEqual([]);
});

test('an offline node is one notification: its stale and threshold alerts are inhibited', () => {
  const engine = new AlertEngine(rules([
    { name: 'down', type: 'offline', select: '+', for: '1m', severity: 'critical' },
    { name: 'quiet', type: 'stale', select: '+/+/+', after: '10m', grace: '0s' },
    { name: 'cold', type: 'threshold', select: '+/+/temperature', below: 5 },
  ]), 0);
  engine.reading('shed', 'dht22', 'temperature', 3, 0);
  engine.reading('shed', 'dht22', 'humidity', 80, 0);
  expect(engine.status('shed', 'offline', 1 * MIN).filter((c) => c.event)).toEqual([]);
  const later = engine.tick(30 * MIN);
  expect(events(later)).toEqual([['fired', 'shed', 'shed is offline', false]]);
  // Back online: the offline alert resolves; fresh silence counts again from here.
  expect(events(engine.status('shed', 'online', 40 * MIN)))
    .toEqual([['resolved', 'shed', 'shed back online after 39 min', false]]);
  expect(events(engine.tick(45 * MIN))).toEqual([
    ['fired', 'shed', 'shed/dht22 temperature: no reading for 45 min', false],
    ['fired', 'shed', 'shed/dht22 humidity: no reading for 45 min', false],
  ]);
});

test(
  'the cold threshold alert that fired before the node went offline is marked inhibited when it resolves meanwhile',
  () => {
    const cold = rules([{ name: 'cold', type: 'threshold', select: '+/+/temperature', below: 5 }]);
    const engine = new AlertEngine(cold, 0);
    expect(events(engine.reading('shed', 'dht22', 'temperature', 3, 0)))
      .toEqual([['fired', 'shed', 'shed/dht22 temperature 3.0 °C below 5 °C for 0 s', false]]);
    engine.status('shed', 'offline', MIN);
    expect(events(engine.reading('shed', 'dht22', 'temperature', 8, 2 * MIN))).toEqual([
      ['resolved', 'shed', 'shed/dht22 temperature back to 8.0 °C (above 5 °C) after 2 min', true],
    ]);
  },
);

test('stale alerts wait for the grace period after a restart, counting from when each series was last heard', () => {
  const started = 1000 * MIN;
  const engine = new AlertEngine(
    rules([{ name: 'quiet', type: 'stale', select: '+/+/temperature', after: '15m', grace: '10m' }]),
    started,
  );
  const lastHeard = [
    { device: 'attic', sensor: 'dht22', metric: 'temperature', at: 0 },
    { device: 'attic', sensor: 'dht22', metric: 'humidity', at: 0 },
  ];
  engine.restore([], lastHeard, []);
  expect(events(engine.tick(started + 5 * MIN))).toEqual([]);
  expect(events(engine.tick(started + 10 * MIN)))
    .toEqual([['fired', 'attic', 'attic/dht22 temperature: no reading for 16 h 50 min', false]]);
  expect(events(engine.tick(started + 11 * MIN))).toEqual([]);
  expect(events(engine.reading('attic', 'dht22', 'temperature', 20, started + 12 * MIN)))
    .toEqual([['resolved', 'attic', expect.any(String), false]]);
});

test('a restored firing alert is not fired again, and resolves when its condition ends', () => {
  const [rule] = rules([{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 }]);
  const engine = new AlertEngine([rule!], 10 * MIN);
  engine.restore([{
    key: { rule: 'hot', device: 'loft', sensor: 'dht22', metric: 'temperature' },
    state: { phase: 'firing', startedAt: 0, firedAt: 0, value: 33 },
  }], [], []);
  expect(events(engine.reading('loft', 'dht22', 'temperature', 34, 11 * MIN))).toEqual([]);
  expect(events(engine.reading('loft', 'dht22', 'temperature', 25, 12 * MIN))).toEqual([
    ['resolved', 'loft', 'loft/dht22 temperature back to 25.0 °C (below 30 °C) after 12 min', false],
  ]);
});

test('sensor health: a failure rate over the limit between two diag messages, and a sensor with no good read', () => {
  const engine = new AlertEngine(rules([
    { name: 'flaky', type: 'sensorHealth', select: '+/+', maxFailureRate: 0.5, noSuccessFor: '30m' },
  ]), 0);
  expect(events(engine.diag('porch', 'dht22', { attempts: 100, readings: 95 }, 0))).toEqual([]);
  expect(events(engine.diag('porch', 'dht22', { attempts: 200, readings: 120 }, MIN)))
    .toEqual([['fired', 'porch', 'porch/dht22: 75 % of reads failed', false]]);
  expect(events(engine.diag('porch', 'dht22', { attempts: 300, readings: 215 }, 2 * MIN))).toEqual([
    ['resolved', 'porch', 'porch/dht22 reading again (5 % of reads failed) after 1 min', false],
  ]);
  // The node restarted (counters from zero), then no read succeeds.
  expect(events(engine.diag('porch', 'dht22', { attempts: 10, readings: 10 }, 3 * MIN))).toEqual([]);
  engine.diag('porch', 'dht22', { attempts: 10, readings: 10 }, 4 * MIN);
  expect(events(engine.tick(33 * MIN))).toEqual([['fired', 'porch', 'porch/dht22: 0 % of reads failed', false]]);
});

test(
  'any sequence of readings, status, diag messages and ticks: never a throw, and every event has a message (property)',
  async () => {
    const fc = (await import('fast-check')).default;
    const { FUZZ_SEED, fuzzRuns } = await import('./support/hostile.js');
    const all = rules([
      {
        name: 'hot', type: 'threshold', select: '+/+/temperature', outside: [0, 30], clear: [1, 29], for: '2m',
        keepFiringFor: '1m',
      },
      { name: 'quiet', type: 'stale', select: '+/#', after: '5m', grace: '1m' },
      { name: 'down', type: 'offline', select: '+', for: '1m' },
      { name: 'flaky', type: 'sensorHealth', select: '+/+', maxFailureRate: 0.2, noSuccessFor: '10m' },
    ]);
    const device = fc.constantFrom('a', 'b');
    const input = fc.oneof(
      fc.record({
        kind: fc.constant('reading' as const),
        device,
        metric: fc.constantFrom('temperature', 'humidity'),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      }),
      fc.record({
        kind: fc.constant('status' as const),
        device,
        status: fc.constantFrom('online' as const, 'offline' as const),
      }),
      fc.record({ kind: fc.constant('diag' as const), device, attempts: fc.nat(1000), readings: fc.nat(1000) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    const diagOf = (step: { attempts: number; readings: number }) =>
      ({ attempts: step.attempts, readings: Math.min(step.readings, step.attempts) });
    fc.assert(
      fc.property(fc.array(fc.tuple(input, fc.integer({ min: 0, max: 10 * MIN })), { maxLength: 60 }), (steps) => {
        const engine = new AlertEngine(all, 0);
        let at = 0;
        for (const [step, dt] of steps) {
          at += dt;
          const changes: Change[] =
            step.kind === 'reading' ? engine.reading(step.device, 'dht22', step.metric, step.value, at)
            : step.kind === 'status' ? engine.status(step.device, step.status, at)
            : step.kind === 'diag' ? engine.diag(step.device, 'dht22', diagOf(step), at)
            : engine.tick(at);
          for (const c of changes) if (c.event) expect(c.event.message.length).toBeGreaterThan(0);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(1000) },
    );
  },
);

test(
  'an online status releases the device\'s alerts that fire or recover (not pending ones, not the offline alert, ' +
    'not other devices): the store notifies those whose firing was held back',
  () => {
    const engine = new AlertEngine(rules([
      { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 },
      { name: 'damp', type: 'threshold', select: '+/+/humidity', above: 70, for: '5m' },
      { name: 'down', type: 'offline', select: '+' },
    ]), 0);
    engine.status('shed', 'offline', 0);
    expect(events(engine.reading('shed', 'dht22', 'temperature', 35, MIN)))
      .toEqual([['fired', 'shed', expect.any(String), true]]);
    engine.reading('shed', 'dht22', 'humidity', 80, MIN);
    engine.reading('attic', 'dht22', 'temperature', 35, MIN);
    const released = (changes: Change[]) =>
      changes.filter((c) => c.release).map((c) => `${c.key.rule} ${c.key.device} ${c.state?.phase}`);
    expect(released(engine.status('shed', 'online', 2 * MIN))).toEqual(['hot shed firing']);
    // The store notifies it once.
    expect(released(engine.status('shed', 'online', 3 * MIN))).toEqual(['hot shed firing']);
    engine.reading('shed', 'dht22', 'temperature', 20, 4 * MIN);
    expect(released(engine.status('shed', 'online', 5 * MIN))).toEqual([]);
  },
);
