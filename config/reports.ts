import { ATTEMPTS, TIMEOUT_MS } from './bounds.js';

/** Scheduled reports: what each contains, when it goes, and to whom (e-mail through alerts.smtp, or a directory). */
export const reports = {
  reports: {
    list: {
      doc: 'Scheduled reports as a JSON list (name, schedule, period, to or directory, select, highlight); '
        + 'see docs/reports.md. `pimonitor up` starts the report scheduler when there are any.',
      format: 'json-list',
      default: [] as unknown[],
      env: 'REPORTS',
    },
    timeZone: {
      doc: 'Time zone of report schedules, periods and charts when a report names none (IANA, e.g. Europe/Berlin); '
        + 'empty: the system\'s.',
      format: 'time-zone-or-empty',
      default: '',
      env: 'REPORTS_TIME_ZONE',
    },
    sendTimeoutMs: {
      doc: 'A report e-mail the SMTP server has not taken within this long has failed and is retried.',
      format: 'duration-ms',
      default: 60_000,
      env: 'REPORTS_SEND_TIMEOUT_MS',
      bounds: TIMEOUT_MS,
    },
    maxAttempts: {
      doc: 'Attempts to deliver one run of a report (retries back off from 1 to 30 minutes) before it is given up and '
        + 'logged.',
      format: 'count',
      default: 8,
      env: 'REPORTS_MAX_ATTEMPTS',
      bounds: ATTEMPTS,
    },
  },
};
