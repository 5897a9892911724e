import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { connect, disconnect, type Db } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/log.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { listAccounts } from './accounts.js';
import { Authenticator } from './authenticator.js';
import { startBroker, type RunningBroker } from './broker.js';
import { redisCluster } from './cluster.js';

/** Accounts from the database; no mqtt_accounts table yet (nothing migrated) means no accounts. */
function accountLoader(db: Db) {
  return () =>
    listAccounts(db).catch((err: { code?: string }) => {
      if (err.code === '42P01') return [];
      throw err;
    });
}

/** The broker as configured: accounts from the database, limits, and Redis when clustered. */
export async function startConfiguredBroker(config: Config, log: Logger, databaseUrl = databaseUrlOf(config)): Promise<RunningBroker & { db: Db }> {
  const db = connect(databaseUrl, { poolSize: 1, applicationName: 'pimonitor-broker' });
  const authenticator = new Authenticator(accountLoader(db), { failureDelayMs: config.broker.failedLoginDelayMs });
  authenticator.on('loadFailed', (err) => log.warn({ err: err.message }, 'could not load MQTT accounts; using the last ones loaded'));
  authenticator.on('loaded', ({ accounts }) => log.info({ accounts }, 'MQTT accounts loaded'));
  await authenticator.start();
  const { broker: b } = config;
  const broker = await startBroker({
    host: b.host,
    port: b.port,
    log,
    authenticator,
    limits: b,
    tls: b.tls.enabled ? { host: b.host, port: b.tls.port, certFile: b.tls.certFile, keyFile: b.tls.keyFile, caFile: b.tls.caFile || undefined, requireClientCert: b.tls.requireClientCert } : undefined,
    websocket: b.websocket.enabled ? { host: b.host, port: b.websocket.port } : undefined,
    cluster: b.persistence === 'redis' ? redisCluster({ url: b.redisUrl, keyPrefix: b.redisKeyPrefix }) : undefined,
  }).catch(async (err: unknown) => {
    authenticator.stop();
    await disconnect(db);
    throw err;
  });
  return {
    ...broker,
    db,
    get stats() {
      return broker.stats;
    },
    get connectedClients() {
      return broker.connectedClients;
    },
    tlsPort: broker.tlsPort,
    websocketPort: broker.websocketPort,
    async stop() {
      await broker.stop();
      authenticator.stop();
      await disconnect(db);
    },
  };
}

/** `pimonitor broker`: the broker on its own (one of a cluster, with BROKER_PERSISTENCE=redis). */
export async function runBroker(config: Config): Promise<void> {
  const log = createLogger('broker', config.log.level);
  const broker = await startConfiguredBroker(config, log);
  stopOnSignal(() => broker.stop(), log);
}
