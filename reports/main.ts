import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { connect, disconnect, redactUrl } from '../shared/db.js';
import { createLogger } from '../shared/log.js';
import { migrateWhenReachable } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { loadRasteriser } from './rasterise.js';
import { ReportScheduler } from './scheduler.js';
import { makeAndDeliver, reportMailer, reportsSetup, timeZoneOf } from './setup.js';
import { nextRunAfter } from './period.js';

/** `pimonitor report`: sends each report when its schedule says, until SIGINT/SIGTERM. */
export async function runReports(config: Config): Promise<void> {
  const log = createLogger('reports', config.log.level);
  const reports = reportsSetup(config);
  const url = databaseUrlOf(config);
  const { connectTimeoutMs, queryTimeoutMs } = config.database;
  await migrateWhenReachable(url, { connectTimeoutMs, applicationName: 'pimonitor-reports-migrate', log });
  const db = connect(url, { poolSize: 3, applicationName: 'pimonitor-reports', queryTimeoutMs, connectTimeoutMs });
  const rasteriser = await loadRasteriser();
  const mailer = await reportMailer(config, reports);
  const scheduler = new ReportScheduler(db, {
    reports, maxAttempts: config.reports.maxAttempts,
    timeZoneOf: (spec) => timeZoneOf(config, spec),
    deliver: async (spec, runAt) => (await makeAndDeliver({ db, config, rasteriser, mailer }, spec, runAt)).what,
  });
  scheduler.on('delivered', (e) => log.info(e, 'report delivered'));
  scheduler.on('failed', (e) =>
    (e.retryAt ? log.warn(e, 'report failed; retrying later') : log.error(e, 'report given up')));
  scheduler.on('missed', (e) => log.warn(e, 'runs missed while not running; sending the latest once'));
  // Once per streak, then every half hour: a database away for a night is one line, not 1,000.
  scheduler.on('error', ({ err, streak }) => {
    if (streak === 1 || streak % 60 === 0) {
      const failed = { err: (err as Error)?.message, failures: streak };
      log.warn(failed, 'checking the report schedule failed; retrying every 30 s');
    }
  });
  stopOnSignal(async () => {
    await scheduler.stop({ timeoutMs: 10_000 });
    mailer?.close();
    await disconnect(db);
  }, log, 20_000);
  if (process.send) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  scheduler.start();
  const now = new Date();
  log.info({
    database: redactUrl(url), charts: rasteriser.kind,
    reports: reports.map((r) => {
      const next = nextRunAfter(r.schedule, timeZoneOf(config, r), now)?.toISOString() ?? 'never';
      return `${r.name}: ${r.schedule} ${timeZoneOf(config, r)}, next ${next}`;
    }),
  }, 'report scheduler running');
}
