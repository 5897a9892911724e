import { configuredSources } from '../shared/sources/spec.js';
import mqtt from 'mqtt';
import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { connect, disconnect, redactUrl } from '../shared/db.js';
import { createLogger } from '../shared/log.js';
import { isLoopback } from '../shared/loopback.js';
import { migrateWhenReachable } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { LiveFeed } from './live.js';
import { WebServer } from './server.js';

/** `pimonitor web`: the JSON API and live events, until SIGINT/SIGTERM. */
export async function runWeb(config: Config): Promise<void> {
  const log = createLogger('web', config.log.level);
  const url = databaseUrlOf(config);
  await migrateWhenReachable(url, { connectTimeoutMs: config.database.connectTimeoutMs, applicationName: 'pimonitor-web-migrate', log });
  const db = connect(url, { poolSize: 4, applicationName: 'pimonitor-web', queryTimeoutMs: Math.min(config.database.queryTimeoutMs, 10_000), connectTimeoutMs: config.database.connectTimeoutMs });
  const client = mqtt.connect(config.mqtt.url, {
    clientId: config.web.clientId, clean: true, connectTimeout: 10_000, reconnectPeriod: 2_000,
    username: config.mqtt.username || undefined, password: config.mqtt.password || undefined,
  });
  let brokerProblem = '';
  client.on('error', (err) => {
    if (err.message !== brokerProblem) log.warn({ err: err.message }, 'broker connection problem; live updates wait');
    brokerProblem = err.message;
  });
  client.on('connect', () => (brokerProblem = ''));
  const server = new WebServer({
    db, live: new LiveFeed(client, { sources: configuredSources(config.ingest.sources) }), host: config.web.host, port: config.web.port,
    onError: (err, path) => log.warn({ err: (err as Error)?.message, path }, 'request failed'),
  });
  stopOnSignal(async () => {
    await server.stop({ timeoutMs: 5000 });
    await disconnect(db);
  }, log, 10_000);
  await server.start();
  log.info({ url: `http://${config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host}:${server.port}/`, database: redactUrl(url), mqtt: config.mqtt.url, login: isLoopback(config.web.host) ? 'none (loopback only)' : 'a reader account' }, 'web server listening');
}
