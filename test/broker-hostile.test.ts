import mqtt from 'mqtt';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusMiB } from './support/processes.js';
import type { Account } from '../broker/accounts.js';
import { Authenticator } from '../broker/authenticator.js';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { hashPassword } from '../shared/password.js';
import { startCli, type CliProcess } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually, freePort } from './helpers/net.js';

// What a hostile or careless client can do to the broker, and what it must not achieve (issue: "The
// broker never falls over").
const opened: Array<{ close(): Promise<unknown> }> = [];
const track = <T extends { close(): Promise<unknown> }>(x: T) => (opened.push(x), x);
afterEach(async () => {
  for (const x of opened.splice(0).reverse()) await x.close().catch(() => {});
});
const client = async (url: string, options: mqtt.IClientOptions = {}) => {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  track({ close: () => c.endAsync(true) });
  return c;
};
const brokerWith = async (options: Partial<Parameters<typeof startBroker>[0]> = {}) => {
  const b = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), ...options });
  track({ close: () => b.stop() });
  return b;
};

test(
  'a loopback anonymous client cannot evict another client through $SYS/<id>/new/clients, nor read $SYS',
  async () => {
    const broker = await brokerWith();
    const victim = await client(broker.url, { clientId: 'pimonitor-ingest' });
    let victimClosed = false;
    victim.on('close', () => (victimClosed = true));
    const attacker = await client(broker.url, { clientId: 'attacker' });
    await expect(attacker.subscribeAsync('$SYS/#', { qos: 0 })).rejects.toThrow(/Subscribe error/);
    const attackerGone = new Promise<void>((resolve) => attacker.once('close', () => resolve()));
    attacker.publish('$SYS/another-broker/new/clients', 'pimonitor-ingest', { qos: 0 });
    await attackerGone;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(victimClosed).toBe(false);
    expect(victim.connected).toBe(true);
    expect(broker.stats.deniedPublishes).toBe(1);
  },
  20_000,
);

test('each hook with a failing dependency refuses, logs and counts; the broker keeps serving', async () => {
  // A malformed hash, and a scrypt cost above what this machine allows: verifyPassword rejects for both.
  const good = await hashPassword('right');
  const accounts: Account[] = [
    { name: 'broken', role: 'device', passwordHash: 'scrypt$abc$8$1$c2FsdA==$a2V5', managedBy: null },
    {
      name: 'costly', role: 'device', passwordHash: good.replace(/^scrypt\$\d+/, 'scrypt$1073741824'), managedBy: null,
    },
    { name: 'fine', role: 'reader', passwordHash: good, managedBy: null },
  ];
  const auth = new Authenticator(async () => accounts, { failureDelayMs: 0 });
  await auth.start();
  track({ close: async () => auth.stop() });
  const broker = await brokerWith({ authenticator: auth });
  await expect(client(broker.url, { username: 'broken', password: 'x' })).rejects.toThrow(/Bad username or password/);
  await expect(client(broker.url, { username: 'costly', password: 'right' })).rejects.toThrow(
    /Bad username or password/,
  );
  // An authenticator that throws instead of answering.
  const throwing = new Authenticator(async () => [], { failureDelayMs: 0 });
  throwing.authenticate = () => {
    throw new Error('the account store exploded');
  };
  const broker2 = await brokerWith({ authenticator: throwing });
  await expect(client(broker2.url)).rejects.toThrow(/Server unavailable|Not authorized|Bad/);
  expect(broker2.stats.hookFailures).toBe(1);
  const rejecting = new Authenticator(async () => [], { failureDelayMs: 0 });
  rejecting.authenticate = () => Promise.reject(new Error('lost the database mid-check'));
  const broker3 = await brokerWith({ authenticator: rejecting });
  await expect(client(broker3.url)).rejects.toThrow(/Server unavailable|Not authorized|Bad/);
  expect(broker3.stats.hookFailures).toBe(1);
  // And everyone else is still served.
  const ok = await client(broker.url, { username: 'fine', password: 'right' });
  expect(ok.connected).toBe(true);
}, 30_000);

describe('a broker process', () => {
  let t: TestDatabase;
  let broker: CliProcess | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  }, 60_000);
  afterAll(async () => t?.stop());
  afterEach(async () => {
    broker?.child.kill('SIGTERM');
    await broker?.exited;
    broker = undefined;
  });
  const start = async (env: Record<string, string> = {}) => {
    const port = await freePort();
    const httpPort = await freePort();
    broker = startCli(['broker'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-hostile-')), DATABASE_URL: t.url, MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(port), BROKER_HTTP_PORT: String(httpPort), LOG_LEVEL: 'info', ...env,
    });
    await broker.waitFor('MQTT broker listening');
    return { url: `mqtt://127.0.0.1:${port}`, port, httpPort, process: broker };
  };

  test(
    'an MQTT.js client sending a 4 MiB QoS 1 message gets its PUBACK, stays connected, and its next reading arrives; ' +
      'a 128 MiB one is streamed, not buffered',
    async () => {
      const { url, httpPort, process: b } = await start();
      const reader = await client(url, { clientId: 'reader' });
      await reader.subscribeAsync('home/#', { qos: 1 });
      const got: string[] = [];
      reader.on('message', (topic) => got.push(topic));
      const sender = await client(url, { clientId: 'sender' });
      let closes = 0;
      sender.on('close', () => closes++);
      await sender.publishAsync('home/warmup/x', '{"a":1}', { qos: 1 });
      await eventually('warm-up delivered', async () => (got.length === 1 ? true : undefined));
      await sender.publishAsync('home/big/x', Buffer.alloc(4 * 1024 * 1024, 0x41), { qos: 1 });
      await sender.publishAsync('home/next/x', '{"temperature":21}', { qos: 1 });
      await eventually('the next reading delivered', async () => (got.includes('home/next/x') ? true : undefined));
      expect(closes).toBe(0);
      expect(got).not.toContain('home/big/x');
      // The body is discarded as it is read; what peak RSS shows is the socket's 64 KiB read buffers
      // awaiting V8's next collection (measured: +4 MiB for 4 MiB, +35 for 32, +40 for 128, and up to +66
      // for 128 with both cores busy in a CI run, when collections come later): bounded, and not the
      // message. 128 MiB makes the difference from buffering plain: buffering it would add at least 128.
      const peakBefore = statusMiB(b.child.pid!, 'VmHWM');
      await sender.publishAsync('home/huge/x', Buffer.alloc(128 * 1024 * 1024, 0x42), { qos: 1 });
      await sender.publishAsync('home/after/x', '{"temperature":22}', { qos: 1 });
      await eventually('the reading after the huge one delivered', async () =>
        got.includes('home/after/x') ? true : undefined,
      );
      const growth = statusMiB(b.child.pid!, 'VmHWM') - peakBefore;
      console.log(`broker peak RSS grew ${growth.toFixed(1)} MiB while a 128 MiB message streamed through`);
      expect(growth).toBeLessThan(100);
      expect(closes).toBe(0);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(/pimonitor_broker_dropped_total\{reason="oversize"\} 2/);
      expect(b.output()).toMatch(/message over the size limit dropped/);
    },
    60_000,
  );

  test('/healthz and /metrics answer; the metrics count connections, messages and logins', async () => {
    const { url, httpPort } = await start();
    const c = await client(url);
    await c.publishAsync('home/m/x', '{"a":1}', { qos: 1 });
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    for (const name of [
      'pimonitor_broker_connections 1', 'pimonitor_broker_connects_total 1', 'pimonitor_broker_messages_in_total 1',
      'pimonitor_broker_failed_logins_total 0', 'pimonitor_broker_retained_messages 0',
    ]) {
      expect(text).toContain(name);
    }
  }, 60_000);

  test('Redis down at start: one clear line naming REDIS_URL, and exit 1', async () => {
    const port = await freePort(); // nothing listens there
    const b = startCli(['broker'], {
      DATABASE_URL: t.url, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(await freePort()), BROKER_HTTP_PORT: '0',
      BROKER_PERSISTENCE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    const { code } = await b.exited;
    expect(code).toBe(1);
    expect(b.output()).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ .*set REDIS_URL/);
    expect(b.output()).not.toMatch(/Unhandled error event/);
  }, 30_000);
});
