// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../shared/duration.js';
import { parseRules, selects, type ThresholdRule } from '../alerts/rules.js';
import {
  dueAt, observeSilence, observeValue, tick, type AlertEvent, type AlertState, type Step,
} from '../alerts/transitions.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const MIN = 60_000;

test('a complete rule set parses, with defaults filled in', () => {
  const parsed = parseRules([
    {
      name: 'attic-hot', type: 'threshold', select: 'attic/+/temperature', above: 30, clear: 29, for: '5m',
      keepFiringFor: '2m', severity: 'critical', labels: { room: 'attic' },
    },
    { name: 'quiet', type: 'stale', select: '+/+/temperature', after: '15m' },
    { name: 'node-down', type: 'offline', select: '+', for: 120000 },
    { name: 'failing', type: 'sensorHealth', select: '+/#', maxFailureRate: 0.5, noSuccessFor: '1h30m' },
  ]);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.value[0]).toEqual({
    name: 'attic-hot', type: 'threshold', select: ['attic', '+', 'temperature'], severity: 'critical',
    labels: { room: 'attic' },
    message: '{{device}}/{{sensor}} {{metric}} {{value}}{{unit}} {{condition}} {{threshold}}{{unit}} for {{for}}',
    start: { hi: 30 }, clear: { hi: 29 }, forMs: 5 * MIN, keepFiringForMs: 2 * MIN,
  });
  expect(parsed.value[1]).toMatchObject({ type: 'stale', afterMs: 15 * MIN, graceMs: 15 * MIN, severity: 'warning' });
  expect(parsed.value[2]).toMatchObject({ type: 'offline', select: ['+'], forMs: 2 * MIN });
  expect(parsed.value[3])
    .toMatchObject({ type: 'sensorHealth', select: ['+', '#'], maxFailureRate: 0.5, noSuccessForMs: 90 * MIN });
});

test('every problem of every rule is named at once', () => {
  const parsed = parseRules([
    { name: 'hot', type: 'threshold', select: 'attic/temperature', above: 30, below: 10, severity: 'urgent' },
    { name: 'hot', type: 'threshold', select: 'a/b/c', above: 30, clear: 31, for: '5 minutes' },
    { name: 'x y', type: 'stale', select: '+/+/+', message: 'no {{reading}}', colour: 'red' },
    { type: 'heartbeat' },
    'hot',
  ]);
  expect(parsed).toEqual({
    ok: false,
    problems: [
      'rule 1 ("hot"): select: must be device/sensor/metric, each a name or + (any), # last for the rest ' +
        '(was "attic/temperature")',
      'rule 1 ("hot"): severity: must be one of info, warning, critical',
      'rule 1 ("hot"): needs exactly one of above, below or outside (has above, below)',
      'rule 2 ("hot"): clear: must be a number at or below above (30)',
      'rule 2 ("hot"): for: "5 minutes" is not a duration; use 30s, 5m, 1h30m or milliseconds',
      'rule 3 ("x y"): colour: not a setting of a stale rule ' +
        '(it has name, type, select, severity, labels, message, routes, after, grace)',
      'rule 3 ("x y"): name: must be 1 to 64 letters, digits, - or _ (it is part of MQTT topics)',
      'rule 3 ("x y"): message: {{reading}} is not one of {{device}}, {{sensor}}, {{metric}}, {{value}}, {{unit}}, ' +
        '{{condition}}, {{threshold}}, {{for}}, {{rule}}, {{severity}}',
      'rule 3 ("x y"): after: required: how long without a reading, such as 15m',
      'rule 4: type: must be one of threshold, stale, offline, sensorHealth (was "heartbeat")',
      'rule 5: must be an object with name, type and select',
    ],
  });
  const twice = [{ name: 'a', type: 'offline', select: '+' }, { name: 'a', type: 'offline', select: '+' }];
  expect(parseRules(twice)).toEqual({
    ok: false, problems: ['rule 2 ("a"): name: another rule is called a; names must be unique'],
  });
});

test('any configuration value gives rules or named problems, never an exception (property)', () => {
  const field = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('5m', '+/+/+', '#', 'threshold', 'stale', 'offline', 'sensorHealth', [1, 2], [2, 1], 1e308, -0),
  );
  const key = fc.constantFrom(
    'name', 'type', 'select', 'above', 'below', 'outside', 'clear', 'for', 'keepFiringFor', 'after', 'grace',
    'severity', 'labels', 'message', 'maxFailureRate', 'noSuccessFor', '__proto__',
  );
  const rule = fc.dictionary(key, field);
  const raws = fc.oneof(
    fc.array(fc.oneof(rule, fc.jsonValue({ maxDepth: 2 })), { maxLength: 5 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  fc.assert(
    fc.property(raws, (raw) => {
      const parsed = parseRules(raw);
      if (!parsed.ok) for (const p of parsed.problems) expect(p).toMatch(/^(rule \d+( \(.*\))?: |alerts\.rules: )./s);
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(3000) },
  );
});

test('selectors match like MQTT topic filters', () => {
  expect(selects(['attic', '+', 'temperature'], ['attic', 'dht22', 'temperature'])).toBe(true);
  expect(selects(['attic', '+', 'temperature'], ['attic', 'dht22', 'humidity'])).toBe(false);
  expect(selects(['+', '#'], ['cellar', 'bme280', 'pressure'])).toBe(true);
  expect(selects(['#'], ['cellar'])).toBe(true);
  expect(selects(['+'], ['cellar', 'x'])).toBe(false);
});

test('durations', () => {
  expect([parseDuration('90s'), parseDuration('1h30m'), parseDuration(2500), parseDuration('1.5m')]).toEqual([
    { ok: true, ms: 90_000 }, { ok: true, ms: 5_400_000 }, { ok: true, ms: 2500 }, { ok: true, ms: 90_000 },
  ]);
  expect(parseDuration('400d')).toEqual({ ok: false, reason: '400d is longer than 366 days' });
  expect(parseDuration(-1).ok).toBe(false);
  const formatted = [
    formatDuration(45_000), formatDuration(5 * MIN), formatDuration(90 * MIN), formatDuration(26 * 60 * MIN),
  ];
  expect(formatted).toEqual(['45 s', '5 min', '1 h 30 min', '1 d 2 h']);
});

const hot = (overrides: Partial<ThresholdRule> = {}): ThresholdRule => {
  const parsed = parseRules([
    { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, clear: 29, for: '5m' },
  ]);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return { ...(parsed.value[0] as ThresholdRule), ...overrides };
};

/** Feeds (minute, value) pairs, ticking every minute between them; returns the events with their minute. */
function run(rule: ThresholdRule, series: Array<[minute: number, value: number]>): Array<[string, number]> {
  let state: AlertState | null = null;
  const events: Array<[string, number]> = [];
  const record = (e?: AlertEvent) => e && events.push([e.type, e.at / MIN]);
  let last = 0;
  for (const [minute, value] of series) {
    for (let m = last + 1; m < minute; m++) {
      const step = tick(rule, state, m * MIN);
      state = step.state;
      record(step.event);
    }
    const step = observeValue(rule, state, value, minute * MIN);
    state = step.state;
    record(step.event);
    last = minute;
  }
  return events;
}

test(
  'fires once after `for`, values hovering between clear and the threshold do not flap, resolves once below clear',
  () => {
    const series: Array<[number, number]> = [
      [0, 25], [1, 31], [2, 30.5], [3, 31], [7, 31.2], [8, 29.5],
      [9, 30.2], [10, 29.1], [11, 30.4], [12, 28.9], [13, 29.5],
    ];
    expect(run(hot(), series)).toEqual([['fired', 6], ['resolved', 12]]);
  },
);

test('a dip below the threshold while pending starts the wait again', () => {
  expect(run(hot(), [[0, 31], [3, 28], [4, 31], [8, 31], [9, 31]])).toEqual([['fired', 9]]);
});

test('keepFiringFor holds a firing alert through short dips', () => {
  const rule = hot({ clear: { hi: 30 }, forMs: 0, keepFiringForMs: 3 * MIN });
  const series: Array<[number, number]> = [[0, 31], [1, 29], [2, 31], [3, 29], [4, 29.5], [5, 29], [6, 29], [7, 29]];
  expect(run(rule, series)).toEqual([['fired', 0], ['resolved', 6]]);
});

test('a pending or recovering alert says when its timer falls due', () => {
  const rule = hot();
  const pending = observeValue(rule, null, 31, 0).state;
  expect(dueAt(rule, pending)).toBe(5 * MIN);
  expect(dueAt(rule, null)).toBeNull();
});

test('events alternate fired, resolved; a fire comes only after the condition held for `for` (property)', () => {
  const steps = fc.array(
    fc.record({
      dtSeconds: fc.integer({ min: 1, max: 600 }),
      value: fc.oneof(fc.double({ min: 20, max: 40, noNaN: true }), fc.constantFrom(29, 30, 31)),
      tickOnly: fc.boolean(),
    }),
    { maxLength: 60 },
  );
  const timing = fc.record({
    forMs: fc.integer({ min: 0, max: 20 * MIN }),
    keepFiringForMs: fc.integer({ min: 0, max: 10 * MIN }),
    clear: fc.double({ min: 25, max: 30, noNaN: true }),
  });
  fc.assert(
    fc.property(timing, steps, ({ forMs, keepFiringForMs, clear }, seq) => {
      const rule = hot({ forMs, keepFiringForMs, clear: { hi: clear } });
      let state: AlertState | null = null;
      let at = 0;
      let expecting: 'fired' | 'resolved' = 'fired';
      for (const { dtSeconds, value, tickOnly } of seq) {
        at += dtSeconds * 1000;
        const step: Step = tickOnly ? tick(rule, state, at) : observeValue(rule, state, value, at);
        if (step.event) {
          expect(step.event.type).toBe(expecting);
          if (step.event.type === 'fired') expect(step.event.at - step.event.startedAt).toBeGreaterThanOrEqual(forMs);
          expecting = expecting === 'fired' ? 'resolved' : 'fired';
        }
        if (step.state?.phase === 'firing' && !state) expect(forMs).toBe(0);
        state = step.state;
      }
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
  );
});

test('stale: silent series fire only after the grace period from the worker\'s start, and a reading resolves', () => {
  const rule = { afterMs: 15 * MIN, graceMs: 10 * MIN };
  const started = 100 * MIN;
  const lastSeen = 0; // heard from long before the restart
  expect(observeSilence(rule, null, lastSeen, started, started + 5 * MIN).event).toBeUndefined();
  const fired = observeSilence(rule, null, lastSeen, started, started + 10 * MIN);
  expect(fired.event).toMatchObject({ type: 'fired' });
  const still = observeSilence(rule, fired.state, lastSeen, started, started + 11 * MIN);
  expect(still.event).toBeUndefined();
  const back = observeSilence(rule, still.state, started + 12 * MIN, started, started + 12 * MIN);
  expect(back).toEqual({ state: null, event: expect.objectContaining({ type: 'resolved' }) });
});

test('the alerts example of docs/alerts.md is a valid configuration', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PACKAGE_ROOT } = await import('../shared/paths.js');
  const { parseRoutes } = await import('../alerts/routes.js');
  const page = readFileSync(join(PACKAGE_ROOT, 'docs', 'alerts.md'), 'utf8');
  const block = /^# Alerts[\s\S]*?```json\n([\s\S]*?)```/m.exec(page)![1]!;
  const { alerts } = JSON.parse(block);
  expect(parseRules(alerts.rules)).toMatchObject({ ok: true, value: { length: 5 } });
  expect(parseRoutes(alerts.routes)).toMatchObject({ ok: true, value: { length: 2 } });
});
