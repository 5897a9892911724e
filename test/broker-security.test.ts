import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { addAccount, listAccounts, revokeAccount } from '../broker/accounts.js';
import { Authenticator } from '../broker/authenticator.js';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createBatchStore } from '../ingest/store.js';
import { IngestWorker } from '../ingest/worker.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { createLogger } from '../shared/log.js';
import { Spool } from '../shared/spool/spool.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/net.js';

let t: TestDatabase;
let auth: Authenticator;
let broker: RunningBroker;
let ingest: IngestWorker;
const passwords: Record<string, string> = {};
const clients: MqttClient[] = [];

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  for (const [name, role] of [
    ['kitchen', 'device'], ['garage', 'device'], ['ha', 'reader'], ['ingest', 'ingest'],
  ] as const) {
    passwords[name] = await addAccount(t.db, name, role);
  }
  auth = new Authenticator(() => listAccounts(t.db), { refreshMs: 200, failureDelayMs: 50 });
  await auth.start();
  broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), authenticator: auth,
    limits: { maxPayloadBytes: 1024 },
  });
  ingest = new IngestWorker({
    url: broker.url, clientId: 'ingest-secure', username: 'ingest', password: passwords.ingest,
    batchMaxRows: 100, flushIntervalMs: 20, limits: DEFAULT_LIMITS, store: createBatchStore(t.db),
    spool: Spool.open({ dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 's'), segmentBytes: 1 << 20 }).spool,
    spoolMaxBytes: 1 << 24, syncIntervalMs: 1000,
  });
  await ingest.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await ingest.stop();
  await broker.stop();
  auth.stop();
  await t.stop();
});

/** Connects and resolves with the client, or rejects with the broker's refusal. */
const login = (username?: string, password?: string) =>
  mqtt.connectAsync(broker.url, { username, password, reconnectPeriod: 0 }).then((c) => (clients.push(c), c));
const closed = (c: MqttClient) =>
  new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));
/** The QoS the broker granted, or 128 when it refused the subscription (MQTT.js rejects then). */
const granted = (c: MqttClient, filter: string) =>
  c.subscribeAsync(filter, { qos: 1 }).then(
    (g) => g[0]!.qos, (err: Error) => (/Subscribe error/.test(err.message) ? 128 : Promise.reject(err)),
  );
const rows = (device: string) =>
  t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE device = $1', [device]).then((r) => r.n);

test('a wrong password is refused, and the failure is counted; the right one is accepted', async () => {
  const before = broker.stats.failedLogins;
  await expect(login('kitchen', 'guess')).rejects.toThrow(/Bad username or password/);
  await expect(login('nobody', 'guess')).rejects.toThrow(/Bad username or password/);
  expect(broker.stats.failedLogins - before).toBe(2);
  expect((await login('kitchen', passwords.kitchen)).connected).toBe(true);
});

test('once an account exists, anonymous clients are refused even on loopback', async () => {
  await expect(login()).rejects.toThrow(/Not authorized/);
});

test(
  "device A cannot write device B's readings: not delivered, not stored, and the client is disconnected",
  async () => {
    const watcher = await login('ha', passwords.ha);
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('home/#', { qos: 1 });
    const kitchen = await login('kitchen', passwords.kitchen);
    const bye = closed(kitchen);
    kitchen.publish('home/garage/dht22', '{"temperature": 99}', { qos: 1 });
    await bye;
    const honest = await login('kitchen', passwords.kitchen);
    await honest.publishAsync('home/kitchen/dht22', '{"temperature": 21}', { qos: 1 });
    await eventually('the honest reading', async () => ((await rows('kitchen')) === 1 ? true : undefined));
    expect(seen).toEqual(['home/kitchen/dht22']);
    expect(await rows('garage')).toBe(0);
    expect(broker.stats.deniedPublishes).toBeGreaterThanOrEqual(1);
  },
);

test(
  'a device may subscribe only to homeassistant/status; a reader may read home/# but not publish readings',
  async () => {
    const kitchen = await login('kitchen', passwords.kitchen);
    expect(await granted(kitchen, 'home/#')).toBe(128);
    expect(await granted(kitchen, 'homeassistant/status')).toBe(1);
    expect(kitchen.connected).toBe(true);
    const ha = await login('ha', passwords.ha);
    expect(await granted(ha, 'home/+/dht22')).toBe(1);
    expect(await granted(ha, '$SYS/#')).toBe(1);
    expect(await granted(kitchen, '$SYS/#')).toBe(128);
    const bye = closed(ha);
    ha.publish('home/ha/fake', '{"temperature": 1}', { qos: 1 });
    await bye;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await rows('ha')).toBe(0);
  },
);

test(
  'an oversize payload is acknowledged and dropped, as Mosquitto does; its sender stays connected and its next ' +
    'reading is stored',
  async () => {
    const kitchen = await login('kitchen', passwords.kitchen);
    const before = broker.stats;
    let closes = 0;
    kitchen.on('close', () => closes++);
    await kitchen.publishAsync('home/kitchen/big', JSON.stringify({ temperature: 1, pad: 'x'.repeat(2000) }), {
      qos: 1,
    });
    await kitchen.publishAsync('home/kitchen/small', JSON.stringify({ temperature: 2 }), { qos: 1 });
    await eventually('the next reading', async () =>
      (await t.db.oneOrNone("SELECT 1 FROM readings WHERE sensor = 'small'")) ? true : undefined,
    );
    expect(closes).toBe(0);
    expect(broker.stats.dropped.oversize - before.dropped.oversize).toBe(1);
    expect(broker.stats.disconnectedForLimits).toBe(before.disconnectedForLimits);
    expect(await t.db.one("SELECT count(*)::int AS n FROM readings WHERE sensor = 'big'")).toEqual({ n: 0 });
  },
);

test('a revoked account is logged out within the refresh interval and cannot log in again', async () => {
  const garage = await login('garage', passwords.garage);
  const bye = closed(garage);
  await revokeAccount(t.db, 'garage');
  await bye;
  await expect(login('garage', passwords.garage)).rejects.toThrow(/Bad username or password/);
});

test('without accounts, anonymous clients are accepted from loopback only', async () => {
  const open = new Authenticator(async () => [], { failureDelayMs: 0 });
  await open.start();
  expect(await open.authenticate(undefined, undefined, '127.0.0.1')).toMatchObject({ ok: true });
  expect(await open.authenticate(undefined, undefined, '::1')).toMatchObject({ ok: true });
  expect(await open.authenticate(undefined, undefined, '::ffff:127.0.0.1')).toMatchObject({ ok: true });
  expect(await open.authenticate(undefined, undefined, '192.168.1.20')).toEqual({
    ok: false, returnCode: 5, reason: 'anonymous clients are accepted only on loopback until an account exists',
  });
  open.stop();
});
