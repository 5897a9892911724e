import { configuredSources } from '../shared/sources/spec.js';
import { connectMqtt } from '../shared/mqtt-connect.js';
import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { validationLimitsOf } from '../config/limits.js';
import { connect, disconnect, redactUrl } from '../shared/db.js';
import { createLogger } from '../shared/log.js';
import { migrateWhenReachable } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { sqlFile } from '../shared/sql-file.js';
import { Notifier } from './notifier.js';
import { alertsSetup, mailTransport } from './setup.js';
import { AlertsWorker } from './worker.js';
import { createAlertsMetrics } from './metrics.js';
import { HEALTH_TIMEOUT_MS, startOpsServer, type OpsServer } from '../shared/ops-http.js';
import { withTimeout } from '../shared/timeout.js';

const healthProbe = sqlFile('alerts', 'health-probe.sql');

/** `pimonitor alerts`: evaluate the rules, keep state in PostgreSQL, send notifications; until SIGINT/SIGTERM. */
export async function runAlerts(config: Config): Promise<void> {
  const log = createLogger('alerts', config.log.level);
  const { rules, routes } = alertsSetup(config);
  const url = databaseUrlOf(config);
  const { connectTimeoutMs, queryTimeoutMs } = config.database;
  await migrateWhenReachable(url, { connectTimeoutMs, applicationName: 'pimonitor-alerts-migrate', log });
  const db = connect(url, { poolSize: 2, applicationName: 'pimonitor-alerts', queryTimeoutMs, connectTimeoutMs });
  const mail = await mailTransport(config);
  // The worker connects to the broker when it starts, owns that client and ends it when it stops; the
  // notifier publishes through it (worker.publish).
  const worker = new AlertsWorker(db, {
    rules, routes, tickMs: config.alerts.tickIntervalMs,
    sources: configuredSources(config.ingest.sources, config.node.discovery.prefix),
    // Readings judged by the limits ingest stores them by (config/limits.ts): what ingest rejects never alerts.
    limits: validationLimitsOf(config),
    connect: () => {
      const client = connectMqtt(config.mqtt.url, {
        clientId: config.alerts.clientId, clean: false, connectTimeout: 10_000, reconnectPeriod: 2_000,
        username: config.mqtt.username || undefined, password: config.mqtt.password || undefined,
      }, ({ from, to, switches }) =>
        log.warn({ from, to, switches }, 'failed over to another broker of MQTT_URL (same client id and session)'));
      client.on('error', (err) => log.warn({ err: err.message }, 'broker connection problem'));
      return client;
    },
  });
  const notifier = new Notifier(db, {
    rules, routes, pollMs: 1000, maxAttempts: config.alerts.maxAttempts,
    transports: { ...mail.transports, publish: (topic, payload, retain) => worker.publish(topic, payload, retain) },
  });
  worker.on('changed', ({ changes, notifications }) => {
    for (const { key, event } of changes) {
      if (!event) continue;
      log.info({
        rule: key.rule, device: key.device, sensor: key.sensor, metric: key.metric, event: event.type,
        severity: event.severity, inhibited: event.inhibited, heldUntilCaughtUp: event.catchingUp || undefined,
        notifications, message: event.message,
      }, `alert ${event.type}`);
    }
  });
  worker.on('orphansResolved', ({ outcomes }) => {
    for (const { key, phase, resolved, routes: to } of outcomes) {
      const alert = { rule: key.rule, device: key.device, sensor: key.sensor, metric: key.metric };
      log.info({ ...alert, phase, resolved, routes: to },
        resolved ? 'alert resolved: rule removed' : 'alert of a removed rule deleted (it was never notified)');
    }
  });
  worker.on('ignored', ({ topic, reason }) => log.debug({ topic, reason }, 'message not evaluated'));
  worker.on('saveFailed', ({ err, attempt, retryInMs }) =>
    log.warn({ err: (err as Error).message, attempt, retryInMs },
      'storing alert state failed; retrying (messages wait)'));
  notifier.on('sent', (sent) => log.info(sent, 'notification sent'));
  notifier.on('failed', (failure) =>
    (failure.gaveUp
      ? log.error(failure, 'notification given up')
      : log.warn(failure, 'notification failed; retrying later')));
  notifier.on('error', ({ err }) =>
    log.warn({ err: (err as Error)?.message }, 'checking the notification outbox failed'));
  let ops: OpsServer | undefined;
  const { httpHost, httpPort } = config.alerts;
  if (httpPort !== 0) {
    const health = {
      async check() {
        const database = await withTimeout(db.one(healthProbe), HEALTH_TIMEOUT_MS / 2).then(() => true, () => false);
        return { database, broker: worker.brokerConnected };
      },
    };
    const metrics = createAlertsMetrics(worker, notifier, () => worker.brokerClient);
    ops = await startOpsServer(metrics, health, httpHost, httpPort, 'ALERTS_HTTP_PORT (alerts.httpPort)');
  }
  stopOnSignal(async () => {
    await ops?.stop();
    await worker.stop({ timeoutMs: 5000 });
    await notifier.stop({ timeoutMs: 5000 });
    mail.close();
    await disconnect(db);
  }, log, 15_000);
  if (process.send) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  await worker.start();
  notifier.start();
  log.info({
    database: redactUrl(url), mqtt: config.mqtt.url,
    metrics: ops ? `http://${httpHost}:${ops.port}/metrics` : undefined,
    rules: rules.map((rule) => rule.name), routes: routes.map((route) => `${route.name} (${route.type})`),
  }, 'alerts worker running');
}
