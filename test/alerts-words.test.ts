// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { factsOf, isCondition } from '../alerts/facts.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { quantitiesOf, sentenceOf, spanOf, STORED_UNITS, type EventRow, type Reader } from '../alerts/words.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

/** The one place events become words (issue 24, item 5): table-driven, then any row at all (property). */

const C: Reader = STORED_UNITS;
const F: Reader = { temperatureUnit: 'F', timeZone: 'UTC' };
const BERLIN: Reader = { temperatureUnit: 'C', timeZone: 'Europe/Berlin' };
const T = Date.parse('2026-12-06T12:00:00Z');
const MIN = 60_000;

function ruleOf(raw: object): Rule {
  const parsed = parseRules([{ name: 'r', select: '+/+/+', ...raw }]);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]!;
}

/** A row as the engine writes it for `rule`, fired or resolved at T + `after`. */
function row(
  rule: Rule, kind: 'fired' | 'resolved', value: number, after: number, extra: Partial<EventRow> = {},
): EventRow {
  const metric = rule.type === 'threshold' || rule.type === 'stale' ? 'temperature' : '';
  return {
    ...factsOf(rule, metric), kind, at: new Date(T + after), started_at: new Date(T), rule: rule.name,
    severity: rule.severity,
    device: 'attic', sensor: rule.type === 'offline' ? '' : 'dht22', metric, value, message: 'stored words', ...extra,
  };
}

const hot = ruleOf({ type: 'threshold', above: 30, clear: 29 });

test.each<[string, EventRow, Reader, string]>([
  ['firing', row(hot, 'fired', 31.2, 5 * MIN), C, 'attic/dht22 temperature 31.2 °C above 30 °C for 5 min'],
  [
    'firing in °F: the threshold converts too',
    row(hot, 'fired', 31.2, 5 * MIN),
    F,
    'attic/dht22 temperature 88.2 °F above 86 °F for 5 min',
  ],
  [
    'a resolution reads as one',
    row(hot, 'resolved', 27, 200 * MIN),
    C,
    'attic/dht22 temperature back to 27.0 °C (below 29 °C) after 3 h 20 min',
  ],
  [
    'a resolution in °F: the clear threshold converts',
    row(hot, 'resolved', 27, 200 * MIN),
    F,
    'attic/dht22 temperature back to 80.6 °F (below 84.2 °F) after 3 h 20 min',
  ],
  [
    'a past episode, in the reader\'s zone',
    row(hot, 'resolved', 27, 9 * MIN, { past_episode: true }),
    BERLIN,
    'attic/dht22 temperature was above 30 °C from 13:00 to 13:09',
  ],
  [
    'a past episode over midnight says the days',
    row(hot, 'resolved', 27, 15 * 60 * MIN, { past_episode: true }),
    BERLIN,
    'attic/dht22 temperature was above 30 °C from 6 Dec 13:00 to 7 Dec 04:00',
  ],
  [
    'a rule removed',
    row(hot, 'resolved', 31.5, 20 * MIN, { reason: 'rule removed' }),
    F,
    'attic/dht22 temperature: resolved (rule removed) after 20 min, last 88.7 °F',
  ],
  [
    'below, resolved',
    row(ruleOf({ type: 'threshold', below: 5 }), 'resolved', 8, 2 * MIN),
    C,
    'attic/dht22 temperature back to 8.0 °C (above 5 °C) after 2 min',
  ],
  [
    'outside, firing',
    row(ruleOf({ type: 'threshold', outside: [18, 26] }), 'fired', 16.5, 0),
    F,
    'attic/dht22 temperature 61.7 °F outside 64.4 to 78.8 °F for 0 s',
  ],
  [
    'outside, resolved',
    row(ruleOf({ type: 'threshold', outside: [18, 26], clear: [19, 25] }), 'resolved', 21, 30 * MIN),
    C,
    'attic/dht22 temperature back to 21.0 °C (within 19 to 25 °C) after 30 min',
  ],
  [
    'stale, firing',
    row(ruleOf({ type: 'stale', after: '15m' }), 'fired', 900, 0),
    C,
    'attic/dht22 temperature: no reading for 15 min',
  ],
  [
    'stale, resolved',
    row(ruleOf({ type: 'stale', after: '15m' }), 'resolved', 0, 40 * MIN),
    C,
    'attic/dht22 temperature reporting again after 40 min',
  ],
  [
    'offline, firing',
    row(ruleOf({ type: 'offline', select: '+', for: '2m' }), 'fired', 1, 2 * MIN),
    C,
    'attic is offline',
  ],
  [
    'offline, resolved',
    row(ruleOf({ type: 'offline', select: '+' }), 'resolved', 0, 75 * MIN),
    C,
    'attic back online after 1 h 15 min',
  ],
  [
    'sensor health, firing',
    row(ruleOf({ type: 'sensorHealth', select: '+/+', maxFailureRate: 0.5 }), 'fired', 0.75, 0),
    C,
    'attic/dht22: 75 % of reads failed',
  ],
  [
    'sensor health, resolved',
    row(ruleOf({ type: 'sensorHealth', select: '+/+', maxFailureRate: 0.5 }), 'resolved', 0.05, MIN),
    C,
    'attic/dht22 reading again (5 % of reads failed) after 1 min',
  ],
  [
    'a custom template, in the reader\'s units',
    row(ruleOf({
      type: 'threshold',
      above: 30,
      message: 'Hot in the {{device}}: {{value}}{{unit}} (limit {{threshold}}{{unit}})',
    }), 'fired', 31, 0),
    F,
    'Hot in the attic: 87.8 °F (limit 86 °F)',
  ],
  [
    'a custom template\'s resolution in the built-in words',
    row(ruleOf({ type: 'threshold', above: 30, message: 'Hot: {{value}}' }), 'resolved', 28, MIN),
    C,
    'attic/dht22 temperature back to 28.0 °C (below 30 °C) after 1 min',
  ],
  [
    'humidity is not converted',
    { ...row(hot, 'fired', 71, 0), metric: 'humidity', unit: '%' },
    F,
    'attic/dht22 humidity 71.0 % above 30 % for 0 s',
  ],
])('%s', (_, e, reader, words) => {
  expect(sentenceOf(e, reader)).toBe(words);
});

/** A row written before schema 13: no facts, said by its message as it always was. */
const old = {
  kind: 'fired',
  at: new Date(T + 5 * MIN),
  started_at: new Date(T),
  rule: 'hot',
  device: 'attic',
  sensor: 'dht22',
  metric: 'temperature',
  severity: 'warning',
  value: 31,
  message: 'attic/dht22 temperature 31 °C above 30 °C for 5 min',
};
test.each<[string, EventRow, string]>([
  ['firing', old, 'attic/dht22 temperature 31 °C above 30 °C for 5 min'],
  ['resolved', { ...old, kind: 'resolved' }, 'resolved: attic/dht22 temperature 31 °C above 30 °C for 5 min'],
  [
    'resolved with a reason',
    { ...old, kind: 'resolved', reason: 'rule removed' },
    'resolved (rule removed): attic/dht22 temperature 31 °C above 30 °C for 5 min',
  ],
  [
    'a past episode',
    { ...old, kind: 'resolved', past_episode: true, condition: null },
    'past episode, 12:00 to 12:05: attic/dht22 temperature 31 °C above 30 °C for 5 min',
  ],
])('an old row (no facts), %s, is said by its message, in °F too', (_, e, words) => {
  expect(sentenceOf(e, F)).toBe(words);
  expect(quantitiesOf(e, F)).toEqual({ value: 31, unit: null, condition: null });
});

test('quantities for machines are in the reader\'s units', () => {
  expect(quantitiesOf(row(hot, 'fired', 31.2, 0), F))
    .toEqual({ value: 31.2 * 1.8 + 32, unit: '°F', condition: 'above', threshold: 86 });
  const outside = row(ruleOf({ type: 'threshold', outside: [18, 26] }), 'fired', 16, 0);
  expect(quantitiesOf(outside, C))
    .toEqual({ value: 16, unit: '°C', condition: 'outside', thresholdLow: 18, thresholdHigh: 26 });
  // A stale alert's value is seconds of silence: never converted, whatever the metric.
  expect(quantitiesOf(row(ruleOf({ type: 'stale', after: '15m' }), 'fired', 900, 0), F))
    .toMatchObject({ value: 900, unit: 's', condition: 'silent' });
});

test('a span across a change of clocks is said in local time', () => {
  // Europe/Berlin went from CEST to CET at 03:00 on 25 Oct 2026: 00:30 UTC is 02:30 CEST, 02:30 UTC is 03:30 CET.
  expect(spanOf(new Date('2026-10-25T00:30:00Z'), new Date('2026-10-25T02:30:00Z'), 'Europe/Berlin'))
    .toBe('from 02:30 to 03:30');
});

test('any row, however odd, gives words and never throws, for any reader (property)', () => {
  const num = fc.oneof(fc.double(), fc.constant(null), fc.constant(undefined), fc.integer({ min: -1e6, max: 1e6 }));
  const date = fc.oneof(fc.date({ noInvalidDate: false }), fc.constant(new Date(NaN)));
  const text = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('', 'temperature', '°C', '%', 's', '{{value}}{{unit}} {{nope}} {{', 'rule removed'),
  );
  const arbitraryRow = fc.record({
    kind: fc.oneof(fc.constantFrom('fired', 'resolved'), fc.string({ maxLength: 8 })),
    at: date, started_at: date, rule: text, device: text, sensor: text, metric: text, severity: text, value: num,
    message: text,
    reason: fc.option(text, { nil: undefined }), past_episode: fc.option(fc.boolean(), { nil: undefined }),
    condition: fc.option(
      fc.oneof(
        fc.constantFrom('above', 'below', 'outside', 'silent', 'offline', 'failing'),
        fc.string({ maxLength: 8 }),
      ),
      { nil: undefined },
    ),
    threshold_lo: num, threshold_hi: num, clear_lo: num, clear_hi: num,
    unit: fc.option(text, { nil: undefined }), template: fc.option(text, { nil: undefined }),
  }, {
    requiredKeys: ['kind', 'at', 'started_at', 'rule', 'device', 'sensor', 'metric', 'severity', 'value', 'message'],
  });
  const reader = fc.record({
    temperatureUnit: fc.constantFrom('C' as const, 'F' as const),
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu'),
  });
  fc.assert(
    fc.property(arbitraryRow, reader, (e, r) => {
      const words = sentenceOf(e as EventRow, r);
      expect(typeof words).toBe('string');
      quantitiesOf(e as EventRow, r);
      // Words of its own (not a stored message or a template) never leak a missing or impossible number.
      if (isCondition(e.condition) && !e.template) {
        const plain = {
          ...e, device: 'd', sensor: 's', metric: 'm', rule: 'r', severity: 'warning', message: 'x',
          reason: e.reason ? 'rule removed' : e.reason, unit: e.unit ? '°C' : e.unit,
        };
        expect(sentenceOf(plain as EventRow, r)).not.toMatch(/undefined|null|NaN|Infinity/);
      }
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
  );
});
