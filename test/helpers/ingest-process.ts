import { startCli, type CliProcess } from './cli.js';

export { rssMiB } from '../support/processes.js';

export interface IngestProcessOptions {
  /** How long to wait for the first subscription (a broker replaying a large queued session takes a while). */
  readyTimeoutMs?: number;
  databaseUrl: string;
  mqttUrl: string;
  dataDir: string;
  env?: Record<string, string>;
}

/** `pimonitor ingest` as its own process, as in production, so a test can kill -9 it and read its RSS. */
export async function startIngestProcess({
  databaseUrl,
  mqttUrl,
  dataDir,
  env = {},
  readyTimeoutMs = 20_000,
}: IngestProcessOptions): Promise<CliProcess> {
  const ingest = startCli(['ingest'], {
    DATABASE_URL: databaseUrl,
    MQTT_URL: mqttUrl,
    DATA_DIR: dataDir,
    INGEST_HTTP_PORT: '0',
    INGEST_FLUSH_INTERVAL_MS: '50',
    ...env,
  });
  await ingest.waitFor('subscribed to the broker', readyTimeoutMs).catch((err: unknown) => {
    ingest.child.kill('SIGKILL');
    throw err;
  });
  return ingest;
}

