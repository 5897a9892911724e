// @engine-independent: opens no database (jest.config.js)
import { AlertEngine, type Change } from '../alerts/engine.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { parse } from './helpers/parsed.js';

/** Review of issue 24 (not fixed, debatable design): a node whose clock is minutes behind, reading live. */

const S = 1000;
const MIN = 60 * S;
const NOW = Date.UTC(2026, 10, 20, 14);
const rules = (extra: object = {}): Rule[] =>
  parse(parseRules([{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, ...extra }]));
const events = (changes: Change[]) =>
  changes.flatMap((c) =>
    c.event ? [`${c.event.type}${c.event.catchingUp ? ' (held)' : ''}`] : c.release ? ['release'] : [],
  );

/** Readings every `everyMs` from a node `behindMs` behind, with the worker's tick every second. */
function run(engine: AlertEngine, values: number[], everyMs: number, behindMs: number): string[] {
  const seen: string[] = [];
  for (let t = 0; t < values.length * everyMs; t += S) {
    const now = NOW + t;
    if (t % everyMs === 0)
      seen.push(...events(engine.reading('attic', 'dht22', 'temperature', values[t / everyMs]!, now - behindMs, now)));
    seen.push(...events(engine.tick(now)));
  }
  return seen;
}

test('a clock 2 minutes behind: one hot reading does not fire a rule with `for: 1m`', () => {
  // Readings every 10 s (the node's default); one of 31 °C among 25s.
  expect(
    run(
      new AlertEngine(rules({ for: '1m' }), NOW - HOUR()), [25, 25, 31, 25, 25, 25, 25, 25, 25, 25, 25, 25], 10 * S,
      2 * MIN,
    ),
  ).toEqual([]);
});

test('a clock 2 minutes behind: `keepFiringFor: 1m` keeps a firing alert firing across one cool reading', () => {
  const values = [31, 31, 25, 31, 31, 31, 31, 31, 31, 31, 31];
  expect(
    run(new AlertEngine(rules({ for: '0s', keepFiringFor: '1m' }), NOW - HOUR()), values, 10 * S, 2 * MIN),
  ).toEqual(['fired (held)', 'release']);
});

test(
  'a clock 2 minutes behind, readings every 2 s: a firing is notified while it holds, not only once it is over',
  () => {
    const seen = run(new AlertEngine(rules({ for: '0s' }), NOW - HOUR()), Array(300).fill(31), 2 * S, 2 * MIN);
    // The firing is held as a backlog's: it must be released (or not held) within a few seconds, not never.
    expect(seen).toEqual(expect.arrayContaining(['release']));
  },
);

function HOUR() {
  return 60 * MIN;
}
