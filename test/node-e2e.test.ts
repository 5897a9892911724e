import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import type { SensorSpec } from '../sensor-node/drivers/types.js';
import { SensorNode } from '../sensor-node/node.js';
import { Outbox } from '../sensor-node/outbox.js';
import { WallClock } from '../sensor-node/wall-clock.js';
import { startCli, type CliProcess } from './helpers/cli.js';
import { fakeContext, piSysfs, scriptedDhtBinding } from './helpers/fake-hardware.js';
import { eventually } from './helpers/net.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';
import type { Db } from '../shared/db.js';

const DEVICE = 'pi-test';
const sysfs = piSysfs;

/** Waits (20 s at most) until the node's four sensors each have a row. */
const allFourSensorsStored = (db: Db, what: string) =>
  eventually(
    what,
    async () => {
      const { n } = await db.one('SELECT count(DISTINCT sensor)::int AS n FROM readings WHERE device = $1', [DEVICE]);
      return n === 4 ? true : undefined;
    },
    20_000,
  );

/** A node.json as a user writes it, with four sensors on the fake /sys. */
function nodeConfig(mqttUrl: string, sysfsRoot: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pimonitor-node-')), 'node.json');
  writeFileSync(path, JSON.stringify({
    mqtt: { url: mqttUrl },
    node: {
      device: DEVICE,
      intervalMs: 1000,
      clockSyncFile: '',
      sysfsRoot,
      sensors: [
        { type: 'dht22-iio', name: 'dht22', intervalMs: 2000, calibration: { temperature: -0.5 } },
        { type: 'iio', name: 'bme280', iioName: 'bme280' },
        { type: 'ds18b20', name: 'tank' },
        { type: 'cpu-temperature', name: 'cpu' },
      ],
    },
  }));
  return path;
}

/** The readings a node process logged (debug): sensor and the ts it stamped. */
const logged = (node: CliProcess) =>
  new Set(node.output().split('\n').filter((l) => l.includes('"msg":"reading"')).map((l) => {
    const { sensor, ts } = JSON.parse(l) as { sensor: string; ts: string };
    return `${sensor} ${ts}`;
  }));

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
});
afterEach(async () => p.stop());

const stored = async () =>
  new Set(await p.database.db.map(
    "SELECT DISTINCT sensor, ts FROM readings WHERE device = $1",
    [DEVICE],
    (r: { sensor: string; ts: Date }) => `${r.sensor} ${r.ts.toISOString()}`,
  ));

test('a node with four sensors on real drivers: each sensor arrives as rows with its values', async () => {
  const sys = sysfs();
  const node = startCli(['node', '--config', nodeConfig(p.broker.url, sys.root)], {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-data-')),
  });
  try {
    await allFourSensorsStored(p.database.db, 'all four sensors');
    const latest = await p.database.db.map(
      'SELECT sensor, metric, value FROM latest_readings WHERE device = $1 ORDER BY sensor, metric', [DEVICE],
      (r: object) => r,
    );
    expect(latest).toEqual([
      { sensor: 'bme280', metric: 'pressure', value: 1013.25 },
      { sensor: 'bme280', metric: 'temperature', value: 22.125 },
      { sensor: 'cpu', metric: 'temperature', value: 48.312 },
      { sensor: 'dht22', metric: 'humidity', value: 45.3 },
      { sensor: 'dht22', metric: 'temperature', value: 21 },
      { sensor: 'tank', metric: 'temperature', value: 18.25 },
    ]);
    expect(await p.database.db.one('SELECT status FROM devices WHERE device = $1', [DEVICE])).toEqual({
      status: 'online',
    });
  } finally {
    node.child.kill('SIGTERM');
    expect((await node.exited).code).toBe(0);
  }
}, 40_000);

test('a failing DHT22 shows in its diag counts, and none of its bad values becomes a row', async () => {
  const good = (temperature: number) => ({ temperature, humidity: 40 });
  const dht = scriptedDhtBinding([
    good(20), good(20), new Error('timeout'), { temperature: 20.1, humidity: 123 }, new Error('checksum error'),
    good(20.2), good(20.3),
  ]);
  const spec: SensorSpec = {
    type: 'dht22-node-dht-sensor', name: 'dht22', intervalMs: 2000, calibration: {},
    maxChangePerMinute: { temperature: 10 }, options: { pin: 4 },
  };
  const ctx = fakeContext({ optional: { 'node-dht-sensor': dht.binding } });
  const node = new SensorNode({
    url: p.broker.url,
    device: 'flaky',
    sensors: [{ spec, driver: DRIVERS[spec.type]!.create(spec, ctx) }],
    outbox: Outbox.open({
      dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'outbox'), maxBytes: 1 << 20, segmentBytes: 1 << 16,
    }),
    wallClock: new WallClock({ syncFile: '' }),
    diagIntervalMs: 500,
  });
  const watcher = await mqtt.connectAsync(p.broker.url);
  let diag:
    | { attempts: number; readings: number; failures: Record<string, number>; lastError: { kind: string } | null }
    | undefined;
  watcher.on('message', (_topic, payload) => (diag = JSON.parse(payload.toString())));
  await watcher.subscribeAsync('home/flaky/dht22/diag');
  await node.start();
  try {
    await eventually(
      'diag after the scripted failures',
      async () => (diag && diag.failures.checksum === 1 && diag.readings >= 2 ? true : undefined), 30_000,
    );
    expect(diag!.failures).toEqual({ timeout: 1, checksum: 1, io: 0, range: 1, spike: 0 });
    await eventually('rows', async () =>
      (
        await p.database.db.one(
          "SELECT count(*)::int AS n FROM readings WHERE device = 'flaky' AND metric = 'temperature'",
        )
      ).n >= 2
        ? true
        : undefined,
    );
    expect(
      await p.database.db.one("SELECT max(value) AS top FROM readings WHERE device = 'flaky' AND metric = 'humidity'"),
    ).toEqual({ top: 40 });
    const temperatures = await p.database.db.map(
      "SELECT value FROM readings WHERE device = 'flaky' AND metric = 'temperature' ORDER BY ts", [],
      (r: { value: number }) => r.value,
    );
    expect(temperatures.slice(0, 2)).toEqual([20, 20.2]);
  } finally {
    await node.stop();
    await watcher.endAsync();
  }
}, 60_000);

// The outage was 30 s; CI runs 12 s (the same path: the node restarts a third of the way in, with
// its outbox full of readings the broker never saw). NODE_E2E_OUTAGE_SECONDS=30 runs the issue's own.
const OUTAGE_MS = Number(process.env.NODE_E2E_OUTAGE_SECONDS ?? 12) * 1000;

test(
  `broker away for ${OUTAGE_MS / 1000} s and the node restarted meanwhile: every reading taken arrives once, with ` +
    `its original ts`,
  async () => {
    const sys = sysfs();
    const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-data-'));
    const config = nodeConfig(p.broker.url, sys.root);
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'debug' };
    const first = startCli(['node', '--config', config], env);
    await allFourSensorsStored(p.database.db, 'rows from all four sensors');

    const startBrokerAgain = await p.stopBroker();
    const outageStarted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 3));
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const second = startCli(['node', '--config', config], env);
    try {
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - outageStarted)));
      const takenDuringOutage = logged(second);
      expect(takenDuringOutage.size).toBeGreaterThan(OUTAGE_MS / 1000);
      await startBrokerAgain();

      const mustArrive = new Set([...logged(first), ...takenDuringOutage]);
      let missing: string[] = [];
      await eventually('every reading of the outage', async () => {
        const have = await stored();
        missing = [...mustArrive].filter((r) => !have.has(r));
        return missing.length === 0 ? true : undefined;
      }, 90_000).catch((err: Error) => {
        throw new Error(
          `${err.message}; ${missing.length} of ${mustArrive.size} not stored, ` +
            `first: ${missing.slice(0, 5).join(', ')}`,
        );
      });
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    }
    // Nothing but what the nodes took, each once: no phantom times, no duplicates.
    const all = new Set([...logged(first), ...logged(second)]);
    const have = await stored();
    expect([...have].filter((r) => !all.has(r))).toEqual([]);
    const { rows, distinct } = await p.database.db.one(
      'SELECT count(*)::int AS rows, count(DISTINCT (sensor, metric, ts))::int AS distinct FROM readings WHERE ' +
        'device = $1',
      [DEVICE],
    );
    expect(rows).toBe(distinct);
  },
  90_000 + OUTAGE_MS * 2,
);

test(
  'readings taken before the clock is synchronised are held, then stored with the time they were taken',
  async () => {
    const spec: SensorSpec = {
      type: 'simulated', name: 'dht22', intervalMs: 300, calibration: {}, maxChangePerMinute: {}, options: {},
    };
    let synchronised = false;
    const clockDir = '/run/systemd/timesync';
    const wallClock = new WallClock({
      syncFile: `${clockDir}/synchronized`,
      exists: (path) => path === clockDir || (synchronised && path.endsWith('synchronized')),
    });
    const node = new SensorNode({
      url: p.broker.url, device: 'rtcless', sensors: [{ spec, driver: DRIVERS.simulated!.create(spec, fakeContext()) }],
      outbox: Outbox.open({
        dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'outbox'), maxBytes: 1 << 20, segmentBytes: 1 << 16,
      }),
      wallClock, diagIntervalMs: 60_000,
    });
    const stamped: Date[] = [];
    node.on('reading', ({ ts }) => stamped.push(ts));
    const started = Date.now();
    await node.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(stamped).toEqual([]);
      expect(await p.database.db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'rtcless'")).toEqual({
        n: 0,
      });
      const syncedAt = Date.now();
      synchronised = true;
      await eventually('held readings stored', async () =>
        (await p.database.db.one("SELECT count(DISTINCT ts)::int AS n FROM readings WHERE device = 'rtcless'")).n >= 6
          ? true
          : undefined,
      );
      const times = await p.database.db.map(
        "SELECT DISTINCT ts FROM readings WHERE device = 'rtcless' ORDER BY ts", [],
        (r: { ts: Date }) => r.ts.getTime(),
      );
      // The first readings carry the times they were taken, before the sync, about 300 ms apart.
      expect(times[0]).toBeGreaterThanOrEqual(started - 50);
      expect(times[0]).toBeLessThan(started + 600);
      expect(times.filter((t) => t < syncedAt).length).toBeGreaterThanOrEqual(5);
    } finally {
      await node.stop();
    }
  },
  30_000,
);
