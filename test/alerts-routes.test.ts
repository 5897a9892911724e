// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { parseRoutes, planNotification, quietUntil, readerOf, type Route } from '../alerts/routes.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const MIN = 60_000;

test('routes parse with their defaults; every problem is named', () => {
  const ok = parseRoutes([
    {
      name: 'phone',
      type: 'ntfy',
      url: 'https://ntfy.sh/my-house',
      severities: ['warning', 'critical'],
      quietHours: { from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' },
    },
    { name: 'mail', type: 'email', to: 'me@example.com', sendResolved: false, repeatInterval: '12h', groupWait: '1m' },
    { name: 'ha', type: 'mqtt' },
  ]);
  expect(ok.ok).toBe(true);
  if (!ok.ok) return;
  expect(ok.value[0]).toEqual({
    name: 'phone', type: 'ntfy', url: 'https://ntfy.sh/my-house', token: undefined, severities: ['warning', 'critical'],
    sendResolved: true,
    repeatIntervalMs: 4 * 60 * MIN, groupWaitMs: 30_000,
    quietHours: { fromMinute: 22 * 60, toMinute: 7 * 60, timeZone: 'Europe/Berlin', except: ['critical'] },
    temperatureUnit: 'C',
  });
  expect(ok.value[1]).toMatchObject({
    type: 'email',
    to: ['me@example.com'],
    sendResolved: false,
    repeatIntervalMs: 12 * 60 * MIN,
    groupWaitMs: MIN,
  });

  expect(parseRoutes([
    { name: 'hook', type: 'webhook', url: 'ftp://x', severities: ['loud'] },
    {
      name: 'night',
      type: 'ntfy',
      url: 'https://ntfy.sh/x',
      quietHours: { from: '22:00', to: '7am', timeZone: 'Moon/Base' },
    },
    { name: 'mail', type: 'email', to: ['not an address'], token: 'x' },
    { type: 'sms' },
  ])).toEqual({
    ok: false,
    problems: [
      'route 1 ("hook"): severities: must be a list of info, warning, critical',
      'route 1 ("hook"): url: must be an http:// or https:// URL',
      'route 2 ("night"): quietHours: from and to must be different times of day as HH:MM, such as 22:00 and 07:00',
      'route 2 ("night"): quietHours.timeZone: must be an IANA time zone such as Europe/Berlin',
      'route 3 ("mail"): token: not a setting of a email route',
      'route 3 ("mail"): to: must be one or more e-mail addresses',
      'route 4: type: must be one of email, webhook, ntfy, mqtt (was "sms")',
    ],
  });
});

test(
  'a route may give temperatures in °F and times in its own zone; its quiet hours follow that zone unless they ' +
    'name one',
  () => {
    const ok = parseRoutes([
      {
        name: 'us',
        type: 'webhook',
        url: 'https://x.example/hook',
        temperatureUnit: 'F',
        timeZone: 'America/New_York',
        quietHours: { from: '22:00', to: '07:00' },
      },
      {
        name: 'own',
        type: 'mqtt',
        timeZone: 'America/New_York',
        quietHours: { from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' },
      },
      { name: 'plain', type: 'mqtt', quietHours: { from: '22:00', to: '07:00' } },
    ]);
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(ok.value.map((r) => [r.temperatureUnit, r.timeZone, r.quietHours?.timeZone])).toEqual([
      ['F', 'America/New_York', 'America/New_York'],
      ['C', 'America/New_York', 'Europe/Berlin'],
      ['C', undefined, 'UTC'],
    ]);
    expect(readerOf(ok.value[0]!)).toEqual({ temperatureUnit: 'F', timeZone: 'America/New_York' });
    expect(parseRoutes([{ name: 'bad', type: 'mqtt', temperatureUnit: 'K', timeZone: 'Moon/Base' }])).toEqual({
      ok: false,
      problems: [
        'route 1 ("bad"): temperatureUnit: must be "C" or "F" (was "K")',
        'route 1 ("bad"): timeZone: "Moon/Base" is not a time zone; use an IANA name such as Europe/Berlin or UTC',
      ],
    });
  },
);

test('any configuration value gives routes or named problems (property)', () => {
  const field = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(
      'email', 'ntfy', 'webhook', 'mqtt', 'https://x.y/z', '22:00', '07:00', ['critical'], 'F', 'C', 'Europe/Berlin',
      { from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' },
    ),
  );
  const key = fc.constantFrom(
    'name', 'type', 'url', 'to', 'severities', 'sendResolved', 'repeatInterval', 'groupWait', 'quietHours',
    'bearerToken', 'token', 'temperatureUnit', 'timeZone', 'constructor',
  );
  const route = fc.dictionary(key, field);
  fc.assert(
    fc.property(fc.oneof(fc.array(route, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), (raw) => {
      const parsed = parseRoutes(raw);
      if (!parsed.ok) for (const p of parsed.problems) expect(p).toMatch(/^(route \d+( \(.*\))?: |alerts\.routes: )./s);
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(3000) },
  );
});

const night = { fromMinute: 22 * 60, toMinute: 7 * 60, timeZone: 'Europe/Berlin', except: ['critical' as const] };

test('quiet hours span midnight in their time zone, also the night clocks go back', () => {
  // 23:30 Berlin (CET) on 10 Nov → held until 07:00 Berlin on 11 Nov.
  expect(new Date(quietUntil(night, Date.UTC(2026, 10, 10, 22, 30))!).toISOString()).toBe('2026-11-11T06:00:00.000Z');
  // 06:59 Berlin → until 07:00; 07:00 → not quiet; 21:59 → not quiet.
  expect(new Date(quietUntil(night, Date.UTC(2026, 10, 11, 5, 59))!).toISOString()).toBe('2026-11-11T06:00:00.000Z');
  expect(quietUntil(night, Date.UTC(2026, 10, 11, 6, 0))).toBeNull();
  expect(quietUntil(night, Date.UTC(2026, 10, 11, 20, 59))).toBeNull();
  // The night of 24 to 25 October 2026 (CEST → CET at 03:00): 07:00 CET is 06:00 UTC.
  expect(new Date(quietUntil(night, Date.UTC(2026, 9, 24, 21, 0))!).toISOString()).toBe('2026-10-25T06:00:00.000Z');
  // The night of 28 to 29 March 2026 (CET → CEST): 07:00 CEST is 05:00 UTC.
  expect(new Date(quietUntil(night, Date.UTC(2026, 2, 28, 23, 0))!).toISOString()).toBe('2026-03-29T05:00:00.000Z');
});

test('a notification waits for its group, quiet hours hold a warning and pass a critical, and routes filter', () => {
  const route = {
    name: 'phone',
    type: 'ntfy',
    url: 'https://ntfy.sh/x',
    severities: ['warning', 'critical'],
    sendResolved: true,
    repeatIntervalMs: 0,
    groupWaitMs: 30_000,
    quietHours: night,
  } as Route;
  const lateEvening = Date.UTC(2026, 10, 10, 22, 30);
  expect(planNotification(route, { type: 'fired', severity: 'warning' }, lateEvening))
    .toBe(Date.UTC(2026, 10, 11, 6, 0));
  expect(planNotification(route, { type: 'fired', severity: 'critical' }, lateEvening)).toBe(lateEvening + 30_000);
  expect(planNotification(route, { type: 'fired', severity: 'info' }, lateEvening)).toBeNull();
  const quietRoute = { ...route, sendResolved: false };
  expect(planNotification(quietRoute, { type: 'resolved', severity: 'critical' }, lateEvening)).toBeNull();
  const noon = Date.UTC(2026, 10, 11, 11, 0);
  expect(planNotification(route, { type: 'resolved', severity: 'warning' }, noon)).toBe(noon + 30_000);
});
