import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import mqtt from 'mqtt';
import { freePortOnLoopback } from './ports.js';
import { spawnLogged, type LoggedProcess } from './processes.js';

/**
 * Real `nats-server` nodes (Debian's 2.9 at /usr/sbin/nats-server; NATS_SERVER overrides) for the
 * tests and the benchmark: each on free loopback ports (this machine runs its own NATS on 4222 and
 * Mosquitto on 1883), with a server_name, JetStream in a directory of its own (MQTT keeps sessions,
 * retained messages and QoS 1 deliveries there) and an MQTT listener; three of them also form a
 * cluster over routes. Everything lives in one mkdtemp directory, removed by stop().
 */
export const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';

export interface NatsClusterOptions {
  nodes: 1 | 3;
  /**
   * A NATS config file to `include` in every node's config (e.g. `pimonitor device export --nats`'s
   * users.conf): an absolute path, or one relative to the cluster's directory (NatsCluster.dir).
   */
  include?: string;
  /** Raw config text (authorization { … } or accounts { … }) written to a file and included the same way. */
  accountsText?: string;
  /** Extra lines inside each node's `mqtt { }` block (e.g. `ack_wait: "5s"`). */
  mqttExtra?: string;
  /** How long start(), restart() may take before failing with the node's output. Default 30 s. */
  readyTimeoutMs?: number;
  /** A user and password for the readiness probe's MQTT connect, when the included accounts require one. */
  probeLogin?: { username: string; password: string };
}

export interface NatsNode {
  name: string;
  mqttPort: number;
  mqttUrl: string;
  /** The NATS client port (nats://127.0.0.1:<port>). */
  clientPort: number;
  /** The monitoring port (/healthz, /jsz, /varz). */
  httpPort: number;
  configFile: string;
  output(): string;
  running(): boolean;
  /** SIGKILL, no goodbye to the cluster; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again on the same config and store (kill9 or stop first); resolves when it is ready again. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s); resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's mqtt://127.0.0.1:<port>, in node order. */
  mqttUrls: string[];
  dir: string;
  /** Stops every node still running and removes the directory. */
  stop(): Promise<void>;
}

interface Ports {
  client: number;
  http: number;
  mqtt: number;
  cluster: number;
}

/** Free loopback ports, each different (freePortOnLoopback never hands out one twice in a test file). */
async function distinctPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePortOnLoopback());
  return ports;
}

function nodeConfig(
  name: string, i: number, ports: Ports[], dir: string, options: NatsClusterOptions, includes: string[],
): string {
  const own = ports[i]!;
  // 2.9 gives the MQTT streams as many replicas as it sees servers when the account's first MQTT
  // client connects (2 if a node is late), and an R2 stream stalls when either node dies: say 3.
  const setsReplicas = options.mqttExtra?.includes('stream_replicas');
  const replicas = ports.length > 1 && !setsReplicas ? `, stream_replicas: ${ports.length}` : '';
  const extra = options.mqttExtra ? `\n  ${options.mqttExtra}` : '';
  const lines = [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${own.client}`,
    `http: 127.0.0.1:${own.http}`,
    `jetstream { store_dir: "${join(dir, name)}", max_memory_store: 64MB, max_file_store: 1GB }`,
    `mqtt { listen: 127.0.0.1:${own.mqtt}${replicas}${extra} }`,
  ];
  if (ports.length > 1) {
    const routes = ports.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p.cluster}`);
    lines.push(`cluster { name: pimonitor-test, listen: 127.0.0.1:${own.cluster}, routes: [${routes.join(', ')}] }`);
  }
  // nats-server 2.9 reads an include's path relative to the including file's directory, even an absolute one.
  for (const file of includes) lines.push(`include "${isAbsolute(file) ? relative(dir, file) : file}"`);
  return `${lines.join('\n')}\n`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function monitoring(httpPort: number, path: string): Promise<Response | undefined> {
  try {
    return await fetch(`http://127.0.0.1:${httpPort}${path}`, { signal: AbortSignal.timeout(2000) });
  } catch {
    return undefined;
  }
}

/**
 * /healthz answers 200 on 2.9 before the routes are all up; a cluster is formed when this node has a
 * route to every other (/routez) and JetStream's meta group has a leader and counts them all (/jsz).
 */
async function healthy(httpPort: number, nodes: number): Promise<boolean> {
  if (!(await monitoring(httpPort, '/healthz'))?.ok) return false;
  if (nodes === 1) return true;
  const json = async (path: string) =>
    (await monitoring(httpPort, path))?.json().catch(() => undefined) as Promise<Record<string, any> | undefined>;
  const routes = (await json('/routez'))?.num_routes as number | undefined;
  const meta = (await json('/jsz'))?.meta_cluster as { leader?: string; cluster_size?: number } | undefined;
  return routes === nodes - 1 && Boolean(meta?.leader) && meta?.cluster_size === nodes;
}

/**
 * One MQTT CONNECT with a clean session: it succeeds only once the node can reach JetStream (its
 * account's $MQTT_ streams exist and have a leader), which /healthz alone does not promise on 2.9.
 */
function mqttAnswers(url: string, login?: { username: string; password: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId: `pimonitor-probe-${Math.random().toString(36).slice(2, 10)}`, clean: true, reconnectPeriod: 0,
      connectTimeout: 4000, ...login,
    });
    const done = (ok: boolean) => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true, () => resolve(ok));
    };
    client.once('connect', () => done(true));
    client.once('error', () => done(false));
    client.once('close', () => done(false));
  });
}

async function waitReady(
  node: NatsNode, nodes: number, timeoutMs: number, login?: { username: string; password: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stage = 'the MQTT port to accept';
  for (;;) {
    if (!node.running()) throw new Error(`nats-server ${node.name} exited while starting; output:\n${node.output()}`);
    if (stage === 'the MQTT port to accept' && (await accepts(node.mqttPort))) stage = '/healthz and /jsz';
    if (stage === '/healthz and /jsz' && (await healthy(node.httpPort, nodes))) stage = 'an MQTT CONNECT';
    if (stage === 'an MQTT CONNECT' && (await mqttAnswers(node.mqttUrl, login))) return;
    if (Date.now() > deadline)
      throw new Error(`nats-server ${node.name}: timed out waiting for ${stage}; output:\n${node.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `nodes` nats-server processes and resolves once each answers an MQTT CONNECT. */
export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const { nodes: count, readyTimeoutMs = 30_000 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-nats-'));
  const includes: string[] = [];
  if (options.include) includes.push(options.include);
  if (options.accountsText) {
    const file = join(dir, 'accounts.conf');
    writeFileSync(file, options.accountsText);
    includes.push(file);
  }
  const flat = await distinctPorts(count * 4);
  const ports: Ports[] = Array.from({ length: count }, (_, i) => ({
    client: flat[i * 4]!, http: flat[i * 4 + 1]!, mqtt: flat[i * 4 + 2]!, cluster: flat[i * 4 + 3]!,
  }));
  const launchers: Array<() => void> = [];
  const nodes: NatsNode[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const configFile = join(dir, `${name}.conf`);
    writeFileSync(configFile, nodeConfig(name, i, ports, dir, options, includes));
    let proc: LoggedProcess | undefined;
    let alive = false;
    const launch = () => {
      proc = spawnLogged(NATS_SERVER, ['-c', configFile], process.env);
      alive = true;
      void proc.exited.then(() => (alive = false));
    };
    const gone = async (signal: NodeJS.Signals) => {
      if (!proc || !alive) return;
      const exited = proc.exited;
      proc.child.kill(signal);
      const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc?.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    };
    const node: NatsNode = {
      name,
      mqttPort: p.mqtt,
      mqttUrl: `mqtt://127.0.0.1:${p.mqtt}`,
      clientPort: p.client,
      httpPort: p.http,
      configFile,
      output: () => proc?.output() ?? '',
      running: () => alive,
      kill9: () => gone('SIGKILL'),
      stop: () => gone('SIGTERM'),
      async restart() {
        if (alive) throw new Error(`nats-server ${name} is still running: kill9() or stop() it first`);
        launch();
        await waitReady(node, count, readyTimeoutMs, options.probeLogin);
      },
    };
    launchers.push(launch);
    return node;
  });
  const cluster: NatsCluster = {
    nodes,
    mqttUrls: nodes.map((n) => n.mqttUrl),
    dir,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // All at once: a node of a cluster is not ready (no JetStream meta leader) until the others are up.
    launchers.forEach((launch) => launch());
    await Promise.all(nodes.map((n) => waitReady(n, count, readyTimeoutMs, options.probeLogin)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Whether the nats-server binary is there. */
export const natsServerInstalled = (): boolean => existsSync(NATS_SERVER);
