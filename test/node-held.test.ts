// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { encodeReading, readingTopic } from '../shared/contract.js';
import { createLogger } from '../shared/log.js';
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import type { SensorSpec } from '../sensor-node/drivers/types.js';
import { encodeHeld } from '../sensor-node/held.js';
import { bootId } from '../shared/pid-lock.js';
import { SensorNode } from '../sensor-node/node.js';
import { Outbox } from '../sensor-node/outbox.js';
import { WallClock } from '../sensor-node/wall-clock.js';
import { fakeContext } from './helpers/fake-hardware.js';
import { startCli } from './helpers/cli.js';
import { eventually } from './helpers/net.js';

/**
 * Issue 25, item 6: readings held for the clock go to the outbox, so a restart of the node (SIGTERM,
 * kill -9, a crash) does not lose them, and they leave in order, ahead of anything taken later. One
 * held in an earlier boot cannot be dated (a Pi has no real-time clock): dropped and counted.
 */

const DEVICE = 'rtc-less';
const TOPIC = readingTopic(DEVICE, 'dht22');
const spec: SensorSpec = {
  type: 'simulated', name: 'dht22', intervalMs: 100, calibration: {}, maxChangePerMinute: {}, options: {},
};
const clockDir = '/run/systemd/timesync';
/** A clock that is synchronised once `state.synced` says so, as systemd-timesyncd would say it. */
const clockOf = (state: { synced: boolean }) =>
  new WallClock({
    syncFile: `${clockDir}/synchronized`, exists: (p) => p === clockDir || (state.synced && p.endsWith('synchronized')),
  });
const openOutbox = (dir: string) => Outbox.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });

let broker: RunningBroker;
let watcher: MqttClient;
/** Every reading the broker delivered, in arrival order: its ts in ms. */
let arrived: number[];
beforeEach(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  watcher = await mqtt.connectAsync(broker.url);
  arrived = [];
  watcher.on('message', (_t, payload) =>
    arrived.push(Date.parse((JSON.parse(payload.toString()) as { ts: string }).ts)),
  );
  await watcher.subscribeAsync(TOPIC, { qos: 1 });
});
afterEach(async () => {
  await watcher?.endAsync();
  await broker?.stop();
});

const nodeOn = (outbox: Outbox, clock: WallClock) => new SensorNode({
  url: broker.url, device: DEVICE, sensors: [{ spec, driver: DRIVERS.simulated!.create(spec, fakeContext()) }], outbox,
  wallClock: clock, diagIntervalMs: 60_000,
});

test(
  'readings held for the clock survive a restart of the node, and leave first, in order, with the times they were ' +
    'taken',
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const started = Date.now();
    const first = nodeOn(openOutbox(dir), clockOf({ synced: false }));
    let heldTold = 0;
    first.on('held', () => heldTold++);
    await first.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await first.stop();
    const stopped = Date.now();
    expect(arrived).toEqual([]);
    expect(heldTold).toBe(1);
    // On disk, not in memory: the outbox holds them after the node has gone.
    const outbox = openOutbox(dir);
    const onDisk = outbox.read(outbox.cursor, 10_000).length;
    expect(onDisk).toBeGreaterThanOrEqual(8);

    const second = nodeOn(outbox, clockOf({ synced: true }));
    const dropped: string[] = [];
    second.on('dropped', ({ what }) => dropped.push(what));
    await second.start();
    try {
      await eventually(
        'held readings and new ones arrive',
        async () => (arrived.filter((t) => t > stopped).length >= 5 ? true : undefined), 15_000,
      );
    } finally {
      await second.stop();
    }
    const held = arrived.filter((t) => t <= stopped);
    expect(held).toHaveLength(onDisk);
    // The times they were taken: while the first node ran, about 100 ms apart.
    expect(held[0]).toBeGreaterThanOrEqual(started - 50);
    expect(held.at(-1)).toBeLessThanOrEqual(stopped);
    // In order, each once, held ones first.
    expect(arrived).toEqual([...new Set(arrived)].sort((a, b) => a - b));
    expect(dropped).toEqual([]);
  },
  30_000,
);

test('the clock synchronising while the node runs: held readings leave ahead of new ones, each once', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
  const state = { synced: false };
  const node = nodeOn(openOutbox(dir), clockOf(state));
  await node.start();
  let syncedAt = 0;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(arrived).toEqual([]);
    syncedAt = Date.now();
    state.synced = true;
    await eventually(
      'new readings after the held ones',
      async () => (arrived.filter((t) => t > syncedAt).length >= 5 ? true : undefined), 15_000,
    );
  } finally {
    await node.stop();
  }
  expect(arrived.filter((t) => t < syncedAt).length).toBeGreaterThanOrEqual(5);
  expect(arrived).toEqual([...new Set(arrived)].sort((a, b) => a - b));
}, 30_000);

test(
  'a reading held in an earlier boot (a power cut before the clock synchronised) is dropped and counted; what ' +
    'follows is sent',
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const outbox = openOutbox(dir);
    const old = encodeHeld(TOPIC, {
      sensor: 'dht22', boot: 'an-earlier-boot', bootMs: 1234, readings: { temperature: 1 },
    });
    outbox.add(old.topic, old.payload);
    const dated = Date.parse('2026-01-01T00:00:00Z');
    outbox.add(TOPIC, encodeReading({ temperature: 2 }, new Date(dated)));
    const node = nodeOn(outbox, clockOf({ synced: true }));
    const dropped: Array<{ what: string; count: number }> = [];
    node.on('dropped', (d) => dropped.push(d));
    await node.start();
    try {
      await eventually('the dated reading arrives', async () => (arrived.includes(dated) ? true : undefined), 10_000);
    } finally {
      await node.stop();
    }
    expect(arrived[0]).toBe(dated);
    expect(dropped).toEqual([{ what: expect.stringContaining('earlier boot'), count: 1 }]);
  },
  20_000,
);

test(
  'pimonitor node holding past its outbox cap (a clock that never synchronises): one line about the drops, not one ' +
    'per reading',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-held-cli-'));
    const outbox = openOutbox(join(dataDir, 'outbox', DEVICE));
    const held = encodeHeld(TOPIC, {
      sensor: 'dht22', boot: bootId(), bootMs: 1, readings: { temperature: 20.5, humidity: 50.25 },
    });
    for (let i = 0; i < 1000; i++) outbox.add(held.topic, held.payload);
    expect(outbox.pendingBytes).toBeGreaterThan(2 * 65_536);
    outbox.close();
    const config = join(dataDir, 'node.json');
    // The sync file's directory exists and the file never appears: the clock is never trusted.
    writeFileSync(
      config,
      JSON.stringify({
        mqtt: { url: broker.url },
        node: {
          device: DEVICE, intervalMs: 100, clockSyncFile: join(dataDir, 'synchronized'), simulate: true,
          outboxMaxBytes: 65_536,
        },
      }),
    );
    const node = startCli(['node', '--config', config], { DATA_DIR: dataDir });
    try {
      await node.waitFor('dropped readings');
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      node.child.kill('SIGTERM');
      expect((await node.exited).code).toBe(0);
    }
    const lines = (text: string) => node.output().split('\n').filter((l) => l.includes(text));
    expect(lines('dropped readings')).toHaveLength(1);
    expect(lines('dropped readings')[0]).toContain('over the outbox cap');
    expect(lines('holding readings')).toHaveLength(1);
    expect(arrived).toEqual([]);
  },
  30_000,
);
