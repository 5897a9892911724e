import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { closeAll, publishLoad } from './support/load.js';
import { startBroker } from '../broker/broker.js';
import { owns, parsePartition, type Partition } from '../shared/partition.js';
import { deviceKeyOf } from '../shared/sources/decode.js';
import { createBatchStore } from '../ingest/store.js';
import { IngestWorker } from '../ingest/worker.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { createLogger } from '../shared/log.js';
import { Spool } from '../shared/spool/spool.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/net.js';
import { needsMosquitto } from './support/services.js';

const mosquittoTest = await needsMosquitto('the $share test on Mosquitto');

test.each([
  ['0/1', { index: 0, count: 1 }],
  ['1/3', { index: 1, count: 3 }],
  ['3/3', '"3/3": i must be at least 0 and below n'],
  ['half', '"half" is not of the form i/n, e.g. 0/2'],
])('partition %s', (text, expected) => {
  expect(parsePartition(text)).toEqual(expected);
});

test('every device belongs to exactly one of n partitions, and the split is even-ish', () => {
  const devices = Array.from({ length: 300 }, (_, i) => `device-${i}`);
  const shares = [0, 1, 2].map((index) =>
    devices.filter((d) => owns({ index, count: 3 }, deviceKeyOf([], `home/${d}/dht22`))),
  );
  expect(shares.flat().sort()).toEqual([...devices].sort());
  for (const share of shares) expect(share.length).toBeGreaterThan(70);
});

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
});
afterAll(async () => t.stop());

const worker = (url: string, clientId: string, extra: { partition?: Partition; shareGroup?: string }) =>
  new IngestWorker({
    url, clientId, batchMaxRows: 500, flushIntervalMs: 20, limits: DEFAULT_LIMITS, store: createBatchStore(t.db),
    spool: Spool.open({ dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 's'), segmentBytes: 1 << 20 }).spool,
    spoolMaxBytes: 1 << 24, syncIntervalMs: 1000, ...extra,
  });
const stored = (prefix: string) =>
  t.db.one<{ rows: number; messages: number }>(
    "SELECT count(*)::int AS rows, count(DISTINCT (device, ts))::int AS messages FROM readings WHERE device LIKE $1 " +
      "|| '%'",
    [prefix],
  );

test('two workers with partitions 0/2 and 1/2 on Aedes store every message exactly once between them', async () => {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  const workers = [
    worker(broker.url, 'part-0', { partition: { index: 0, count: 2 } }),
    worker(broker.url, 'part-1', { partition: { index: 1, count: 2 } }),
  ];
  await Promise.all(workers.map((w) => w.start()));
  let publishers: MqttClient[] = [];
  try {
    const load = await publishLoad({
      url: broker.url, publishers: 20, total: 2000, devicePrefix: 'part', onConnected: (c) => (publishers = c),
    });
    publishers = load.clients;
    await eventually('all stored', async () => ((await stored('part')).messages === 2000 ? true : undefined));
    expect(await stored('part')).toEqual({ rows: 8000, messages: 2000 });
    for (const w of workers) {
      expect(w.stats.messages + w.stats.skipped).toBe(2000);
      expect(w.stats.messages).toBeGreaterThan(300);
    }
    expect(workers[0]!.stats.messages + workers[1]!.stats.messages).toBe(2000);
  } finally {
    await closeAll(publishers);
    await Promise.all(workers.map((w) => w.stop()));
    await broker.stop();
  }
}, 60_000);

mosquittoTest(
  "on Mosquitto (this machine's, port 1883) two workers in a $share group split the messages and store each once",
  async () => {
    const prefix = `share${randomBytes(3).toString('hex')}`;
    const group = `pimonitor-test-${prefix}`;
    const url = 'mqtt://127.0.0.1:1883';
    const workers = [
      worker(url, `${group}-a`, { shareGroup: group }), worker(url, `${group}-b`, { shareGroup: group }),
    ];
    await Promise.all(workers.map((w) => w.start()));
    let publishers: MqttClient[] = [];
    try {
      const load = await publishLoad({
        url, publishers: 10, total: 2000, devicePrefix: prefix, onConnected: (c) => (publishers = c),
      });
      publishers = load.clients;
      await eventually('all stored', async () => ((await stored(prefix)).messages === 2000 ? true : undefined), 30_000);
      expect(await stored(prefix)).toEqual({ rows: 8000, messages: 2000 });
      // QoS 1 is at least once: Mosquitto may hand a message to the group twice; the key stores it once.
      expect(workers[0]!.stats.messages + workers[1]!.stats.messages).toBeGreaterThanOrEqual(2000);
      for (const w of workers) expect(w.stats.messages).toBeGreaterThan(100);
    } finally {
      await closeAll(publishers);
      await Promise.all(workers.map((w) => w.stop()));
    }
  },
  60_000,
);
