import { join, resolve } from 'node:path';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import type { Config } from '../config/index.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../shared/embedded-db.js';
import { redactUrl } from '../shared/db.js';
import { createLogger } from '../shared/log.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { superviseChild } from './supervise.js';

/**
 * The whole pipeline on one machine: the embedded database (unless DATABASE_URL is set), the embedded
 * broker (unless BROKER_EMBEDDED=false), and ingest as its own process. Stops in reverse order.
 */
export async function runUp(config: Config, configFile: string | undefined): Promise<void> {
  const log = createLogger('up', config.log.level);
  let database: EmbeddedDatabase | undefined;
  let broker: RunningBroker | undefined;
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const { host, port, maxConnections } = config.database.embedded;
      database = await startEmbeddedDatabase({ dataDir: join(config.dataDir, 'pg'), host, port, maxConnections });
      databaseUrl = database.url;
      log.info({ dataDir: resolve(config.dataDir, 'pg'), psql: `psql -h ${host} -p ${database.port} -U postgres` }, 'embedded PostgreSQL (PGlite) listening');
    }
    let mqttUrl = config.mqtt.url;
    if (config.broker.embedded) {
      broker = await startBroker({ host: config.broker.host, port: config.broker.port, log: createLogger('broker', config.log.level) });
      mqttUrl = broker.url;
    }
    const ingest = superviseChild(
      ['ingest', ...(configFile ? ['--config', configFile] : [])],
      { ...process.env, DATABASE_URL: databaseUrl, MQTT_URL: mqttUrl },
      log,
    );
    stopOnSignal(async () => {
      await ingest.stop();
      await broker?.stop();
      await database?.stop();
    }, log);
    log.info({ database: redactUrl(databaseUrl), mqtt: mqttUrl }, 'pipeline up');
  } catch (err) {
    await broker?.stop();
    await database?.stop();
    throw err;
  }
}
