// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { dueRun, nextRunAfter, periodOf } from '../reports/period.js';
import { parseReports, PERIODS } from '../reports/spec.js';
import { formatDelta, formatValue, percent } from '../reports/words.js';

const FUZZ = { seed: 20261125, numRuns: Number(process.env.FUZZ_RUNS ?? 300) };
const BERLIN = 'Europe/Berlin';
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('report configuration', () => {
  test('a complete report parses, with defaults for what is left out', () => {
    const parsed = parseReports([{
      name: 'morning',
      schedule: '0 7 * * *',
      timeZone: BERLIN,
      period: 'yesterday',
      to: ['me@example.com'],
      highlight: [{ select: 'bedroom/+/temperature', above: 26 }],
    }]);
    expect(parsed).toEqual({ ok: true, value: [{
      name: 'morning', schedule: '0 7 * * *', timeZone: BERLIN, period: 'yesterday', title: 'morning report',
      to: ['me@example.com'],
      select: [['#']], gapMs: 30 * 60_000, highlight: [{ select: ['bedroom', '+', 'temperature'], above: 26 }],
      temperatureUnit: 'C',
    }] });
  });

  test('every problem is named, with the report it belongs to', () => {
    const parsed = parseReports([
      {
        name: 'bad one',
        schedule: '61 7 * * *',
        period: 'fortnight',
        to: 'me@example.com, you@example.com',
        timeZone: 'Mars/Olympus',
        colour: 'red',
      },
      {
        name: 'nowhere',
        schedule: '0 7 * * *',
        period: 'yesterday',
        gapsLongerThan: '1m',
        highlight: [{ select: 'x', over: 3 }],
        temperatureUnit: 'K',
      },
    ]);
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^report 1 \("bad one"\): colour: not a report setting/),
      expect.stringMatching(/^report 1 \("bad one"\): name: must be 1 to 64 letters/),
      expect.stringMatching(/^report 1 \("bad one"\): timeZone: "Mars\/Olympus" is not a time zone/),
      expect.stringMatching(/^report 1 \("bad one"\): schedule: "61 7 \* \* \*": Invalid value for minute: 61/),
      expect.stringMatching(/^report 1 \("bad one"\): period: must be one of "last 24h"/),
      expect.stringMatching(new RegExp(
        /^report 1 \("bad one"\): to: must be e-mail addresses, one per list item /.source +
          /\(not an address: "me@example.com, you@example.com"\)/.source,
      )),
      'report 2 ("nowhere"): to: needs at least one e-mail address, or a directory to write the report to',
      'report 2 ("nowhere"): gapsLongerThan: must be at least 5m (the report reads 5-minute rollups)',
      'report 2 ("nowhere"): highlight 1: over: not a highlight setting (select, above, below)',
      'report 2 ("nowhere"): highlight 1: needs above or below',
      expect.stringMatching(/^report 2 \("nowhere"\): highlight 1: select: must be device\/sensor\/metric/),
      'report 2 ("nowhere"): temperatureUnit: must be "C" or "F"',
    ]));
  });

  test('any JSON gives reports or named problems, never an exception', () => {
    const report = fc.record({
      name: fc.oneof(fc.string(), fc.constantFrom('a', 'morning')),
      schedule: fc.oneof(
        fc.string(),
        fc.constantFrom('0 7 * * *', '*/5 * * * * *', '0 0 31 2 *', '@daily', '0 7 * * 8'),
      ),
      period: fc.oneof(fc.constantFrom(...PERIODS), fc.jsonValue()),
      to: fc.oneof(fc.jsonValue(), fc.constant(['a@b.c'])),
      directory: fc.oneof(fc.string(), fc.jsonValue()),
      timeZone: fc.oneof(fc.string(), fc.constantFrom('UTC', BERLIN)),
      highlight: fc.jsonValue(),
      gapsLongerThan: fc.jsonValue(),
      select: fc.oneof(fc.jsonValue(), fc.constantFrom('#', 'a/+/#', ['a/b/c'])),
    }, { requiredKeys: [] });
    const raws = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(report, fc.jsonValue()), { maxLength: 4 }));
    fc.assert(fc.property(raws, (raw) => {
      const parsed = parseReports(raw);
      if (!parsed.ok) {
        expect(parsed.problems.length).toBeGreaterThan(0);
        for (const p of parsed.problems) expect(typeof p).toBe('string');
      }
    }), FUZZ);
  });
});

describe('periods', () => {
  test('yesterday is a local day: 23 hours on the day clocks go forward, 25 on the day they go back', () => {
    const spring = periodOf('yesterday', new Date('2026-03-30T05:00:00Z'), BERLIN);
    expect([iso(spring.from), iso(spring.to)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(spring.label).toBe('Sunday, 29 March 2026');
    const autumn = periodOf('yesterday', new Date('2026-10-26T06:00:00Z'), BERLIN);
    expect((autumn.to.getTime() - autumn.from.getTime()) / 3_600_000).toBe(25);
    expect(iso(autumn.previousTo)).toBe(iso(autumn.from));
  });

  test('last week is Monday to Monday before the run; last month the calendar month', () => {
    const week = periodOf('last week', new Date('2026-11-25T08:00:00Z'), BERLIN); // a Wednesday
    expect([iso(week.from), iso(week.to), iso(week.previousFrom)])
      .toEqual(['2026-11-15T23:00:00.000Z', '2026-11-22T23:00:00.000Z', '2026-11-08T23:00:00.000Z']);
    const month = periodOf('last month', new Date('2026-11-01T06:00:00Z'), BERLIN);
    expect([iso(month.from), iso(month.to), month.label])
      .toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z', 'October 2026']);
  });

  test('last 24h ends on the 5-minute bucket of the run', () => {
    const p = periodOf('last 24h', new Date('2026-11-25T07:03:10Z'), 'UTC');
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-11-24T07:00:00.000Z', '2026-11-25T07:00:00.000Z']);
  });

  test('every period is non-empty, ends by the run, and follows its previous one', () => {
    const moments = fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true });
    const zones = fc.constantFrom('UTC', BERLIN, 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe');
    fc.assert(fc.property(fc.constantFrom(...PERIODS), moments, zones, (kind, at, tz) => {
      const p = periodOf(kind, at, tz);
      expect(p.from.getTime()).toBeLessThan(p.to.getTime());
      expect(p.to.getTime()).toBeLessThanOrEqual(at.getTime());
      expect(p.previousTo.getTime()).toBe(p.from.getTime());
      expect(p.from.getTime() % 300_000).toBe(0); // on a 5-minute bucket: the rollups answer exactly
    }), FUZZ);
  });
});

describe('schedule across a change of clocks', () => {
  const runsBetween = (schedule: string, from: string, to: string) => {
    const runs: string[] = [];
    const next = (after: Date) => nextRunAfter(schedule, BERLIN, after);
    for (let t = next(new Date(from)); t && t < new Date(to); t = next(t)) runs.push(t.toISOString());
    return runs;
  };

  test('07:00 daily runs once a day at 07:00 local, in spring and in autumn', () => {
    expect(runsBetween('0 7 * * *', '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z'))
      .toEqual(['2026-03-28T06:00:00.000Z', '2026-03-29T05:00:00.000Z', '2026-03-30T05:00:00.000Z']);
    expect(runsBetween('0 7 * * *', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'))
      .toEqual(['2026-10-24T05:00:00.000Z', '2026-10-25T06:00:00.000Z', '2026-10-26T06:00:00.000Z']);
  });

  test('02:30 runs once on both nights: at 03:00 in the spring gap, at the first 02:30 in autumn', () => {
    expect(runsBetween('30 2 * * *', '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z'))
      .toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(runsBetween('30 2 * * *', '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z'))
      .toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  test('a run is due once its time passes; missed runs collapse into the latest', () => {
    const last = new Date('2026-03-27T06:00:00Z');
    expect(dueRun('0 7 * * *', BERLIN, last, new Date('2026-03-28T05:59:59Z'))).toBeNull();
    expect(dueRun('0 7 * * *', BERLIN, last, new Date('2026-03-28T06:00:00Z')))
      .toEqual({ scheduledFor: new Date('2026-03-28T06:00:00Z'), missed: 0 });
    expect(dueRun('0 7 * * *', BERLIN, last, new Date('2026-03-31T12:00:00Z')))
      .toEqual({ scheduledFor: new Date('2026-03-31T05:00:00Z'), missed: 3 });
    expect(dueRun('0 7 * * *', BERLIN, null, new Date('2026-03-31T12:00:00Z'))).toBeNull();
  });
});

test('values, changes and shares read as people write them', () => {
  expect(formatValue(21.25, '°C')).toBe('21.3\u00a0°C');
  expect(formatValue(1013.24, 'hPa')).toBe('1013\u00a0hPa');
  expect(formatValue(-0.04, '°C')).toBe('0.0\u00a0°C');
  expect(formatDelta(0.84, '°C')).toBe('+0.8\u00a0°C');
  expect(formatDelta(-1.26, '%')).toBe('−1.3\u00a0%');
  expect(formatDelta(0.02, '°C')).toBe('±0\u00a0°C');
  expect([percent(1), percent(0.874), percent(0.05)]).toEqual(['100 %', '87.4 %', '5 %']);
});

test('the reports example of docs/reports.md is a valid configuration', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PACKAGE_ROOT } = await import('../shared/paths.js');
  const page = readFileSync(join(PACKAGE_ROOT, 'docs', 'reports.md'), 'utf8');
  const block = /^# Reports[\s\S]*?```json\n([\s\S]*?)```/m.exec(page)![1]!;
  const parsed = parseReports(JSON.parse(block).reports.list);
  expect(parsed).toMatchObject({
    ok: true,
    value: [
      { name: 'morning', period: 'yesterday' },
      { name: 'weekly', period: 'last week', directory: './data/reports' },
    ],
  });
});
