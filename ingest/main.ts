import type { Config } from '../config/index.js';
import { DEFAULT_METRIC_RANGES } from '../shared/contract.js';
import { connect, disconnect, redactUrl, type Db } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/log.js';
import { migrate } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { backoffMs } from './backoff.js';
import { createBatchStore } from './store.js';
import { IngestWorker } from './worker.js';

/** Where ingest writes: DATABASE_URL, or else the embedded database that `pimonitor up` serves. */
export function databaseUrlOf(config: Config): string {
  const { url, embedded } = config.database;
  const host = embedded.host === '0.0.0.0' ? '127.0.0.1' : embedded.host;
  return url || `postgres://postgres@${host}:${embedded.port}/postgres`;
}

/** The ingest process: migrate, subscribe, write until SIGINT/SIGTERM (or until `pimonitor up` goes away). */
export async function runIngest(config: Config): Promise<void> {
  const log = createLogger('ingest', config.log.level);
  const url = databaseUrlOf(config);
  const db = connect(url, { poolSize: config.database.poolSize, applicationName: 'pimonitor-ingest' });
  await migrateWhenReachable(db, log, redactUrl(url));

  const { ingest, mqtt } = config;
  const worker = new IngestWorker({
    url: mqtt.url,
    clientId: ingest.clientId,
    username: mqtt.username,
    password: mqtt.password,
    batchMaxRows: ingest.batchMaxRows,
    flushIntervalMs: ingest.flushIntervalMs,
    maxPendingRows: ingest.maxPendingRows,
    limits: {
      maxPayloadBytes: ingest.maxPayloadBytes,
      maxFutureSkewMs: ingest.maxFutureSkewMs,
      ranges: { ...DEFAULT_METRIC_RANGES, ...(ingest.metricRanges as object) },
    },
    store: createBatchStore(db),
  });
  let brokerUp = false;
  worker.on('connected', () => {
    brokerUp = true;
    log.info({ url: mqtt.url }, 'subscribed to the broker');
  });
  worker.on('disconnected', () => {
    if (brokerUp) log.warn({ url: mqtt.url }, 'lost the broker; reconnecting');
    brokerUp = false;
  });
  worker.on('brokerError', (err) => log.error({ err: err.message, url: mqtt.url }, 'broker refused the connection'));
  worker.on('rejected', ({ topic, reason }) => log.debug({ topic, reason }, 'message rejected'));
  worker.on('flushed', (f) => log.debug(f, 'batch written'));
  worker.on('writeFailed', ({ err, attempt, retryInMs }) =>
    log.warn({ err: (err as Error).message, attempt, retryInMs }, 'writing a batch failed; will retry'));

  let last = { ...worker.stats };
  const summary = setInterval(() => {
    const now = worker.stats;
    log.info({
      messages: now.messages - last.messages,
      rowsWritten: now.rowsWritten - last.rowsWritten,
      rejected: now.rejected - last.rejected,
      batches: now.batches - last.batches,
      pendingRows: worker.pendingRowCount,
      intervalMs: ingest.statsIntervalMs,
    }, 'ingest summary');
    last = { ...now };
  }, ingest.statsIntervalMs).unref();

  const stop = async () => {
    clearInterval(summary);
    await worker.stop();
    await disconnect(db);
  };
  stopOnSignal(stop, log);
  // Started by `pimonitor up`: when it goes away (even by kill -9), stop gracefully rather than linger.
  if (process.send) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  log.info({ database: redactUrl(url), mqtt: mqtt.url, clientId: ingest.clientId }, 'ingest starting');
  await worker.start();
}

async function migrateWhenReachable(db: Db, log: Logger, shownUrl: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await migrate(db, (m) => log.info({ migration: m.name }, 'applied migration'));
      if (result.newerThanCode) log.warn({ version: result.version }, 'the database schema is newer than this pimonitor; upgrade pimonitor');
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== '57P03') throw err;
      const retryInMs = backoffMs(attempt);
      log.warn({ database: shownUrl, err: (err as Error).message, retryInMs }, 'database not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}
