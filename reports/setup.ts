import type { Config } from '../config/index.js';
import type { Db } from '../shared/db.js';
import { ExpectedError } from '../shared/expected-error.js';
import { createMailTransport, type MailTransport } from '../shared/mail.js';
import { machineTimeZone } from '../shared/time-zone.js';
import { withTimeout } from '../shared/timeout.js';
import { buildReport, type BuiltReport } from './build.js';
import { mailOf, runDirectory, writeReportFiles } from './deliver.js';
import type { Rasteriser } from './rasterise.js';
import { parseReports, type ReportSpec } from './spec.js';

/**
 * The reports of the configuration, checked with the SMTP settings they need (unless only previewing:
 * `mail: false`); every problem named at once.
 */
export function reportsSetup(config: Config, { mail = true }: { mail?: boolean } = {}): ReportSpec[] {
  const parsed = parseReports(config.reports.list);
  const problems = parsed.ok ? [] : [...parsed.problems];
  if (mail && parsed.ok && parsed.value.some((r) => r.to.length > 0) && !config.alerts.smtp.host) {
    problems.push(
      'alerts.smtp.host (SMTP_HOST): a report with recipients (to) needs an SMTP server; '
        + 'or give it a directory instead',
    );
  }
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    throw new ExpectedError(`invalid report configuration (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return parsed.ok ? parsed.value : [];
}

/** A report's time zone: its own, else reports.timeZone, else the system's. */
export function timeZoneOf(config: Config, spec: ReportSpec): string {
  return spec.timeZone || config.reports.timeZone || machineTimeZone();
}

export function findReport(reports: readonly ReportSpec[], name: string): ReportSpec {
  const spec = reports.find((r) => r.name === name);
  if (!spec) {
    const names = reports.map((r) => r.name).join(', ') || 'none; add one to reports.list';
    throw new ExpectedError(`there is no report called ${JSON.stringify(name)} (reports: ${names})`);
  }
  return spec;
}

/** Opens the SMTP transport when any report mails; close() when done. */
export async function reportMailer(config: Config, reports: readonly ReportSpec[]): Promise<MailTransport | undefined> {
  return reports.some((r) => r.to.length > 0) && config.alerts.smtp.host
    ? createMailTransport(config.alerts.smtp, config.reports.sendTimeoutMs) : undefined;
}

export interface Delivery {
  db: Db;
  config: Config;
  rasteriser: Rasteriser;
  mailer?: MailTransport;
  now?: () => number;
}

/** Makes one run of a report and delivers it: e-mail to its recipients, files to its directory. Says what it did. */
export async function makeAndDeliver(
  d: Delivery, spec: ReportSpec, runAt: Date,
): Promise<{ report: BuiltReport; what: string }> {
  const report = await buildReport(d.db, spec, {
    runAt, now: new Date((d.now ?? Date.now)()), timeZone: timeZoneOf(d.config, spec), rasteriser: d.rasteriser,
  });
  const done: string[] = [];
  if (spec.directory !== undefined) {
    done.push(`written to ${await writeReportFiles(report, runDirectory(spec.directory, report))}`);
  }
  if (spec.to.length > 0) {
    if (!d.mailer) throw new Error('no SMTP server configured (alerts.smtp.host)');
    const sent = d.mailer.send(mailOf(report, d.mailer.from));
    await withTimeout(sent, d.config.reports.sendTimeoutMs, 'sending the report e-mail');
    done.push(`mailed to ${spec.to.join(', ')}`);
  }
  return { report, what: done.join('; ') };
}
