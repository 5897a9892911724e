/// <reference lib="dom" />
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngSize } from '../reports/rasterise.js';
import { runCli } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { seedHouse } from './helpers/report-data.js';
import { launchChromium, needsChromium } from './support/services.js';

/**
 * `pimonitor report` as people use it: --preview opened in a real browser (no broken image, nothing
 * wider than a phone), --send-now into a directory, --list, and the errors of bad options and config.
 * REPORT_SCREENSHOT=docs/report-preview.png writes the README's screenshot from this test.
 */

let t: TestDatabase;
let dir: string;
let env: Record<string, string>;
const REPORTS = [
  {
    name: 'morning',
    title: 'Morning report',
    schedule: '0 7 * * *',
    timeZone: 'Europe/Berlin',
    period: 'yesterday',
    highlight: [{ select: 'attic/+/temperature', above: 30 }],
  },
  { name: 'weekly', schedule: '0 8 * * 1', timeZone: 'Europe/Berlin', period: 'last 7 days' },
];

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await seedHouse(t.db);
  dir = await mkdtemp(join(tmpdir(), 'pimonitor-report-'));
  const reports = REPORTS.map((r) => ({ ...r, directory: join(dir, 'out') }));
  env = { DATABASE_URL: t.url, TZ: 'UTC', REPORTS: JSON.stringify(reports) };
}, 120_000);
afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const withChromium = await needsChromium('report preview in a browser');

withChromium('--preview writes HTML and charts that a browser shows whole, on a desktop and on a phone', async () => {
  const file = join(dir, 'preview.html');
  const { code, output } = await runCli(['report', '--preview', file, '--at', '2026-03-30T07:00:00+02:00'], env);
  expect(output).toContain('Morning report: Sunday, 29 March 2026 (1 alert)');
  const wrote = /wrote .*preview\.html and 2 charts beside it \(3 series, 1 silent; database \d+ ms, charts \d+ ms\)/;
  expect(output).toMatch(wrote);
  expect(code).toBe(0);
  const browser = await launchChromium();
  try {
    for (const width of [800, 360]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`file://${file}`);
      const seen = await page.evaluate(() => ({
        images: Array.from(document.images).map((i) => ({
          complete: i.complete,
          width: i.naturalWidth,
          shown: i.getBoundingClientRect().width,
        })),
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        text: document.body.innerText,
      }));
      expect(seen.images).toHaveLength(2);
      for (const image of seen.images) {
        expect(image.complete && image.width).toBe(1200); // loaded, at twice the size it is shown
        expect(image.shown).toBeLessThanOrEqual(600);
      }
      expect(seen.scrollWidth).toBeLessThanOrEqual(seen.clientWidth); // no sideways scrolling
      expect(seen.text).toContain('attic was offline once, 1 h in all.');
      const path = width === 800 && process.env.REPORT_SCREENSHOT ? process.env.REPORT_SCREENSHOT : undefined;
      const shot = await page.screenshot({ fullPage: true, path });
      expect(pngSize(shot)!.width).toBe(width);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}, 120_000);

test('--send-now writes a directory report: index.html, one PNG per sensor and the text part', async () => {
  const { code, output } = await runCli(['report', '--send-now', 'morning', '--at', '2026-03-30T07:00:00+02:00'], env);
  const written = new RegExp(
    /morning: "Morning report: Sunday, 29 March 2026 \(1 alert\)" written to /.source +
      /.*morning-2026-03-28-2300\/index\.html/.source,
  );
  expect(output).toMatch(written);
  expect(code).toBe(0);
  const out = join(dir, 'out', 'morning-2026-03-28-2300');
  expect(readdirSync(out).sort())
    .toEqual(['index.html', 'morning-1-attic-dht22.png', 'morning-2-kitchen-dht22.png', 'report.txt']);
  expect(pngSize(readFileSync(join(out, 'morning-1-attic-dht22.png')))).toEqual({ width: 1200, height: 440 });
  expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="morning-1-attic-dht22.png"');
  expect(readFileSync(join(out, 'report.txt'), 'utf8')).toContain('attic/dht22 temperature was above 30.0\u00a0°C for');
  // The run's directory is a link to a hidden build, replaced whole by a link renamed over it
  // (test/reports-replace.test.ts).
  expect(lstatSync(out).isSymbolicLink()).toBe(true);
  const entries = readdirSync(join(dir, 'out'))
    .filter((e) => e.includes('morning-2026-03-28-2300'))
    .map((e) => e.replace(/\d+-[0-9a-f]{8}$/, 'ID'))
    .sort();
  expect(entries).toEqual(['.morning-2026-03-28-2300.ID', 'morning-2026-03-28-2300']);
}, 60_000);

test('--list shows each report with its next run', async () => {
  const { code, output } = await runCli(['report', '--list'], env);
  expect(code).toBe(0);
  expect(output).toMatch(/morning\s+0 7 \* \* \*\s+Europe\/Berlin\s+yesterday/);
  expect(output).toMatch(/weekly\s+0 8 \* \* 1\s+Europe\/Berlin\s+last 7 days/);
}, 30_000);

test('bad options and configuration are named, and nothing is sent', async () => {
  const both = await runCli(['report', '--preview', 'x.html', '--send-now', 'morning'], env);
  expect([both.code, both.output.trim()]).toEqual([1, 'pimonitor: --preview and --send-now cannot be used together']);
  const unknown = await runCli(['report', '--send-now', 'evening'], env);
  expect(unknown.output).toContain('pimonitor: there is no report called "evening" (reports: morning, weekly)');
  const at = await runCli(['report', '--send-now', 'morning', '--at', 'yesterday-ish'], env);
  expect(at.output).toMatch(/pimonitor: --at: /);
  const mailReport = { name: 'm', schedule: '0 7 * * *', period: 'yesterday', to: ['me@example.com'] };
  const mailOnly = { ...env, REPORTS: JSON.stringify([mailReport]) };
  const mailNoSmtp = await runCli(['report', '--list'], mailOnly);
  expect(mailNoSmtp.output).toContain(
    'alerts.smtp.host (SMTP_HOST): a report with recipients (to) needs an SMTP server; or give it a directory instead',
  );
  // A preview sends nothing, so it needs no SMTP server.
  const preview = await runCli(
    ['report', '--preview', join(dir, 'm.html'), '--at', '2026-03-30T07:00:00+02:00'],
    mailOnly,
  );
  expect([preview.code, preview.output]).toEqual([0, expect.stringContaining('m report: Sunday, 29 March 2026')]);
  const brokenReports = '[{"name":"m","schedule":"every morning","period":"daily"}]';
  const broken = await runCli(['report'], { ...env, REPORTS: brokenReports });
  expect(broken.code).toBe(1);
  expect(broken.output).toContain('invalid report configuration (3 problems)');
  expect(broken.output).toContain('report 1 ("m"): period: must be one of');
}, 60_000);
