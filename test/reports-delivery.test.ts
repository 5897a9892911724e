import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../config/index.js';
import { createMailTransport, type MailTransport } from '../shared/mail.js';
import { loadRasteriser, pngSize } from '../reports/rasterise.js';
import { ReportScheduler } from '../reports/scheduler.js';
import { makeAndDeliver, reportsSetup } from '../reports/setup.js';
import type { ReportSpec } from '../reports/spec.js';
import { formatValue } from '../reports/words.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { DAY_FROM, DAY_TO, expectedStats, REPORT_TZ, RUN_AT, seedHouse } from './helpers/report-data.js';

let t: TestDatabase;
let smtp: SMTPServer;
let mailer: MailTransport;
const mails: Buffer[] = [];
/** How many of the next messages the SMTP server refuses (451: try again later). */
let refuse = 0;

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await seedHouse(t.db);
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--;
          return done(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
        }
        mails.push(Buffer.concat(chunks));
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  mailer = await createMailTransport(
    { host: '127.0.0.1', port: smtpPort, secure: false, user: '', password: '', from: 'pimonitor@house.test' },
    10_000,
  );
}, 120_000);

afterAll(async () => {
  mailer?.close();
  await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)));
  await t?.stop();
});

beforeEach(async () => {
  mails.length = 0;
  refuse = 0;
  await t.db.none('TRUNCATE report_runs');
});

const REPORT = {
  name: 'morning', title: 'Morning report', schedule: '0 7 * * *', timeZone: REPORT_TZ, period: 'yesterday',
  to: ['me@house.test'],
};
function setup(extra: Record<string, unknown> = {}) {
  const { config } = loadConfig({
    env: { REPORTS: JSON.stringify([{ ...REPORT, ...extra }]), SMTP_HOST: '127.0.0.1' },
  });
  const reports = reportsSetup(config);
  return { config, reports };
}

/** A scheduler on a virtual clock, delivering for real (build, render, SMTP). */
async function scheduler(
  reports: ReportSpec[], config: ReturnType<typeof setup>['config'], clock: { now: number }, delivered: Date[] = [],
) {
  const rasteriser = await loadRasteriser();
  const s = new ReportScheduler(t.db, {
    reports, maxAttempts: 3, now: () => clock.now, random: () => 1,
    timeZoneOf: (r) => r.timeZone ?? 'UTC',
    deliver: async (spec, runAt) => {
      delivered.push(runAt);
      return (await makeAndDeliver({ db: t.db, config, rasteriser, mailer, now: () => clock.now }, spec, runAt)).what;
    },
  });
  return s;
}

test('a scheduled report arrives with its subject, both parts, a chart per sensor and the right numbers', async () => {
  const { config, reports } = setup();
  const clock = { now: new Date('2026-03-29T20:00:00Z').getTime() };
  const s = await scheduler(reports, config, clock);
  const events: string[] = [];
  s.on('delivered', (e) => events.push(`delivered ${e.scheduledFor.toISOString()} ${e.what}`));
  const wake = await s.step(new Date(clock.now));
  expect(wake).toEqual(RUN_AT); // Monday 07:00 in Berlin
  expect(mails).toHaveLength(0);
  clock.now = wake.getTime();
  await s.step(wake);
  expect(events).toEqual([`delivered ${RUN_AT.toISOString()} mailed to me@house.test`]);

  const mail = await simpleParser(mails[0]!, { keepCidLinks: true });
  expect(mail.subject).toBe('Morning report: Sunday, 29 March 2026 (1 alert)');
  expect(mail.to).toMatchObject({ text: 'me@house.test' });
  expect(mail.from).toMatchObject({ text: 'pimonitor@house.test' });
  expect(mail.text).toContain('Morning report: Sunday, 29 March 2026 (Europe/Berlin)');
  const images = mail.attachments.filter((a) => a.contentType === 'image/png');
  expect(images.map((a) => a.filename)).toEqual(['morning-1-attic-dht22.png', 'morning-2-kitchen-dht22.png']);
  for (const image of images) {
    expect(pngSize(image.content)).toEqual({ width: 1200, height: 440 });
    expect(mail.html).toContain(`src="cid:${image.cid}"`);
    expect(image.contentDisposition).toBe('inline');
  }
  // The numbers of both parts are the SQL computation over the raw readings.
  const expected = await expectedStats(t.db, DAY_FROM, DAY_TO);
  for (const e of expected) {
    const unit = e.metric === 'humidity' ? '%' : '°C';
    const line = `  ${e.metric}: min ${formatValue(e.min, unit)} (`;
    expect(mail.text).toContain(line);
    expect(mail.text).toContain(`mean ${formatValue(e.mean, unit)}, max ${formatValue(e.max, unit)}`);
    expect(mail.html).toContain(formatValue(e.max, unit));
  }
  expect(mail.text).toContain('temperature: no readings 11:59 to 12:47 (48 min)');
  expect(mail.text).toContain('attic/dht22 temperature 30.9 °C above 30 °C for 5 min');
  expect(mail.text).toContain('attic: offline from 14:00 to 15:00 (1 h)');
  expect(mail.text).toContain('No readings from cellar/dht22 temperature in this period.');

  // Recorded: a restart the same day sends nothing more.
  const again = await scheduler(reports, config, clock);
  clock.now += 3_600_000;
  await again.step(new Date(clock.now));
  expect(mails).toHaveLength(1);
  expect(await t.db.one('SELECT attempts, delivered_at IS NOT NULL AS delivered FROM report_runs'))
    .toEqual({ attempts: 1, delivered: true });
}, 60_000);

test('a refused send is retried with backoff, and given up after the last attempt', async () => {
  const { config, reports } = setup();
  const clock = { now: RUN_AT.getTime() - 60_000 };
  const s = await scheduler(reports, config, clock);
  const failed: { attempt: number; retryAt: Date | null; error: string }[] = [];
  s.on('failed', (f) => failed.push(f));
  await s.step(new Date(clock.now));
  refuse = 1;
  clock.now = RUN_AT.getTime();
  const retryAt = await s.step(RUN_AT);
  expect(failed).toEqual([{
    report: 'morning', scheduledFor: RUN_AT, attempt: 1, error: expect.stringMatching(/mailbox busy/),
    retryAt: new Date(RUN_AT.getTime() + 60_000),
  }]);
  expect(retryAt).toEqual(new Date(RUN_AT.getTime() + 60_000));
  clock.now = retryAt.getTime();
  await s.step(retryAt);
  expect(mails).toHaveLength(1);
  expect(await t.db.one('SELECT attempts, delivered_at IS NOT NULL AS delivered, last_error FROM report_runs'))
    .toEqual({ attempts: 2, delivered: true, last_error: null });

  // Three refusals with three attempts allowed: given up, kept with its error.
  await t.db.none('TRUNCATE report_runs');
  mails.length = 0;
  failed.length = 0;
  refuse = 3;
  const clock2 = { now: RUN_AT.getTime() - 60_000 };
  const s2 = await scheduler(reports, config, clock2);
  s2.on('failed', (f) => failed.push(f));
  await s2.step(new Date(clock2.now));
  let at = RUN_AT;
  for (let i = 0; i < 3; i++) {
    clock2.now = at.getTime();
    at = await s2.step(at);
  }
  expect(failed.map((f) => [f.attempt, f.retryAt === null])).toEqual([[1, false], [2, false], [3, true]]);
  expect(await t.db.one('SELECT attempts, gave_up_at IS NOT NULL AS gave_up, last_error FROM report_runs'))
    .toEqual({ attempts: 3, gave_up: true, last_error: expect.stringMatching(/mailbox busy/) });
  expect(mails).toHaveLength(0);
}, 60_000);

test(
  'on a virtual clock across both changes of clocks, a 07:00 report runs once a day at 07:00 local; ' +
    'missed runs are sent once',
  async () => {
    const { reports } = setup({ to: undefined, directory: '/tmp/unused' });
    for (const [start, end, expected] of [
      ['2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z', [
        '2026-03-28T06:00:00.000Z', '2026-03-29T05:00:00.000Z', '2026-03-30T05:00:00.000Z', '2026-03-31T05:00:00.000Z',
      ]],
      ['2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z', [
        '2026-10-24T05:00:00.000Z', '2026-10-25T06:00:00.000Z', '2026-10-26T06:00:00.000Z', '2026-10-27T06:00:00.000Z',
      ]],
    ] as const) {
      await t.db.none('TRUNCATE report_runs');
      const runs: string[] = [];
      const clock = { now: new Date(start).getTime() };
      const s = new ReportScheduler(t.db, {
        reports, maxAttempts: 3, now: () => clock.now, timeZoneOf: () => REPORT_TZ,
        deliver: async (_spec, at) => (runs.push(at.toISOString()), 'counted'),
      });
      // The clock jumps to each wake-up the scheduler asks for, as a timer would.
      while (clock.now < new Date(end).getTime()) clock.now = (await s.step(new Date(clock.now))).getTime();
      expect(runs).toEqual(expected);
    }
    // Down from Tuesday to Friday noon: Friday's run is sent once, the two before it are counted as missed.
    const runs: string[] = [];
    const missed: number[] = [];
    const s = new ReportScheduler(t.db, {
      reports, maxAttempts: 3, now: () => Date.parse('2026-10-30T11:00:00Z'), timeZoneOf: () => REPORT_TZ,
      deliver: async (_spec, at) => (runs.push(at.toISOString()), 'counted'),
    });
    s.on('missed', (m) => missed.push(m.missed));
    await s.step(new Date('2026-10-30T11:00:00Z'));
    expect([runs, missed]).toEqual([['2026-10-30T06:00:00.000Z'], [2]]);
  },
  60_000,
);
