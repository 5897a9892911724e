import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { spawnLogged, type LoggedProcess } from '../test/support/processes.js';
import { freePortOnLoopback } from '../test/support/ports.js';
import type { BenchTable } from './measure.js';
import { startNodeRed } from './node-red-peer.js';
import { isNats, startNatsBrokers, type NatsPipelineName } from './nats-pipeline.js';

export interface RunningPipeline {
  /** Where the load generator publishes. */
  mqttUrl: string;
  /** The processes whose CPU and memory are measured, by role (summed when a role has several, a cluster's nodes). */
  pids: Record<string, number[]>;
  /** Where its rows land. */
  table: BenchTable;
  stop(): Promise<void>;
}

export type PipelineName =
  'ours' | 'ours-memory' | 'mosquitto' | 'naive' | 'node-red' | 'node-red-batch' | NatsPipelineName;

/** The pipelines whose subscriber is pimonitor's ingest (the others' is a baseline's). */
export const withIngest = (name: PipelineName): boolean =>
  name === 'ours' || name === 'ours-memory' || name === 'mosquitto' || isNats(name);

const CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, LOG_LEVEL: 'info', ...extra });

async function stopAll(processes: LoggedProcess[]): Promise<void> {
  for (const p of processes) {
    if (p.child.exitCode !== null) continue;
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
    await p.exited;
    clearTimeout(timer);
  }
}

/** BENCH_CPU_PROF_DIR=dir: broker and ingest write V8 CPU profiles there (`npm run bench:profile` sums them). */
const profile = (role: string): string[] => {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${role}-${process.hrtime.bigint()}.cpuprofile`];
};

async function startIngest(databaseUrl: string, mqttUrl: string): Promise<LoggedProcess> {
  const ingest = spawnLogged(process.execPath, [...profile('ingest'), CLI, 'ingest'], env({
    DATABASE_URL: databaseUrl,
    MQTT_URL: mqttUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-bench-')),
    INGEST_HTTP_PORT: '0',
  }));
  await ingest.waitFor('subscribed to the broker');
  return ingest;
}

/** `persistence`: the default (file: the journal under DATA_DIR, issue 27) or memory (what it was before). */
async function startAedes(port: number, databaseUrl: string, persistence: 'file' | 'memory'): Promise<LoggedProcess> {
  const broker = spawnLogged(process.execPath, [...profile('broker'), CLI, 'broker'], env({
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-bench-broker-')),
    BROKER_PERSISTENCE: persistence,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(port),
    // No metrics endpoint: its fixed default port fails the start when another broker runs on the machine.
    BROKER_HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    // A load generator is a flood by design: lift the per-client rate limit (a node sends a few a minute).
    MQTT_MAX_PUBLISHES_PER_SECOND: '1000000',
  }));
  // At warn nothing is printed on success: wait for the port instead.
  await waitForPort(port);
  return broker;
}

async function startMosquitto(port: number): Promise<LoggedProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-bench-mosquitto-'));
  // max_queued_messages 0: the default of 1000 silently drops QoS 1 messages for a slow subscriber.
  const conf = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', ''];
  writeFileSync(join(dir, 'mosquitto.conf'), conf.join('\n'));
  const mosquitto = spawnLogged('mosquitto', ['-c', join(dir, 'mosquitto.conf')], process.env);
  await waitForPort(port);
  return mosquitto;
}

/** The same ingest behind NATS nodes on ports of their own (`port` is not used). */
async function startNatsPipeline(
  name: NatsPipelineName,
  databaseUrl: string,
  progress: (text: string) => void,
): Promise<RunningPipeline> {
  const nats = await startNatsBrokers(name, progress);
  let ingest: LoggedProcess;
  try {
    ingest = await startIngest(databaseUrl, nats.ingestUrl);
  } catch (err) {
    await nats.stop();
    throw err;
  }
  return {
    mqttUrl: nats.publishUrl,
    pids: { ...nats.pids, ingest: [ingest.child.pid!] },
    table: 'readings',
    stop: async () => {
      await stopAll([ingest]);
      await nats.stop();
    },
  };
}

export async function startPipeline(
  name: PipelineName,
  databaseUrl: string,
  port: number,
  progress: (text: string) => void,
): Promise<RunningPipeline> {
  if (isNats(name)) return startNatsPipeline(name, databaseUrl, progress);
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const nodeRed = name === 'node-red' || name === 'node-red-batch';
  const broker = name === 'mosquitto' || nodeRed
    ? await startMosquitto(port)
    : await startAedes(port, databaseUrl, name === 'ours-memory' ? 'memory' : 'file');
  let subscriber: LoggedProcess;
  try {
    if (nodeRed) {
      const variant = name === 'node-red' ? 'per-message' : 'batch';
      subscriber = await startNodeRed(variant, port, databaseUrl, await freePortOnLoopback(), env({}), progress);
    } else if (name === 'naive') {
      const naive = join(PACKAGE_ROOT, 'dist', 'bench', 'naive-subscriber.js');
      subscriber = spawnLogged(process.execPath, [naive], env({ DATABASE_URL: databaseUrl, MQTT_URL: mqttUrl }));
      await subscriber.waitFor('naive subscriber ready');
    } else {
      subscriber = await startIngest(databaseUrl, mqttUrl);
    }
  } catch (err) {
    await stopAll([broker]);
    throw err;
  }
  return {
    mqttUrl,
    pids: { broker: [broker.child.pid!], [withIngest(name) ? 'ingest' : 'subscriber']: [subscriber.child.pid!] },
    table: nodeRed ? 'nodered_readings' : 'readings',
    stop: () => stopAll([subscriber, broker]),
  };
}

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}
