// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { parseExportOptions } from '../cli/export-args.js';
import { formatInstant, parseTimeArg } from '../cli/time-args.js';
import { formatAge, formatBytes, formatTable, progressLine } from '../cli/text-output.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const time = (text: string, tz = 'Europe/Berlin') => {
  const r = parseTimeArg(text, NOW, tz);
  return r.ok ? r.value.toISOString() : r.reason;
};

test.each([
  ['now', NOW.toISOString()],
  ['-7d', '2026-11-18T12:00:00.000Z'],
  ['-90m', '2026-11-25T10:30:00.000Z'],
  ['-2w', '2026-11-11T12:00:00.000Z'],
  ['2026-11-01', '2026-10-31T23:00:00.000Z'],
  ['2026-07-01T08:00', '2026-07-01T06:00:00.000Z'],
  ['2026-07-01 08:00:30.5', '2026-07-01T06:00:30.500Z'],
  ['2026-07-01T08:00:00Z', '2026-07-01T08:00:00.000Z'],
  ['2026-07-01T08:00:00-05:30', '2026-07-01T13:30:00.000Z'],
  // In the spring-forward gap the wall clock never shows 02:30; the instant after the gap is meant.
  ['2026-03-29T02:30', '2026-03-29T01:30:00.000Z'],
])('time argument %s', (text, expected) => {
  expect(time(text)).toBe(expected);
});

test.each([
  ['yesterday', 'unknown form'],
  ['2026-02-30', 'no such date'],
  ['2026-13-01', 'out of range'],
  ['2026-01-01T25:00', 'out of range'],
  ['1969-12-31', 'before 1970'],
  ['-7y', 'unknown form'],
  ['-99999w', 'before 1970'],
])('time argument %s is refused: %s', (text, why) => {
  expect(time(text)).toMatch(new RegExp(`^"${text}" is not a time: .*${why}.*; use now, -7d`));
});

test('times print in the zone asked for, with the offset', () => {
  expect(formatInstant(new Date('2026-07-01T06:00:00Z'), 'Europe/Berlin')).toBe('2026-07-01T08:00:00+02:00');
  expect(formatInstant(new Date('2026-07-01T06:00:00.250Z'), 'America/St_Johns')).toBe('2026-07-01T03:30:00.250-02:30');
  expect(formatInstant(new Date('2026-07-01T06:00:00Z'), 'UTC')).toBe('2026-07-01T06:00:00Z');
  // Across the end of summer time, second by second: the offset changes exactly at 01:00 UTC.
  expect(formatInstant(new Date('2026-10-25T00:59:59Z'), 'Europe/Berlin')).toBe('2026-10-25T02:59:59+02:00');
  expect(formatInstant(new Date('2026-10-25T01:00:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:00:00+01:00');
  expect(formatInstant(new Date('2026-10-25T00:59:59.999Z'), 'Europe/Berlin')).toBe('2026-10-25T02:59:59.999+02:00');
});

test('export options: every problem named at once', () => {
  const r = parseExportOptions(
    { from: 'yesterday', every: '2m', format: 'xml', tz: 'Mars/Olympus', device: ',' },
    NOW,
    'UTC',
  );
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.reason.split('\n')).toEqual([
    '--tz "Mars/Olympus" is not a time zone; use an IANA name such as Europe/Berlin or UTC',
    expect.stringMatching(/^--from: "yesterday" is not a time/),
    '--every "2m" is not one of raw, 5m, 1h, 1d',
    '--format "xml" is not one of csv, json, ndjson',
    '--device needs at least one name',
  ]);
  expect(parseExportOptions({ from: '-1h', to: '-2h' }, NOW, 'UTC')).toEqual({
    ok: false,
    reason: '--from (2026-11-25T11:00:00.000Z) must be before --to (2026-11-25T10:00:00.000Z)',
  });
  expect(parseExportOptions({ device: 'attic, cellar', every: '1h' }, NOW, 'UTC')).toEqual({
    ok: true,
    value: {
      query: {
        from: new Date('2026-11-24T12:00:00Z'),
        to: NOW,
        every: '1h',
        devices: ['attic', 'cellar'],
        sensors: undefined,
        metrics: undefined,
      },
      format: 'csv',
      tz: 'UTC',
      out: undefined,
    },
  });
});

test('any command-line text gives a plan or reasons, never an exception (property)', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom(
      '-0d', '-999999w', '9999-12-31', '2026-02-29', '2028-02-29T24:00', '+05:00', 'Z', 'UTC', 'Etc/GMT+14', '',
    ),
  );
  const options = fc.record(
    { from: text, to: text, every: text, format: text, tz: text, device: text, out: text },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(options, (o) => {
      const r = parseExportOptions(o, NOW, 'UTC');
      if (r.ok) {
        expect(r.value.query.from.getTime()).toBeLessThan(r.value.query.to.getTime());
        expect(r.value.query.from.getTime()).toBeGreaterThanOrEqual(0);
      } else {
        expect(r.reason).toMatch(/^--(tz|from|to|every|format|device|out)/);
      }
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
  );
});

test('tables, sizes, ages and the progress line', () => {
  expect(formatTable(['device', 'values'], [['attic', '1,234'], ['cellar-long', '5']]))
    .toBe('device       values\nattic         1,234\ncellar-long       5');
  expect([formatBytes(999), formatBytes(1536), formatBytes(2.5e9)]).toEqual(['999 B', '1.5 kB', '2.5 GB']);
  const ages = [formatAge(5_000), formatAge(3_700_000), formatAge(90_000_000), formatAge(-61_000)];
  expect(ages).toEqual(['5 s', '1 h 1 min', '1 d 1 h', 'in 1 min']);
  expect(progressLine(0.5, 1234, 2000, 10)).toBe('[#####.....]  50%  1,234 rows  2 s');
  expect(progressLine(Number.NaN, 0, 0, 4)).toBe('[....]   0%  0 rows  0 s');
});
