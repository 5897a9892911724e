// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { describeLinkProblem } from '../sensor-node/link-problem.js';
import { Summary } from '../shared/summary.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

test(
  'a repeated event is reported at once, then at most once per interval with how many since; a new streak starts over',
  () => {
    const s = new Summary(60_000);
    expect(s.add(1, 0)).toBe(1);
    expect([s.add(1, 1000), s.add(3, 30_000)]).toEqual([0, 0]);
    expect(s.add(1, 61_000)).toBe(5);
    expect(s.add(1, 62_000)).toBe(0);
    expect(s.total).toBe(7);
    expect(s.endStreak()).toEqual({ unreported: 1, total: 7 });
    expect(s.add(1, 63_000)).toBe(1);
    expect(s.total).toBe(1);
  },
);

test(
  'describeLinkProblem names a cause and a setting for anything MQTT.js or the network may throw, and never throws',
  () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ code: fc.oneof(fc.string(), fc.integer()), message: fc.oneof(fc.string(), fc.anything()) }),
        ),
        (err) => {
          const { cause, check } = describeLinkProblem(err, 'mqtt://broker:1883', 10_000);
          return typeof cause === 'string' && cause.length > 0 && cause.length <= 300 && check.length > 0;
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
    );
    expect(
      describeLinkProblem(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' }),
        'mqtt://127.0.0.1:1883', 10_000,
      ).cause,
    ).toBe('nothing listens at mqtt://127.0.0.1:1883 (ECONNREFUSED)');
  },
);
