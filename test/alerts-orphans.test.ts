// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { AlertEngine, type AlertKey } from '../alerts/engine.js';
import { alertmanagerBody, htmlOf, ntfyHeaders, subjectOf, textOf, type NotificationEvent } from '../alerts/format.js';
import { ownerOf, partitionByOwner, RULE_REMOVED } from '../alerts/orphans.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';
import { parse } from './helpers/parsed.js';

// Issue 24, item 3: which stored alerts a rule set still owns. Pure; no database, no broker.

const rules: Rule[] = parse(parseRules([
  { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 },
  { name: 'attic-only', type: 'threshold', select: 'attic/#', above: 30 },
  { name: 'quiet', type: 'stale', select: '+/+/humidity', after: '15m' },
  { name: 'down', type: 'offline', select: '+' },
  { name: 'flaky', type: 'sensorHealth', select: 'kitchen/+', maxFailureRate: 0.5 },
]));

const series = (rule: string, device: string, sensor: string, metric: string): AlertKey => ({
  rule, device, sensor, metric,
});

test.each<[string, AlertKey, string | null]>([
  ['a threshold alert its rule selects', series('hot', 'kitchen', 'dht22', 'temperature'), 'hot'],
  ['a rule removed (or renamed: the old name is gone)', series('too-hot', 'kitchen', 'dht22', 'temperature'), null],
  ['a selector that no longer matches the series', series('hot', 'kitchen', 'dht22', 'humidity'), null],
  ['# still matches the rest', series('attic-only', 'attic', 'dht22', 'humidity'), 'attic-only'],
  ['# on another device', series('attic-only', 'kitchen', 'dht22', 'humidity'), null],
  ['a stale alert its rule selects', series('quiet', 'kitchen', 'dht22', 'humidity'), 'quiet'],
  ['an offline alert (a device key)', { rule: 'down', device: 'kitchen' }, 'down'],
  ['a sensor health alert (a sensor key)', { rule: 'flaky', device: 'kitchen', sensor: 'dht22' }, 'flaky'],
  ['a sensor health alert on a device it no longer selects', { rule: 'flaky', device: 'attic', sensor: 'dht22' }, null],
  // The name stayed, the type changed: the key has another shape, so it is another alert.
  ['a series alert under a name that is now an offline rule', series('down', 'kitchen', 'dht22', 'temperature'), null],
  ['a device alert under a name that is now a threshold rule', { rule: 'hot', device: 'kitchen' }, null],
  [
    'a sensor alert under a name that is now a threshold rule', { rule: 'hot', device: 'kitchen', sensor: 'dht22' },
    null,
  ],
  [
    'a series alert under a name that is now a sensor health rule', series('flaky', 'kitchen', 'dht22', 'temperature'),
    null,
  ],
  [
    'a key as stored, with empty sensor and metric, of an offline rule',
    { rule: 'down', device: 'kitchen', sensor: '', metric: '' }, 'down',
  ],
])('%s', (_, key, owner) => {
  expect(ownerOf(rules, key)?.name ?? null).toBe(owner);
});

test('partitionByOwner keeps each side in order, and no rules own nothing', () => {
  const alerts = [
    { key: series('hot', 'a', 's', 'temperature'), n: 1 },
    { key: series('gone', 'a', 's', 'temperature'), n: 2 },
    { key: { rule: 'down', device: 'a' }, n: 3 },
    { key: series('hot', 'b', 's', 'co2'), n: 4 },
  ];
  expect(partitionByOwner(rules, alerts)).toEqual({ owned: [alerts[0], alerts[2]], orphaned: [alerts[1], alerts[3]] });
  expect(partitionByOwner([], alerts)).toEqual({ owned: [], orphaned: alerts });
});

// Every alert the engine makes from a rule set is owned by that rule set (so a restart with the same
// configuration resolves nothing), and by no rule set without its rule's name.
test(
  "property: an unchanged rule set orphans none of the engine's alerts; removing a rule orphans exactly its alerts",
  () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd');
    const level = fc.constantFrom('+', 'x', 'y');
    const rule = fc.oneof(
      fc.record({
        name, type: fc.constant('threshold'),
        select: fc.tuple(level, level, fc.constantFrom('+', 'temperature', 'humidity')).map((l) => l.join('/')),
        above: fc.constant(30),
      }),
      fc.record({ name, type: fc.constant('offline'), select: level }),
      fc.record({
        name, type: fc.constant('sensorHealth'),
        select: fc.tuple(level, fc.constantFrom('#', '+', 'x')).map((l) => l.join('/')),
        maxFailureRate: fc.constant(0.5),
      }),
    );
    const input = fc.oneof(
      fc.record({
        kind: fc.constant('reading' as const), device: fc.constantFrom('x', 'y'), sensor: fc.constantFrom('x', 'y'),
        metric: fc.constantFrom('temperature', 'humidity'), value: fc.constantFrom(20, 35),
      }),
      fc.record({ kind: fc.constant('status' as const), device: fc.constantFrom('x', 'y'), down: fc.boolean() }),
      fc.record({
        kind: fc.constant('diag' as const), device: fc.constantFrom('x', 'y'), sensor: fc.constantFrom('x', 'y'),
        attempts: fc.nat(20), readings: fc.nat(20),
      }),
    );
    let withAlerts = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(rule, { selector: (r) => r.name, minLength: 1, maxLength: 4 }),
        fc.array(input, { minLength: 5, maxLength: 30 }),
        (raw, inputs) => {
          const set = parse(parseRules(raw));
          const engine = new AlertEngine(set, 0);
          inputs.forEach((i, n) => {
            if (i.kind === 'reading') engine.reading(i.device, i.sensor, i.metric, i.value, n * 1000);
            if (i.kind === 'status') engine.status(i.device, i.down ? 'offline' : 'online', n * 1000);
            if (i.kind === 'diag')
              engine.diag(
                i.device, i.sensor, { attempts: Math.max(i.attempts, i.readings), readings: i.readings }, n * 1000,
              );
          });
          const active = engine.active();
          if (active.length > 0) withAlerts++;
          expect(partitionByOwner(set, active).orphaned).toEqual([]);
          const [removed, ...kept] = set;
          expect(partitionByOwner(kept, active).orphaned).toEqual(active.filter((a) => a.key.rule === removed!.name));
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
    expect(withAlerts).toBeGreaterThan(fuzzRuns(300) / 3); // not a vacuous pass: most runs have alerts
  },
);

const UTC = { temperatureUnit: 'C', timeZone: 'UTC' } as const;

// Old alert_events rows have no reason (null; absent in an event built before the column): they render as before.
const resolvedEvent = (reason: string | null | undefined): NotificationEvent => ({
  kind: 'resolved', at: new Date('2026-11-20T12:20:00Z'), rule: 'hot', device: 'kitchen', sensor: 'dht22',
  metric: 'temperature', severity: 'warning',
  value: 31, message: 'kitchen/dht22 temperature 31 °C above 30 °C for 5 min', labels: {},
  started_at: new Date('2026-11-20T12:00:00Z'), fired_at: new Date('2026-11-20T12:05:00Z'),
  ...(reason === undefined ? {} : { reason }),
});
test.each<[string, string | null | undefined, string, Record<string, string>]>([
  [
    'an old row (reason absent)', undefined,
    '[warning] resolved: kitchen/dht22 temperature 31 °C above 30 °C for 5 min', {},
  ],
  [
    'a row resolved by its condition (reason null)', null,
    '[warning] resolved: kitchen/dht22 temperature 31 °C above 30 °C for 5 min', {},
  ],
  [
    'a rule removed', RULE_REMOVED,
    '[warning] resolved (rule removed): kitchen/dht22 temperature 31 °C above 30 °C for 5 min',
    { reason: 'rule removed' },
  ],
])('renders %s', (_, reason, subject, annotations) => {
  const e = resolvedEvent(reason);
  expect(subjectOf([e], UTC)).toBe(subject);
  expect(ntfyHeaders([e], UTC).Title).toBe(subject);
  expect(textOf([e], UTC).split('\n')[0]).toBe(subject.replace('[warning] ', ''));
  expect(htmlOf([e], UTC)).toContain(reason ? '>resolved (rule removed)<' : '>resolved<');
  expect(alertmanagerBody('hook', [e], UTC).alerts[0]!.annotations).toEqual({
    summary: subject.replace('[warning] ', ''), value: '31', ...annotations,
  });
});

test('a rule removed, with the facts of its firing (schema 13): its words say so, in the route\'s units', () => {
  const e: NotificationEvent = {
    ...resolvedEvent(RULE_REMOVED), condition: 'above', threshold_hi: 30, clear_hi: 30, unit: '°C', threshold_lo: null,
    clear_lo: null, template: null,
  };
  expect(subjectOf([e], UTC)).toBe(
    '[warning] kitchen/dht22 temperature: resolved (rule removed) after 20 min, last 31.0 °C',
  );
  expect(subjectOf([e], { ...UTC, temperatureUnit: 'F' })).toBe(
    '[warning] kitchen/dht22 temperature: resolved (rule removed) after 20 min, last 87.8 °F',
  );
  expect(alertmanagerBody('hook', [e], UTC).alerts[0]!.annotations).toMatchObject({
    reason: 'rule removed', value: '31', unit: '°C', condition: 'above', threshold: '30',
  });
});
