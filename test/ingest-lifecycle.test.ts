import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../broker/accounts.js';
import { Authenticator } from '../broker/authenticator.js';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createBatchStore } from '../ingest/store.js';
import { IngestWorker } from '../ingest/worker.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { createLogger } from '../shared/log.js';
import { hashPassword } from '../shared/password.js';
import { Spool } from '../shared/spool/spool.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/net.js';

let t: TestDatabase;
let auth: Authenticator;
let broker: RunningBroker;
const accounts: Account[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  t = await createMigratedTestDatabase();
  accounts.push({ name: 'ingest', role: 'ingest', passwordHash: await hashPassword('secret'), managedBy: null });
  auth = new Authenticator(async () => accounts.map((a) => ({ ...a })), { refreshMs: 100, failureDelayMs: 0 });
  await auth.start();
  broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), authenticator: auth,
  });
}, 60_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await broker?.stop();
  auth?.stop();
  await t?.stop();
});

const spoolDir = () => join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 's');
const worker = (dir: string, clientId: string) =>
  new IngestWorker({
    url: broker.url, clientId, username: 'ingest', password: 'secret', batchMaxRows: 100, flushIntervalMs: 20,
    limits: DEFAULT_LIMITS,
    store: createBatchStore(t.db), spool: Spool.open({ dir, segmentBytes: 1 << 20 }).spool, spoolMaxBytes: 1 << 24,
    syncIntervalMs: 50,
  });

test(
  'a subscription refused after a reconnect is reported, counted and shown as not subscribed; granted again, it ' +
    'recovers',
  async () => {
    const w = worker(spoolDir(), 'ingest-refused');
    cleanups.push(() => w.stop({ timeoutMs: 1000 }));
    const refusals: string[] = [];
    w.on('subscribeRefused', ({ reason }) => refusals.push(reason));
    await w.start();
    expect(w.subscribed).toBe(true);
    // The account loses its right to read home/#, and its connection drops.
    accounts[0]!.role = 'device';
    await new Promise((resolve) => setTimeout(resolve, 300));
    (broker.aedes as unknown as { clients: Record<string, { close(): void }> }).clients['ingest-refused']!.close();
    await eventually('the refusal', async () => (refusals.length > 0 ? true : undefined));
    expect(w.brokerConnected).toBe(true);
    expect(w.subscribed).toBe(false);
    expect(w.stats.subscribeRefused).toBeGreaterThanOrEqual(1);
    expect(refusals[0]).toMatch(/refused the subscription to home\/\+\/\+/);
    // Given back: the retry subscribes again without a restart.
    accounts[0]!.role = 'ingest';
    await new Promise((resolve) => setTimeout(resolve, 300));
    (broker.aedes as unknown as { clients: Record<string, { close(): void }> }).clients['ingest-refused']!.close();
    await eventually('subscribed again', async () => (w.subscribed ? true : undefined), 20_000);
  },
  60_000,
);

test(
  'a start() that fails releases what it opened: the spool lock, the sync timer and the broker connection',
  async () => {
    accounts[0]!.role = 'device';
    await new Promise((resolve) => setTimeout(resolve, 300));
    const dir = spoolDir();
    const w = worker(dir, 'ingest-failed-start');
    try {
      await expect(w.start()).rejects.toThrow(/refused the subscription/);
    } finally {
      accounts[0]!.role = 'ingest';
    }
    // The lock is free (the same process may open the spool again) and no client keeps reconnecting.
    Spool.open({ dir, segmentBytes: 1 << 20 }).spool.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(
      (broker.aedes as unknown as { clients: Record<string, unknown> }).clients['ingest-failed-start'],
    ).toBeUndefined();
    await w.stop(); // a second stop is harmless
  },
  30_000,
);
