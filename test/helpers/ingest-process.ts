import { readFileSync } from 'node:fs';
import { startCli, type CliProcess } from './cli.js';

export interface IngestProcessOptions {
  databaseUrl: string;
  mqttUrl: string;
  dataDir: string;
  env?: Record<string, string>;
}

/** `pimonitor ingest` as its own process, as in production, so a test can kill -9 it and read its RSS. */
export async function startIngestProcess({ databaseUrl, mqttUrl, dataDir, env = {} }: IngestProcessOptions): Promise<CliProcess> {
  const ingest = startCli(['ingest'], {
    DATABASE_URL: databaseUrl,
    MQTT_URL: mqttUrl,
    DATA_DIR: dataDir,
    INGEST_HTTP_PORT: '0',
    INGEST_FLUSH_INTERVAL_MS: '50',
    ...env,
  });
  await ingest.waitFor('subscribed to the broker');
  return ingest;
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}
