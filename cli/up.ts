import { join, resolve } from 'node:path';
import { startConfiguredBroker } from '../broker/main.js';
import type { Config } from '../config/index.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../shared/embedded-db.js';
import { connect, disconnect } from '../shared/db.js';
import { redactUrl } from '../shared/redact.js';
import { createLogger } from '../shared/log.js';
import { migrate } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { startWeb, type RunningWeb } from '../web/main.js';
import { superviseChild } from './supervise.js';
import { upCredentials } from './up-credentials.js';

/**
 * The whole pipeline on one machine: the embedded database (unless DATABASE_URL is set), the embedded
 * broker (unless BROKER_EMBEDDED=false), ingest as its own process, the alerts worker when there
 * are alert rules, the report scheduler when there are reports, and the web dashboard in this process.
 * Stops in reverse order.
 */
export async function runUp(config: Config, configFile: string | undefined): Promise<void> {
  const log = createLogger('up', config.log.level);
  let database: EmbeddedDatabase | undefined;
  let broker: Awaited<ReturnType<typeof startConfiguredBroker>> | undefined;
  let webServer: RunningWeb | undefined;
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const { host, port, maxConnections, sharedBuffersMb, wasmTierUp } = config.database.embedded;
      database = await startEmbeddedDatabase({
        dataDir: join(config.dataDir, 'pg'), host, port, maxConnections, sharedBuffersMb, wasmTierUp,
        onCreate: () => log.info(
          { dataDir: resolve(config.dataDir, 'pg') },
          'creating the embedded database (first start: a few seconds, longer on a small board)',
        ),
      });
      databaseUrl = database.url;
      log.info(
        { dataDir: resolve(config.dataDir, 'pg'), psql: `psql -h ${host} -p ${database.port} -U postgres` },
        'embedded PostgreSQL (PGlite) listening',
      );
    }
    const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
    let alertsEnv: NodeJS.ProcessEnv | undefined;
    let webLogin: { username: string; password: string } | undefined;
    if (config.broker.embedded) {
      // The schema holds the accounts, and ingest's account must exist before the broker loads them.
      const db = connect(databaseUrl, { poolSize: 1, applicationName: 'pimonitor-up', queryTimeoutMs: 0 });
      const [ingestLogin, alertsLogin, readerLogin] = await migrate(db)
        .then(async () => [
          await upCredentials(db, config.dataDir, 'ingest'),
          await upCredentials(db, config.dataDir, 'alerts'),
          await upCredentials(db, config.dataDir, 'reader', 'web'),
        ])
        .finally(() => disconnect(db));
      broker = await startConfiguredBroker(config, createLogger('broker', config.log.level), databaseUrl);
      Object.assign(childEnv, {
        MQTT_URL: broker.url,
        MQTT_USERNAME: ingestLogin!.username,
        MQTT_PASSWORD: ingestLogin!.password,
      });
      alertsEnv = { ...childEnv, MQTT_USERNAME: alertsLogin!.username, MQTT_PASSWORD: alertsLogin!.password };
      webLogin = readerLogin!;
    }
    const withConfig = configFile ? ['--config', configFile] : [];
    const ingest = superviseChild(['ingest', ...withConfig], childEnv, log);
    // The alerts worker runs when there are rules to evaluate.
    const alerts = (config.alerts.rules as unknown[]).length > 0
      ? superviseChild(['alerts', ...withConfig], alertsEnv ?? childEnv, log)
      : undefined;
    // The report scheduler runs when there are reports; it needs only the database.
    const reports = (config.reports.list as unknown[]).length > 0
      ? superviseChild(['report', ...withConfig], { ...childEnv, MQTT_PASSWORD: undefined }, log)
      : undefined;
    const stopChildren = async () => {
      await webServer?.stop();
      await reports?.stop();
      await alerts?.stop();
      await ingest.stop();
    };
    stopOnSignal(async () => {
      await stopChildren();
      await broker?.stop();
      await database?.stop();
    }, log);
    // The web dashboard and API (WEB_PORT, on loopback unless WEB_HOST says otherwise), in this process:
    // a Node process of its own costs about 80 MiB of a 512 MB board, and the dashboard, like the broker
    // here, only reads MQTT and SQL. `pimonitor web` runs it alone where that is wanted. A port it
    // cannot have stops `up`, as a busy MQTT or database port does.
    try {
      webServer = await startWeb({
        ...config,
        database: { ...config.database, url: databaseUrl },
        mqtt: { ...config.mqtt, url: childEnv.MQTT_URL ?? config.mqtt.url, ...(webLogin ?? {}) },
      }, createLogger('web', config.log.level));
    } catch (err) {
      await stopChildren();
      throw err;
    }
    log.info({
      database: redactUrl(databaseUrl),
      mqtt: childEnv.MQTT_URL ?? config.mqtt.url,
      dashboard: `http://${config.web.host}:${config.web.port}/`,
    }, 'pipeline up');
  } catch (err) {
    await broker?.stop();
    await database?.stop();
    throw err;
  }
}
