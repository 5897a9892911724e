// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, rmSync } from 'node:fs';
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
import { WallClock, type WallClockOptions } from '../sensor-node/wall-clock.js';
import { fakeContext } from './helpers/fake-hardware.js';
import { freePort, eventually } from './helpers/net.js';

/**
 * Review of 5c70665 (issue 25, item 6): how readings held for the clock are dated when they leave.
 * - the same held reading sent twice (a reconnect, or a crash before the cursor was saved) must carry
 *   the same ts, or ingest's key (device, sensor, ts) stores it twice;
 * - one held in an earlier boot whose clock did synchronise before the power cut can be dated;
 * - without a boot id (no /proc) an earlier boot's held reading must not be dated with this boot's clock;
 * - a backlog of undatable held readings must not hold up the readings behind it for minutes.
 */

const DEVICE = 'rtc-less';
const TOPIC = readingTopic(DEVICE, 'dht22');
const spec = (intervalMs: number): SensorSpec => ({
  type: 'simulated', name: 'dht22', intervalMs, calibration: {}, maxChangePerMinute: {}, options: {},
});
const clockDir = '/run/systemd/timesync';
const clockOf = (state: { synced: boolean }, more: Partial<WallClockOptions> = {}) =>
  new WallClock({
    syncFile: `${clockDir}/synchronized`, exists: (p) => p === clockDir || (state.synced && p.endsWith('synchronized')),
    ...more,
  });
const openOutbox = (dir: string) => Outbox.open({ dir, maxBytes: 64 << 20, segmentBytes: 1 << 20 });
const systemMs = () => Number(process.hrtime.bigint()) / 1e6;

let broker: RunningBroker;
let watcher: MqttClient;
/** Every reading the broker delivered, in arrival order: its ts as sent. */
let arrived: string[];
beforeEach(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  watcher = await mqtt.connectAsync(broker.url);
  arrived = [];
  watcher.on('message', (_t, payload) => arrived.push((JSON.parse(payload.toString()) as { ts: string }).ts));
  await watcher.subscribeAsync(TOPIC, { qos: 1 });
});
afterEach(async () => {
  await watcher?.endAsync();
  await broker?.stop();
});

const nodeOn = (
  outbox: Outbox, wallClock: WallClock, more: { url?: string; intervalMs?: number; bootId?: string | null } = {},
) => {
  const s = spec(more.intervalMs ?? 100);
  return new SensorNode({
    url: more.url ?? broker.url, device: DEVICE,
    sensors: [{ spec: s, driver: DRIVERS.simulated!.create(s, fakeContext()) }], outbox, wallClock,
    diagIntervalMs: 60_000,
    ...('bootId' in more ? { bootId: more.bootId } : {}),
  });
};

test(
  'a held reading sent again (a crash before the cursor was saved) carries the same ts as the first time',
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const outbox = openOutbox(dir);
    // 300 readings held over the last 30 s of this boot, at the fractional instants a real clock gives.
    const now = systemMs();
    for (let i = 0; i < 300; i++) {
      const held = encodeHeld(TOPIC, {
        sensor: 'dht22', boot: bootId(), bootMs: now - 30_000 + i * 100.37, readings: { temperature: 20 + i / 100 },
      });
      outbox.add(held.topic, held.payload);
    }
    outbox.close();
    const sendAll = async () => {
      arrived = [];
      const node = nodeOn(openOutbox(dir), clockOf({ synced: true }), { intervalMs: 600_000 });
      await node.start();
      try {
        await eventually('the held readings', async () => (arrived.length >= 300 ? true : undefined), 15_000);
      } finally {
        await node.stop();
      }
      return arrived.slice(0, 300);
    };
    const first = await sendAll();
    // A crash between the broker's acknowledgements and the cursor's save: everything goes again.
    rmSync(join(dir, 'cursor'));
    await new Promise((resolve) => setTimeout(resolve, 37));
    const again = await sendAll();
    expect(again.filter((ts, i) => ts !== first[i])).toEqual([]);
  },
  40_000,
);

test(
  'readings held in an earlier boot whose clock synchronised before the power cut are sent with their times, not ' +
    'dropped',
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const state = { synced: false };
    // Boot A: no broker (a closed port), the clock synchronises after a second; then the power goes.
    const deadPort = await freePort();
    const started = Date.now();
    const a = nodeOn(openOutbox(dir), clockOf(state), { url: `mqtt://127.0.0.1:${deadPort}`, bootId: 'boot-a' });
    await a.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const syncedAt = Date.now();
    state.synced = true;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await a.stop();
    // Boot B: the broker is there.
    const b = nodeOn(openOutbox(dir), clockOf({ synced: true }), { intervalMs: 600_000, bootId: 'boot-b' });
    const dropped: string[] = [];
    b.on('dropped', ({ what }) => dropped.push(what));
    await b.start();
    try {
      await eventually('boot A\'s readings', async () => (arrived.length >= 20 ? true : undefined), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await b.stop();
    }
    expect(dropped).toEqual([]);
    const times = arrived.map(Date.parse);
    expect(times.filter((t) => t < syncedAt).length).toBeGreaterThanOrEqual(8);
    expect(times[0]).toBeGreaterThanOrEqual(started - 50);
    expect(times).toEqual([...new Set(times)].sort((x, y) => x - y));
  },
  30_000,
);

test(
  "without a boot id (no /proc), a reading held before a reboot is not dated with the new boot's clock",
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const first = nodeOn(openOutbox(dir), clockOf({ synced: false }), { bootId: null });
    await first.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    await first.stop();
    // The next boot has been up a day less than this one: its monotonic clock reads a day less.
    const later = clockOf({ synced: true }, { systemMonotonicNow: () => systemMs() - 86_400_000 });
    const second = nodeOn(openOutbox(dir), later, { bootId: null });
    const dropped: Array<{ what: string; count: number }> = [];
    second.on('dropped', (d) => dropped.push(d));
    const since = Date.now();
    await second.start();
    try {
      await eventually(
        'a reading of the new boot', async () => (arrived.some((ts) => Date.parse(ts) >= since) ? true : undefined),
        10_000,
      );
    } finally {
      await second.stop();
    }
    const future = arrived.filter((ts) => Date.parse(ts) > Date.now());
    expect(future).toEqual([]);
    // A reading taken as the new boot starts may read 1 ms before `since`: the node dates from the
    // monotonic clock's fractions of a millisecond, Date.now() gives whole ones (seen in CI: 24.640 against
    // 24.641). What this test refuses is the earlier boot's readings, from 800 ms before on.
    expect(arrived.filter((ts) => Date.parse(ts) < since - 2)).toEqual([]);
    expect(dropped.reduce((n, d) => n + d.count, 0)).toBeGreaterThanOrEqual(5);
  },
  30_000,
);

test(
  '20,000 readings held in an earlier boot that never synchronised are dropped at once, not 64 a second ahead of ' +
    'what follows',
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-held-')), 'outbox');
    const outbox = openOutbox(dir);
    for (let i = 0; i < 20_000; i++) {
      const old = encodeHeld(TOPIC, {
        sensor: 'dht22', boot: 'an-earlier-boot', bootMs: 1000 + i * 100, readings: { temperature: 20 },
      });
      outbox.add(old.topic, old.payload);
    }
    const dated = '2026-01-01T00:00:00.000Z';
    outbox.add(TOPIC, encodeReading({ temperature: 2 }, new Date(dated)));
    const node = nodeOn(outbox, clockOf({ synced: true }), { intervalMs: 600_000 });
    const dropped: Array<{ what: string; count: number }> = [];
    node.on('dropped', (d) => dropped.push(d));
    await node.start();
    try {
      await eventually(
        'the dated reading behind them', async () => (arrived.includes(dated) ? true : undefined), 5_000,
      );
    } finally {
      await node.stop();
    }
    expect(dropped.reduce((n, d) => n + d.count, 0)).toBe(20_000);
    expect(dropped.length).toBeLessThanOrEqual(10);
  },
  30_000,
);
