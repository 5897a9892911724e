// @engine-independent: opens no database (jest.config.js)
import { AlertEngine, type Change } from '../alerts/engine.js';
import { SETTLE_MS } from '../alerts/progress.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { parse } from './helpers/parsed.js';

/**
 * Review of issue 24: nodes whose clocks are wrong. A reading's ts may be up to
 * INGEST_MAX_FUTURE_SKEW_MS ahead of the clock (ingest stores it), or any time behind.
 */

const S = 1000;
const MIN = 60 * S;
const NOW = Date.UTC(2026, 10, 20, 14);
const rules = (extra: object = {}): Rule[] =>
  parse(parseRules([{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, ...extra }]));
const events = (changes: Change[]) => changes.flatMap((c) => (c.event ? [c.event.type] : []));

test(
  "one reading dated in the future (within the skew ingest allows) does not blind the series' alerts until then",
  () => {
    const engine = new AlertEngine(rules({ for: '0s' }), NOW - MIN);
    // A node whose clock ran 4 minutes ahead, then was corrected (NTP): its readings go on in true time.
    expect(events(engine.reading('attic', 'dht22', 'temperature', 20, NOW + 4 * MIN, NOW))).toEqual([]);
    const seen: string[] = [];
    for (let i = 1; i <= 6; i++)
      seen.push(...events(engine.reading('attic', 'dht22', 'temperature', 35, NOW + i * 10 * S, NOW + i * 10 * S)));
    expect(seen).toEqual(['fired']);
    expect(engine.lateReadings).toBe(0);
  },
);

test(
  'alert_progress keeps only series a threshold rule judges: 1,000 made-up metric names of one device add no rows',
  () => {
    const engine = new AlertEngine(rules({ for: '0s' }), NOW - MIN);
    for (let i = 0; i < 1000; i++) engine.reading('attic', 'dht22', `bogus${i}`, 1, NOW, NOW);
    engine.reading('attic', 'dht22', 'temperature', 20, NOW, NOW);
    expect(engine.takeProgress()).toEqual([{ device: 'attic', sensor: 'dht22', metric: 'temperature', newest: NOW }]);
  },
);

test('while a series catches up, its past-due timer does not make the worker tick back to back', () => {
  // A backlog ends with the series pending (for: 5m) since two hours ago: due long past, but it waits
  // for the series to settle. The next tick is then, not at once (at once, again and again: a busy loop).
  const engine = new AlertEngine(rules({ for: '5m' }), NOW - 3 * 60 * MIN);
  for (let i = 0; i < 3; i++) engine.reading('attic', 'dht22', 'temperature', 31, NOW - 2 * 60 * MIN + i * MIN, NOW);
  expect(engine.tick(NOW + 1000)).toEqual([]);
  expect(engine.nextDueAt()).toBe(NOW + SETTLE_MS);
  expect(engine.tick(NOW + SETTLE_MS).flatMap((c) => (c.event ? [c.event.type] : []))).toEqual(['fired']);
});
