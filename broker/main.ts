import { join } from 'node:path';
import { configuredSources } from '../shared/sources/spec.js';
import { parseHostList } from '../shared/allowed-hosts.js';
import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { connect, disconnect, redactUrl, type Db } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/log.js';
import { startOpsServer, type OpsServer } from '../shared/ops-http.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { listAccounts } from './accounts.js';
import { Authenticator } from './authenticator.js';
import { startBroker, type RunningBroker } from './broker.js';
import { databaseClaims } from './claims-db.js';
import { redisCluster, type RedisCluster } from './cluster.js';
import { FilePersistence } from './journal/persistence.js';
import { createBrokerMetrics } from './metrics.js';

/** Accounts from the database; no mqtt_accounts table yet (nothing migrated) means no accounts. */
function accountLoader(db: Db) {
  return () =>
    listAccounts(db).catch((err: { code?: string }) => {
      if (err.code === '42P01') return [];
      throw err;
    });
}

const allowedHostsOf = (text: string): string[] => {
  const parsed = parseHostList(text);
  return parsed.ok ? parsed.hosts : [];
};

/**
 * The broker as configured: accounts from the database, limits, Redis when clustered, /metrics and
 * /healthz.
 */
export async function startConfiguredBroker(
  config: Config,
  log: Logger,
  databaseUrl = databaseUrlOf(config),
): Promise<RunningBroker & { db: Db; opsPort?: number }> {
  const { broker: brokerConfig } = config;
  const db = connect(databaseUrl, {
    poolSize: 1,
    applicationName: 'pimonitor-broker',
    queryTimeoutMs: 5000,
    connectTimeoutMs: config.database.connectTimeoutMs,
  });
  const authenticator = new Authenticator(accountLoader(db), { failureDelayMs: brokerConfig.failedLoginDelayMs });
  authenticator.on('loadFailed', ({ err, retryInMs }) =>
    log.warn(
      { database: redactUrl(databaseUrl), err: err.message, retryInMs },
      'cannot load MQTT accounts (DATABASE_URL): using the last ones loaded (none yet: anonymous on loopback only); ' +
        'retrying with backoff',
    ));
  authenticator.on('loadRecovered', () => log.info('MQTT accounts can be loaded again'));
  authenticator.on('loaded', ({ accounts }) => log.info({ accounts }, 'MQTT accounts loaded'));
  authenticator.on('hashUnusable', ({ name, err }) =>
    log.error(
      { account: name, err: err.message },
      'the stored password hash of this account cannot be checked; its logins are refused ' +
        '(pimonitor device rotate fixes it)',
    ));
  let cluster: RedisCluster | undefined;
  let ops: OpsServer | undefined;
  const cleanUp = async () => {
    await ops?.stop();
    authenticator.stop();
    await cluster?.close();
    await disconnect(db);
  };
  try {
    await authenticator.start();
    if (brokerConfig.persistence === 'redis') {
      cluster = await redisCluster({ url: brokerConfig.redisUrl, keyPrefix: brokerConfig.redisKeyPrefix });
      cluster.events.on('down', (reason) =>
        log.error(
          { redis: redactUrl(brokerConfig.redisUrl), err: reason },
          'lost Redis (REDIS_URL); reconnecting, and queueing meanwhile',
        ));
      cluster.events.on('up', () => log.info({ redis: redactUrl(brokerConfig.redisUrl) }, 'Redis is back'));
    }
    const journal =
      brokerConfig.persistence === 'file'
        ? new FilePersistence({
            dir: join(config.dataDir, 'broker'),
            log,
            fsyncIntervalMs: brokerConfig.journalFsyncMs,
            compactBytes: brokerConfig.journalCompactBytes,
          })
        : undefined;
    const tls = brokerConfig.tls.enabled
      ? {
          host: brokerConfig.host,
          port: brokerConfig.tls.port,
          certFile: brokerConfig.tls.certFile,
          keyFile: brokerConfig.tls.keyFile,
          caFile: brokerConfig.tls.caFile || undefined,
          requireClientCert: brokerConfig.tls.requireClientCert,
        }
      : undefined;
    const claimsTableMissing = () =>
      log.warn(
        'the database has no broker_claims table yet (not migrated): client ids and devices are owned in memory ' +
          'until the broker restarts after a migration',
      );
    const broker = await startBroker({
      host: brokerConfig.host,
      port: brokerConfig.port,
      log,
      authenticator,
      limits: brokerConfig,
      tls,
      // Browser pages may connect from the hosts the dashboard accepts (WEB_HOSTS, checked at load).
      websocket: brokerConfig.websocket.enabled
        ? { host: brokerConfig.host, port: brokerConfig.websocket.port, allowedHosts: allowedHostsOf(config.web.hosts) }
        : undefined,
      cluster,
      persistence: journal,
      // Without Redis, client ids and source devices stay their accounts' across restarts in PostgreSQL.
      claims: cluster ? undefined : databaseClaims(db, claimsTableMissing),
      // Service accounts may read the configured sources' topics (shared/sources), nothing else new;
      // a source account's messages may not map to another account's device.
      sources: configuredSources(config.ingest.sources, config.node.discovery.prefix),
    });
    if (brokerConfig.httpPort !== 0) {
      const redis = cluster;
      const health = { async check() {
        return {
          listening: true,
          ...(redis ? { redis: redis.connected } : {}),
          ...(journal ? { journal: journal.writable } : {}),
        };
      } };
      const metrics = createBrokerMetrics(
        broker,
        redis && (() => redis.connected),
        journal && (() => journal.writable),
      );
      const { httpHost, httpPort } = brokerConfig;
      const setting = 'BROKER_HTTP_PORT (broker.httpPort)';
      ops = await startOpsServer(metrics, health, httpHost, httpPort, setting).catch(async (err: unknown) => {
        await broker.stop();
        throw err;
      });
      log.info({ metrics: `http://${httpHost}:${ops.port}/metrics` }, 'broker metrics and health endpoint listening');
    }
    return {
      ...broker,
      db,
      opsPort: ops?.port,
      get stats() {
        return broker.stats;
      },
      get connectedClients() {
        return broker.connectedClients;
      },
      async stop() {
        await broker.stop();
        await cleanUp();
      },
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** `pimonitor broker`: the broker on its own (one of a cluster, with BROKER_PERSISTENCE=redis). */
export async function runBroker(config: Config): Promise<void> {
  const log = createLogger('broker', config.log.level);
  const broker = await startConfiguredBroker(config, log);
  stopOnSignal(() => broker.stop(), log);
}
