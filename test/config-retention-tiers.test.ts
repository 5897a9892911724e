// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../config/index.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

/** Issue 26: 5-minute rollups kept less long than raw readings rebuilt a late hour from one bucket (count 60 -> 6). */

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

test(
  '5-minute rollups kept less long than raw readings are refused, naming both settings and the value that would do',
  () => {
    expect(problemsOf({ RETENTION_RAW_DAYS: '90', RETENTION_5M_DAYS: '30' })).toEqual([
      'storage.retention5mDays (env RETENTION_5M_DAYS): keeps 5-minute rollups 30 days, less long than '
        + 'storage.retentionRawDays (env RETENTION_RAW_DAYS) keeps the raw readings they are built from (90 days): '
        + 'a late reading for a month whose 5-minute rollups are gone would rebuild its hour and day from that reading '
        + 'alone; set RETENTION_5M_DAYS to 90 or more, or 0 (forever)',
    ]);
    // Raw kept forever (by default the raw setting is 90 days and every rollup forever).
    expect(problemsOf({ RETENTION_RAW_DAYS: '0', RETENTION_5M_DAYS: '400', RETENTION_1H_DAYS: '400' })).toEqual([
      expect.stringMatching(new RegExp(
        String.raw`^storage\.retention5mDays \(env RETENTION_5M_DAYS\): keeps 5-minute rollups 400 days, `
        + String.raw`less long than storage\.retentionRawDays \(env RETENTION_RAW_DAYS\) `
        + String.raw`keeps the raw readings they are built from \(forever\): .*; `
        + String.raw`set RETENTION_5M_DAYS to 0 \(forever\)$`,
      )),
    ]);
    expect(problemsOf({ RETENTION_RAW_DAYS: '90', RETENTION_5M_DAYS: '120', RETENTION_1D_DAYS: '100' })).toEqual([
      expect.stringMatching(new RegExp(
        String.raw`^storage\.retention1dDays \(env RETENTION_1D_DAYS\): keeps daily rollups 100 days, `
        + String.raw`less long than storage\.retention5mDays \(env RETENTION_5M_DAYS\) `
        + String.raw`keeps the 5-minute rollups they are built from \(120 days\)`,
      )),
    ]);
    expect(problemsOf({})).toEqual([]);
  },
);

/**
 * Days as a user might give them: mostly small and equal-ish, so every order of the tiers comes up; sometimes not
 * days at all.
 */
const days = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.oneof(fc.constantFrom(0, 0, 1, 30, 90, 365), fc.integer({ min: 0, max: 36_500 })).map(String),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.constantFrom('-1', '', '1.5', 'forever', '1e3', '99999999'), fc.string({ maxLength: 6 })),
  },
);
const keep = (d: number) => (d === 0 ? Infinity : d);
const isDays = (s: string) => /^\d+$/.test(s) && Number(s) <= 36_500;

test('over any tier settings: never throws anything but a ConfigError, and accepts exactly the ones that nest', () => {
  fc.assert(
    fc.property(fc.record({ raw: days, m5: days, h1: days, d1: days }), ({ raw, m5, h1, d1 }) => {
      const problems = problemsOf({
        RETENTION_RAW_DAYS: raw, RETENTION_5M_DAYS: m5, RETENTION_1H_DAYS: h1, RETENTION_1D_DAYS: d1,
      });
      if (![raw, m5, h1, d1].every(isDays)) return; // refused key by key, before the tiers are compared
      const [r, m, h, d] = [raw, m5, h1, d1].map((v) => keep(Number(v))) as [number, number, number, number];
      // Hours and days are both merged from the 5-minute rollups, which are made from raw readings.
      expect(problems.length === 0).toBe(m >= r && h >= m && d >= m);
      const tierProblem = new RegExp(
        String.raw`^storage\.retention(5m|1h|1d)Days \(env RETENTION_(5M|1H|1D)_DAYS\): `
        + String.raw`keeps .* set RETENTION_(5M|1H|1D)_DAYS to `,
      );
      for (const p of problems) expect(p).toMatch(tierProblem);
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
  );
});
