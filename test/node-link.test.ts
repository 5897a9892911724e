// @engine-independent: opens no database (jest.config.js)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import type { SensorSpec } from '../sensor-node/drivers/types.js';
import { SensorNode } from '../sensor-node/node.js';
import { Outbox } from '../sensor-node/outbox.js';
import { WallClock } from '../sensor-node/wall-clock.js';
import { bootId } from '../shared/pid-lock.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { startCli } from './helpers/cli.js';
import { fakeContext } from './helpers/fake-hardware.js';
import { eventually } from './helpers/net.js';
import { startProxy, type CuttableProxy } from './helpers/proxy.js';
import { accountsBroker } from './support/accounts.js';
import { killWhenFileEnds } from './support/processes.js';

/**
 * Issue 25, items 4 to 6: a node on flaky Wi-Fi. A half-open link is noticed and each reading still
 * arrives once; SIGTERM exits by its deadline whatever the link does; a connection that cannot be
 * made is logged once, with its cause and the setting to check.
 */

let broker: RunningBroker;
let proxy: CuttableProxy;
beforeEach(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  proxy = await startProxy('127.0.0.1', broker.port);
});
afterEach(async () => {
  await proxy?.stop();
  await broker?.stop();
});

const viaProxy = () => proxy.url(broker.url);
const simulated = (intervalMs: number): SensorSpec => ({
  type: 'simulated', name: 'dht22', intervalMs, calibration: {}, maxChangePerMinute: {}, options: {},
});
const outboxDir = () => join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'outbox');

test(
  'a half-open link is noticed within a keepalive or two, and every reading arrives exactly once (no resend by both ' +
    'MQTT.js and the outbox)',
  async () => {
    const watcher = await mqtt.connectAsync(broker.url);
    const seen = new Map<string, number>();
    watcher.on('message', (topic, payload) => {
      const key = `${topic} ${(JSON.parse(payload.toString()) as { ts: string }).ts}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
    await watcher.subscribeAsync('home/flaky-wifi/dht22', { qos: 1 });
    const spec = simulated(100);
    const node = new SensorNode({
      url: viaProxy(), device: 'flaky-wifi', keepaliveS: 1,
      sensors: [{ spec, driver: DRIVERS.simulated!.create(spec, fakeContext()) }],
      outbox: Outbox.open({ dir: outboxDir(), maxBytes: 1 << 20, segmentBytes: 1 << 16 }),
      wallClock: new WallClock({ syncFile: '' }), diagIntervalMs: 60_000,
    });
    const taken: string[] = [];
    node.on('reading', ({ ts }) => taken.push(`home/flaky-wifi/dht22 ${ts.toISOString()}`));
    let disconnects = 0;
    let noticedAt = 0;
    let cutAt = Infinity;
    node.on('disconnected', () => (noticedAt ||= Date.now(), disconnects++));
    await node.start();
    try {
      await eventually('readings arrive', async () => (seen.size >= 5 ? true : undefined));
      // The Wi-Fi drops without a word: packets vanish both ways, and the socket stays open.
      proxy.blackhole();
      cutAt = Date.now();
      await eventually('the node notices the dead link', async () => (disconnects > 0 ? true : undefined), 10_000);
      console.log(`node-link: a half-open link noticed after ${noticedAt - cutAt} ms (keepalive 1 s)`);
      proxy.restore();
      await eventually('back, and the readings of the outage delivered', async () => {
        const upTo = taken.slice(0, -2);
        return upTo.length > 20 && upTo.every((k) => seen.has(k)) ? true : undefined;
      }, 15_000);
    } finally {
      await node.stop({ timeoutMs: 3000 });
      await watcher.endAsync();
    }
    const twice = [...seen].filter(([, n]) => n > 1);
    console.log(
      `node-link (half-open): ${taken.length} taken, ${taken.filter((k) => seen.has(k)).length} ` +
        `delivered, ${twice.length} duplicates over ${disconnects} reconnect(s)`,
    );
    // A reading whose PUBLISH got through just before the cut and whose PUBACK did not is sent again by
    // the outbox: QoS 1's at-least-once, which ingest's key stores once. Resent by MQTT.js as well, every
    // reading taken during the outage would come twice.
    expect(twice.filter(([k]) => Date.parse(k.split(' ')[1]!) >= cutAt)).toEqual([]);
    expect(twice.length).toBeLessThanOrEqual(3);
    expect([...seen.keys()].filter((k) => !taken.includes(k))).toEqual([]);
  },
  40_000,
);

/** systemd's TimeoutStopSec for the node (deploy/pimonitor-node.service), in ms: SIGTERM must be done well before. */
const timeoutStopMs = () =>
  Number(
    /^TimeoutStopSec=(\d+)$/m.exec(readFileSync(join(PACKAGE_ROOT, 'deploy', 'pimonitor-node.service'), 'utf8'))![1],
  ) * 1000;

/**
 * SIGTERM to a node whose broker link is dead (`freeze` it first): exit 0 below TimeoutStopSec, cursor saved,
 * lock released.
 */
async function sigtermWhenFrozen(what: string, url: string, freeze: () => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-data-'));
  const config = join(dataDir, 'node.json');
  writeFileSync(
    config,
    JSON.stringify({ mqtt: { url }, node: { device: 'halfopen', intervalMs: 200, clockSyncFile: '', simulate: true } }),
  );
  const node = startCli(['node', '--config', config], { DATA_DIR: dataDir });
  await node.waitFor('connected to the broker');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  freeze();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = Date.now();
  node.child.kill('SIGTERM');
  const { code } = await node.exited;
  const tookMs = Date.now() - started;
  console.log(
    `node-link: SIGTERM ${what} exited ${code} after ${tookMs} ms (TimeoutStopSec ${timeoutStopMs() / 1000} s)`,
  );
  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(timeoutStopMs() / 2);
  expect(node.output()).toContain('"msg":"stopped"');
  const outbox = join(dataDir, 'outbox', 'halfopen');
  expect(Number(readFileSync(join(outbox, 'cursor'), 'utf8'))).toBeGreaterThan(0);
  expect(existsSync(join(outbox, 'lock'))).toBe(false);
}

test('SIGTERM on a half-open link: the node exits 0 by its deadline, cursor saved', async () => {
  await sigtermWhenFrozen('on a half-open link', viaProxy(), () => proxy.blackhole());
}, 30_000);

test('SIGTERM with the broker frozen (SIGSTOP): the same', async () => {
  // A broker in a process of its own, so that it can be stopped dead with its socket open.
  const script = `const { startBroker } = await ` +
    `import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'broker', 'broker.js'))});
    const { createLogger } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'shared', 'log.js'))});
    const b = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    console.log('port ' + b.port);`;
  const frozen = killWhenFileEnds(spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      frozen.stdout!.on(
        'data', (d: Buffer) => /port (\d+)/.test(d.toString()) && resolve(Number(/port (\d+)/.exec(d.toString())![1])),
      );
      frozen.once('exit', () => reject(new Error('the broker process exited')));
    });
    await sigtermWhenFrozen('with the broker frozen (SIGSTOP)', `mqtt://127.0.0.1:${port}`, () =>
      frozen.kill('SIGSTOP'),
    );
  } finally {
    frozen.kill('SIGKILL');
    if (frozen.exitCode === null && frozen.signalCode === null)
      await new Promise((resolve) => frozen.once('exit', resolve));
  }
}, 30_000);

/** A port that accepts connections and never says a word. */
async function silentPort(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

test.each([
  ['a wrong password', 'refused the login', 'MQTT_USERNAME and MQTT_PASSWORD'],
  ['an unknown host', 'does not resolve', 'MQTT_URL'],
  ['a silent port', 'no answer from', 'MQTT_URL'],
])('%s is logged once, with its cause and the setting to check', async (what, cause, check) => {
  const accounts = what === 'a wrong password' ? await accountsBroker([['cellar', 'device']]) : undefined;
  const silent = what === 'a silent port' ? await silentPort() : undefined;
  const url = accounts?.broker.url ?? silent?.url ?? 'mqtt://no-such-broker.invalid:1883';
  const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-data-'));
  const config = join(dataDir, 'node.json');
  writeFileSync(
    config,
    JSON.stringify({
      mqtt: { url, username: 'cellar', password: 'not-its-password' },
      node: { device: 'cellar', intervalMs: 500, clockSyncFile: '', simulate: true },
    }),
  );
  const node = startCli(['node', '--config', config], { DATA_DIR: dataDir });
  try {
    await node.waitFor('cannot connect to the broker', 20_000);
    const line = node.output().split('\n').find((l) => l.includes('cannot connect to the broker'))!;
    expect(line).toContain(cause);
    expect(line).toContain(check);
    // More attempts follow (backoff from 1 s), and are not logged one by one.
    await new Promise((resolve) => setTimeout(resolve, what === 'a silent port' ? 1000 : 4000));
    expect(node.output().split('\n').filter((l) => l.includes('connect to the broker'))).toHaveLength(1);
  } finally {
    node.child.kill('SIGTERM');
    expect((await node.exited).code).toBe(0);
    await accounts?.close();
    await silent?.close();
  }
}, 40_000);

test(
  'after a power cut, a lock whose pid now belongs to another program does not block the start: one log line, and ' +
    'readings flow',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-data-'));
    const config = join(dataDir, 'node.json');
    writeFileSync(
      config,
      JSON.stringify({
        mqtt: { url: broker.url }, node: { device: 'rebooted', intervalMs: 200, clockSyncFile: '', simulate: true },
      }),
    );
    // The lock the node left before the power cut: its pid now runs `sleep`, started at another time.
    const squatter = killWhenFileEnds(spawn('sleep', ['30'], { stdio: 'ignore' }));
    await new Promise((resolve) => squatter.once('spawn', resolve));
    mkdirSync(join(dataDir, 'outbox', 'rebooted'), { recursive: true });
    writeFileSync(
      join(dataDir, 'outbox', 'rebooted', 'lock'),
      JSON.stringify({ pid: squatter.pid, bootId: bootId(), startTicks: '1' }),
    );
    const watcher = await mqtt.connectAsync(broker.url);
    let readings = 0;
    watcher.on('message', () => readings++);
    await watcher.subscribeAsync('home/rebooted/dht22', { qos: 1 });
    const node = startCli(['node', '--config', config], { DATA_DIR: dataDir });
    try {
      await eventually('readings flow', async () => (readings >= 3 ? true : undefined), 15_000);
      const lines = node.output().split('\n').filter((l) => l.includes('stale lock'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`pid ${squatter.pid} now belongs to another process`);
      console.log(
        `node-link (stale lock): started, ${readings} readings delivered, ${lines.length} log line about the lock`,
      );
    } finally {
      node.child.kill('SIGTERM');
      expect((await node.exited).code).toBe(0);
      squatter.kill('SIGKILL');
      await watcher.endAsync();
    }
  },
  30_000,
);
