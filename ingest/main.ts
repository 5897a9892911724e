import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { databaseUrlOf } from '../config/database-url.js';
import { validationLimitsOf } from '../config/limits.js';
import { connect, disconnect, redactUrl } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/log.js';
import { migrateWhenReachable } from '../shared/migrate.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { startOpsServer, type OpsServer, HEALTH_TIMEOUT_MS } from '../shared/ops-http.js';
import { withTimeout } from '../shared/timeout.js';
import { createIngestMetrics } from './metrics.js';
import { Spool } from '../shared/spool/spool.js';
import { parsePartition, type Partition } from '../shared/partition.js';
import { configuredSources } from '../shared/sources/spec.js';
import { createBatchStore } from './store.js';
import { IngestWorker } from './worker.js';
import { startMaintenance } from '../storage/run-maintenance.js';
import { sqlFile } from '../shared/sql-file.js';

const PING = sqlFile('shared', 'ping.sql');

/** The ingest process: migrate, replay the spool, subscribe, write until SIGINT/SIGTERM. */
export async function runIngest(config: Config): Promise<void> {
  const log = createLogger('ingest', config.log.level);
  const { ingest, mqtt } = config;
  const url = databaseUrlOf(config);
  const { connectTimeoutMs, queryTimeoutMs, poolSize } = config.database;
  await migrateWhenReachable(url, { connectTimeoutMs, applicationName: 'pimonitor-ingest-migrate', log });
  const db = connect(url, { poolSize, applicationName: 'pimonitor-ingest', queryTimeoutMs, connectTimeoutMs });

  // One spool per worker id, so two workers sharing a DATA_DIR never share a spool.
  const spoolDir = resolve(config.dataDir, 'spool', ingest.clientId);
  const { spool, repair } = Spool.open({ dir: spoolDir, segmentBytes: ingest.spoolSegmentBytes });
  if (repair.staleLock) log.warn({ spoolDir, reason: repair.staleLock }, 'took over a stale lock on the spool');
  if (repair.truncatedBytes > 0) {
    log.warn({ spoolDir, bytes: repair.truncatedBytes }, 'cut a torn or damaged tail off the spool (power cut?); '
      + 'whole records are kept (counted in pimonitor_ingest_spool_skipped_bytes_total)');
  }
  logSpoolDamage(spool, spoolDir, log);

  const sources = configuredSources(ingest.sources, config.node.discovery.prefix);
  const worker = new IngestWorker({
    url: mqtt.url,
    clientId: ingest.clientId,
    username: mqtt.username,
    password: mqtt.password,
    batchMaxRows: ingest.batchMaxRows,
    flushIntervalMs: ingest.flushIntervalMs,
    spool,
    spoolMaxBytes: ingest.spoolMaxBytes,
    syncIntervalMs: ingest.syncIntervalMs,
    limits: validationLimitsOf(config),
    store: createBatchStore(db, { timeoutMs: queryTimeoutMs || undefined }),
    sources,
    partition: parsePartition(ingest.partition) as Partition,
    shareGroup: ingest.shareGroup || undefined,
    maxNewSeriesPerDevicePerHour: ingest.maxNewSeriesPerDevicePerHour,
  });
  logWorkerEvents(worker, log, mqtt.url);
  const maintenance = config.storage.maintenance ? startMaintenance(config, url, log) : undefined;

  let ops: OpsServer | undefined;
  if (ingest.httpPort !== 0) {
    const health = {
      async check() {
        const answered = withTimeout(db.one(PING), HEALTH_TIMEOUT_MS / 2);
        const database = await answered.then(() => true, () => false);
        return { database, broker: worker.brokerConnected, subscribed: worker.subscribed };
      },
    };
    const setting = 'INGEST_HTTP_PORT (ingest.httpPort)';
    ops = await startOpsServer(createIngestMetrics(worker), health, ingest.httpHost, ingest.httpPort, setting);
    log.info({ metrics: `http://${ingest.httpHost}:${ops.port}/metrics` }, 'metrics and health endpoint listening');
  }

  let last = { ...worker.stats };
  const summary = setInterval(() => {
    const now = worker.stats;
    log.info({
      messages: now.messages - last.messages,
      rowsWritten: now.rowsWritten - last.rowsWritten,
      rejected: now.rejected - last.rejected,
      batches: now.batches - last.batches,
      backlogBytes: worker.backlogBytes,
      intervalMs: ingest.statsIntervalMs,
    }, 'ingest summary');
    last = { ...now };
  }, ingest.statsIntervalMs).unref();

  const stop = async () => {
    const deadline = Date.now() + ingest.stopTimeoutMs;
    clearInterval(summary);
    await ops?.stop();
    const timeoutMs = ingest.stopTimeoutMs;
    await Promise.all([worker.stop({ timeoutMs }), maintenance?.stop({ timeoutMs })]);
    if (worker.backlogBytes > 0) {
      log.warn({ backlogBytes: worker.backlogBytes },
        'stopped with messages still in the spool; they are written at the next start');
    }
    // Briefly, within what is left of the deadline: a healthy server closes its connections in
    // milliseconds, a silent one never does.
    await disconnect(db, Math.min(300, Math.max(100, deadline - Date.now())));
  };
  stopOnSignal(stop, log, ingest.stopTimeoutMs + 5_000);
  // Started by `pimonitor up`: when it goes away (even by kill -9), stop gracefully rather than linger.
  if (process.send) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  log.info({
    database: redactUrl(url), mqtt: mqtt.url, clientId: ingest.clientId, partition: ingest.partition,
    shareGroup: ingest.shareGroup || undefined, spoolDir,
    sources: sources.map((s) => `${s.name} (${s.filters.join(', ')})`),
  }, 'ingest starting');
  await worker.start();
}

/**
 * Damage the spool skips: the first stretch at once, then at most one summary a minute (a failing card must
 * not flood the log).
 */
function logSpoolDamage(spool: Spool, spoolDir: string, log: Logger): void {
  let since = { stretches: 0, bytes: 0, messages: 0 };
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    timer = undefined;
    if (since.stretches === 0) return;
    log.error({ spoolDir, ...since, skippedBytesInAll: spool.skippedBytes }, 'skipped damaged records of the spool '
      + 'to the next valid one (messages: about how many); counted in pimonitor_ingest_spool_damaged_records_total');
    since = { stretches: 0, bytes: 0, messages: 0 };
    timer = setTimeout(report, 60_000).unref();
  };
  spool.on('damaged', ({ bytes, records }) => {
    since = { stretches: since.stretches + 1, bytes: since.bytes + bytes, messages: since.messages + records };
    if (!timer) report();
  });
}

function logWorkerEvents(worker: IngestWorker, log: Logger, mqttUrl: string): void {
  let brokerUp = false;
  let failing = false;
  worker.on('replaying', ({ bytes }) =>
    log.info({ bytes }, 'replaying spooled messages the database does not have yet'));
  worker.on('connected', () => {
    brokerUp = true;
    log.info({ url: mqttUrl }, 'subscribed to the broker');
  });
  worker.on('disconnected', () => {
    if (brokerUp) log.warn({ url: mqttUrl }, 'lost the broker; reconnecting');
    brokerUp = false;
  });
  worker.on('brokerError', (err) => log.error({ err: err.message, url: mqttUrl }, 'broker refused the connection'));
  worker.on('brokerSwitched', ({ from, to, switches }) =>
    log.warn({ from, to, switches }, 'failed over to another broker of MQTT_URL (same client id and session)'));
  worker.on('rejected', ({ topic, code, reason, source }) =>
    log.debug({ topic, code, reason, source }, 'message rejected'));
  // A bridge inventing names could fill the card with these lines: the first hundred are logged, all counted.
  const RENAMES_LOGGED = 100;
  worker.on('renamed', ({ source, name, device, count }) => {
    if (count > RENAMES_LOGGED) return;
    log.warn({ source, name, device, count }, `device name "${name}" is not a legal name (1-64 of A-Z a-z 0-9 _ -): `
      + `stored as ${device}, with a hash so names that read alike stay apart; rename it at the device to choose`);
    if (count === RENAMES_LOGGED) {
      log.warn({ count }, `${RENAMES_LOGGED} renamed device names logged; `
        + 'further ones are counted in pimonitor_ingest_source_renamed_names_total, not logged');
    }
  });
  worker.on('seriesQuotaReached', ({ device, limit, until }) =>
    log.warn({ device, limit, until: until.toISOString() }, 'a device created its quota of new series for the hour; '
      + 'readings of further new series are rejected (code quota) until then '
      + '(INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR)'));
  worker.on('isolated', ({ topic, error, storedAs }) =>
    storedAs === 'skipped'
      ? log.error({ topic, error },
        'the database refused a message even as a rejection; skipped it (counted in pimonitor_ingest_dropped_total)')
      : log.warn({ topic, error, storedAs }, 'the database refused a message; stored it in rejected_messages'));
  worker.on('subscribeRefused', ({ reason, retryInMs }) => log.error({ reason, retryInMs },
    'the broker refused the subscription; no readings arrive until it is granted (check the ingest account\'s role)'));
  worker.on('failed', ({ during, err }) =>
    log.error({ during, err: (err as Error)?.message ?? String(err) }, 'ingest failed'));
  worker.on('flushed', (f) => {
    if (failing) log.info({ backlogBytes: worker.backlogBytes }, 'database writes succeed again');
    failing = false;
    log.debug(f, 'batch written');
  });
  worker.on('writeFailed', ({ err, attempt, retryInMs }) => {
    failing = true;
    const failure = { err: (err as Error).message, attempt, retryInMs, backlogBytes: worker.backlogBytes };
    log.warn(failure, 'writing a batch failed; retrying (readings wait in the spool)');
  });
  worker.on('syncFailed', (err) => log.error({ err: err.message }, 'flushing the spool to disk failed'));
}
