// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { WriteOutcomes } from '../broker/journal/outcomes.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

type Step =
  { kind: 'append'; n: number } | { kind: 'write'; n: number; fails: boolean } | { kind: 'ask'; back: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 1, max: 6 }), fails: fc.boolean() }),
  fc.record({ kind: fc.constant('ask' as const), back: fc.nat({ max: 12 }) }),
);

test(
  'settled(from) resolves once every record after the mark is written, and rejects exactly when one of them failed',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const outcomes = new WriteOutcomes();
        const failed = new Set<number>();
        let appended = 0;
        let processed = 0;
        const asked: Array<{ from: number; to: number; verdict: Promise<string> }> = [];
        for (const s of steps) {
          if (s.kind === 'append') appended += s.n;
          else if (s.kind === 'ask') {
            const from = Math.max(0, appended - s.back);
            asked.push({
              from, to: appended,
              verdict: outcomes.settled(from, appended).then(
                () => 'written', (e: Error) => `failed: ${e.message}`,
              ),
            });
          } else {
            const last = Math.min(appended, processed + s.n);
            if (last <= processed) continue;
            if (s.fails) for (let i = processed + 1; i <= last; i++) failed.add(i);
            outcomes.report(processed + 1, last, s.fails ? new Error('ENOSPC') : undefined);
            processed = last;
          }
        }
        outcomes.abandon(new Error('closed'));
        for (const { from, to, verdict } of asked) {
          let expected = 'written';
          if (to > from && to > processed) expected = 'failed: closed';
          else for (let i = from + 1; i <= to; i++) if (failed.has(i)) expected = 'failed: ENOSPC';
          expect(await verdict).toBe(expected);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(500) },
    );
  },
);

test('a mark with nothing handed in after it is settled at once', async () => {
  await expect(new WriteOutcomes().settled(7, 7)).resolves.toBeUndefined();
});
