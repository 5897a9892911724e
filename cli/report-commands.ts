import { Option, type Command } from 'commander';
import { configOption, type LoadConfig } from './options.js';
import type { Config } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { formatTable } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';

interface ReportOptions {
  config?: string;
  preview?: string;
  sendNow?: string;
  list?: boolean;
  report?: string;
  period?: string;
  at?: string;
}

const PERIOD_CHOICES = ['last 24h', 'yesterday', 'last 7 days', 'last week', 'last month', 'last 30 days'];

/** `pimonitor report`: run the scheduler (default), --preview FILE, --send-now NAME, --list. */
export function addReportCommands(program: Command, load: LoadConfig): void {
  const periodOption = new Option(
    '--period <period>',
    'with --preview or --send-now: cover this period instead of the report\'s',
  ).choices(PERIOD_CHOICES);
  program.command('report')
    .description(
      'scheduled e-mail reports with charts: run the scheduler (default), preview one into a file, send one now, '
        + 'list them',
    )
    .addOption(configOption())
    .option('--preview <file.html>', 'write a report as HTML with its chart images beside it, without sending')
    .option(
      '--send-now <name>',
      'make and deliver the named report now (e-mail and/or directory), whatever its schedule',
    )
    .option('--list', 'list the reports: schedule, time zone, next run, last run and how it went')
    .option(
      '--report <name>',
      'with --preview: which report (default: the first, or everything when none is configured)',
    )
    .addOption(periodOption)
    .option('--at <time>', 'with --preview or --send-now: make it as if run at this time (ISO 8601, -7d, now)')
    .action(async (options: ReportOptions) => {
      const chosen = [
        options.preview !== undefined && '--preview',
        options.sendNow !== undefined && '--send-now',
        options.list && '--list',
      ].filter(Boolean);
      if (chosen.length > 1) throw new ExpectedError(`${chosen.join(' and ')} cannot be used together`);
      const { config } = load(options);
      if (options.list) return listReports(config);
      if (options.preview !== undefined) return preview(config, options.preview, options);
      if (options.sendNow !== undefined) return sendNow(config, options.sendNow, options);
      if (options.report || options.period || options.at) {
        throw new ExpectedError('--report, --period and --at go with --preview or --send-now');
      }
      return (await import('../reports/main.js')).runReports(config);
    });
}

/** The report to make by hand, with --period and --at applied. */
async function chosenReport(config: Config, name: string | undefined, options: ReportOptions, mail: boolean) {
  const { reportsSetup, findReport, timeZoneOf } = await import('../reports/setup.js');
  const { parseReports } = await import('../reports/spec.js');
  const { parseTimeArg } = await import('./time-args.js');
  const reports = reportsSetup(config, { mail });
  let spec = name ? findReport(reports, name) : reports[0];
  if (!spec) {
    // Nothing configured yet: a preview of everything, so people see what a report looks like.
    const all = parseReports([
      { name: 'preview', title: 'pimonitor report', schedule: '0 7 * * *', period: 'last 24h', directory: '.' },
    ]);
    spec = all.ok ? all.value[0]! : undefined;
  }
  if (!spec) throw new ExpectedError('no report to make');
  if (options.period) spec = { ...spec, period: options.period as typeof spec.period };
  const tz = timeZoneOf(config, spec);
  let runAt = new Date();
  if (options.at !== undefined) {
    const at = parseTimeArg(options.at, runAt, tz);
    if (!at.ok) throw new ExpectedError(`--at: ${at.reason}`);
    runAt = at.value;
  }
  return { spec, runAt, reports };
}

async function preview(config: Config, file: string, options: ReportOptions): Promise<void> {
  if (!file.trim()) throw new ExpectedError('--preview needs a file name, such as report.html');
  const { spec, runAt } = await chosenReport(config, options.report, options, false);
  const { buildReport } = await import('../reports/build.js');
  const { loadRasteriser } = await import('../reports/rasterise.js');
  const { timeZoneOf } = await import('../reports/setup.js');
  const { writeFile } = await import('node:fs/promises');
  const { dirname, join, resolve } = await import('node:path');
  const report = await withMigratedDatabase(config, 'pimonitor-report-preview', async (db) =>
    buildReport(db, spec, {
      runAt,
      now: new Date(),
      timeZone: timeZoneOf(config, spec),
      rasteriser: await loadRasteriser(),
    }));
  const dir = dirname(resolve(file));
  try {
    await Promise.all(report.images.map((image) => writeFile(join(dir, image.filename), image.png)));
    await writeFile(file, report.fileHtml);
  } catch (err) {
    throw new ExpectedError(`cannot write the preview: ${(err as Error).message}`);
  }
  const charts = `${report.images.length} chart${report.images.length === 1 ? '' : 's'}`;
  const silent = report.data.silent.length ? `, ${report.data.silent.length} silent` : '';
  const timings = `database ${Math.round(report.timings.queryMs)} ms, charts ${Math.round(report.timings.chartsMs)} ms`;
  const contents = `${report.data.series.length} series${silent}; ${timings}`;
  console.log(`${report.subject}\nwrote ${file} and ${charts} beside it (${contents})`);
}

async function sendNow(config: Config, name: string, options: ReportOptions): Promise<void> {
  const { spec, runAt, reports } = await chosenReport(config, name, options, true);
  const { makeAndDeliver, reportMailer } = await import('../reports/setup.js');
  const { loadRasteriser } = await import('../reports/rasterise.js');
  const mailer = await reportMailer(config, reports);
  try {
    const { report, what } = await withMigratedDatabase(config, 'pimonitor-report-send', async (db) =>
      makeAndDeliver({ db, config, rasteriser: await loadRasteriser(), mailer }, spec, runAt)
        .catch((err: unknown) => {
          throw new ExpectedError(`${spec.name}: not delivered: ${(err as Error).message}`);
        }));
    console.log(`${spec.name}: "${report.subject}" ${what}`);
  } finally {
    mailer?.close();
  }
}

async function listReports(config: Config): Promise<void> {
  const { reportsSetup, timeZoneOf } = await import('../reports/setup.js');
  const { nextRunAfter } = await import('../reports/period.js');
  const { recentRuns } = await import('../reports/store.js');
  const reports = reportsSetup(config);
  if (reports.length === 0) return console.log('no reports configured; add one to reports.list (docs/reports.md)');
  const runs = await withMigratedDatabase(config, 'pimonitor-report-list', (db) => recentRuns(db, 200));
  const now = new Date();
  const header = ['report', 'schedule', 'time zone', 'period', 'to', 'next run', 'last run'];
  const rows = reports.map((report) => {
    const tz = timeZoneOf(config, report);
    const last = runs.find((run) => run.report === report.name);
    let state = 'never';
    if (last) {
      const outcome = last.delivered_at
        ? 'delivered'
        : last.gave_up_at
          ? `given up: ${last.last_error}`
          : `attempt ${last.attempts} failed: ${last.last_error ?? 'in progress'}`;
      state = `${last.scheduled_for.toISOString()} ${outcome}`;
    }
    const to = [...report.to, ...(report.directory !== undefined ? [report.directory] : [])].join(', ');
    const nextRun = nextRunAfter(report.schedule, tz, now)?.toISOString() ?? 'never';
    return [report.name, report.schedule, tz, report.period, to, nextRun, state];
  });
  console.log(formatTable(header, rows));
}
