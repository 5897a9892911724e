import { configuredSources } from '../shared/sources/spec.js';
import { connectMqtt } from '../shared/mqtt-connect.js';
import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { validationLimitsOf } from '../config/limits.js';
import { connect, disconnect, redactUrl } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/log.js';
import { parseHostList } from '../shared/allowed-hosts.js';
import { migrateWhenReachable } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { LiveFeed } from './live.js';
import { WebServer } from './server.js';

/** The dashboard while it runs: `pimonitor web` alone, or inside `pimonitor up`. */
export interface RunningWeb {
  /** Closes the server, its live feed's MQTT client and its database pool; safe to call twice. */
  stop(): Promise<void>;
}

/** `pimonitor web`: the JSON API and live events, until SIGINT/SIGTERM. */
export async function runWeb(config: Config): Promise<void> {
  const log = createLogger('web', config.log.level);
  const web = await startWeb(config, log);
  stopOnSignal(() => web.stop(), log, 10_000);
}

/**
 * Starts the dashboard (the JSON API, live events and the page) on config.web, reading config.database
 * and config.mqtt. It makes the database pool, the MQTT client, the live feed and the server, and its
 * stop() stops each of them.
 */
export async function startWeb(config: Config, log: Logger): Promise<RunningWeb> {
  const url = databaseUrlOf(config);
  const { connectTimeoutMs } = config.database;
  await migrateWhenReachable(url, { connectTimeoutMs, applicationName: 'pimonitor-web-migrate', log });
  const queryTimeoutMs = Math.min(config.database.queryTimeoutMs, 10_000);
  const db = connect(url, { poolSize: 4, applicationName: 'pimonitor-web', queryTimeoutMs, connectTimeoutMs });
  const client = connectMqtt(config.mqtt.url, {
    clientId: config.web.clientId, clean: true, connectTimeout: 10_000, reconnectPeriod: 2_000,
    username: config.mqtt.username || undefined, password: config.mqtt.password || undefined,
  }, ({ from, to, switches }) =>
    log.warn({ from, to, switches }, 'failed over to another broker of MQTT_URL; live updates go on'));
  let brokerProblem = '';
  client.on('error', (err) => {
    if (err.message !== brokerProblem) log.warn({ err: err.message }, 'broker connection problem; live updates wait');
    brokerProblem = err.message;
  });
  client.on('connect', () => (brokerProblem = ''));
  // Readings judged by the limits ingest stores them by (config/limits.ts).
  const sources = configuredSources(config.ingest.sources, config.node.discovery.prefix);
  const live = new LiveFeed(client, { sources, limits: validationLimitsOf(config) });
  // Diag beyond the caps: the first is logged, then one line a minute with the count, as long as they come.
  let dropped = 0;
  let first: unknown;
  live.on('diagDropped', (diag) => {
    if (live.diagDropped === 1) {
      log.warn({ ...diag }, 'diag not kept: a device publishes more diag topics than the web server keeps '
        + '(later ones are counted)');
    }
    dropped++;
    first ??= diag;
  });
  const summary = setInterval(() => {
    if (dropped > 0) {
      log.warn({ dropped, example: first, total: live.diagDropped },
        'diag messages not kept in the last minute (too many sensors per device or devices)');
    }
    dropped = 0;
    first = undefined;
  }, 60_000).unref();
  const hosts = parseHostList(config.web.hosts);
  const server = new WebServer({
    db, live, host: config.web.host, port: config.web.port, allowedHosts: hosts.ok ? hosts.hosts : [],
    onError: (err, path, aborted) => (aborted
      ? log.error({ err: (err as Error)?.message, path }, 'download cut short: the database failed partway; '
        + 'the connection was aborted so the client sees a failed download')
      : log.warn({ err: (err as Error)?.message, path }, 'request failed')),
  });
  let accountsProblem = '';
  server.auth.on('loadFailed', ({ err }) => {
    if (err.message !== accountsProblem) {
      log.warn({ err: err.message }, 'reader accounts could not be reloaded; the last ones loaded stay in force');
    }
    accountsProblem = err.message;
  });
  server.auth.on('loaded', () => (accountsProblem = ''));
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    clearInterval(summary);
    // The feed first: it closes the event streams, which would hold the server's close up.
    await live.stop({ timeoutMs: 2000 });
    await server.stop({ timeoutMs: 5000 });
    await client.endAsync(true).catch(() => {});
    await disconnect(db);
  })());
  try {
    live.start();
    await server.start();
  } catch (err) {
    await stop();
    throw err;
  }
  const host = config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host;
  log.info({
    url: `http://${host}:${server.port}/`, database: redactUrl(url), mqtt: config.mqtt.url,
    hosts: ['localhost', '127.0.0.1', '[::1]', ...(hosts.ok ? hosts.hosts : [])],
    login: 'none from this machine; a reader account from any other or through a proxy',
  }, 'web server listening');
  return { stop };
}
