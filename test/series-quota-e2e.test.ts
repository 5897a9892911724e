import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ingest as ingestSettings } from '../config/ingest.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createBatchStore } from '../ingest/store.js';
import { IngestWorker } from '../ingest/worker.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { Spool } from '../shared/spool/spool.js';
import { useAccountsPipeline } from './helpers/accounts-pipeline.js';
import { eventually } from './helpers/net.js';

// Issue 23, item 4: 1,500 publishes of 64 new metrics each from one device account made 96,338 series
// in 0.7 s. Through the real broker (device accounts, ACLs) and the real ingest, on PostgreSQL when
// DATABASE_URL is set, else PGlite: the device gets its quota of new series per hour and no more, its
// existing series and another device are stored as before, and a restart does not give it a new hour.

const QUOTA = ingestSettings.ingest.maxNewSeriesPerDevicePerHour.default;
const FLOOD_MESSAGES = 1500;
const FLOOD_METRICS = 64;

let worker: IngestWorker;
let registry: ReturnType<typeof createIngestMetrics>;
let sent = 0;

const startWorker = async () => {
  worker = new IngestWorker({
    url: rig.broker.url, clientId: 'ingest-quota', username: 'ingest', password: rig.passwords.ingest,
    batchMaxRows: 2000, flushIntervalMs: 20, limits: DEFAULT_LIMITS, store: createBatchStore(rig.t.db),
    spool: Spool.open({ dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 's'), segmentBytes: 4 << 20 }).spool,
    spoolMaxBytes: 64 << 20, syncIntervalMs: 1000,
    maxNewSeriesPerDevicePerHour: QUOTA,
  });
  registry = createIngestMetrics(worker); // before any message: rejections are counted as they are stored
  sent = 0; // what this worker is to receive
  await worker.start();
};

const rig = useAccountsPipeline({
  devices: [['kitchen'], ['garage']],
  startIngest: () => startWorker(),
  stopIngest: () => worker?.stop(),
});
const { login } = rig;
const publish = async (c: MqttClient, topic: string, payload: object) => {
  sent++;
  await c.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
};
const settled = (timeoutMs = 60_000) => eventually(
  `${sent} messages written`,
  async () => (worker.stats.messages >= sent && worker.backlogBytes === 0 ? true : undefined),
  timeoutMs,
);
const count = (sql: string, params: unknown[] = []) => rig.t.db.one<{ n: number }>(sql, params).then((r) => r.n);
const seriesOf = (device: string) => count('SELECT count(*)::int AS n FROM series WHERE device = $1', [device]);
const quotaRejections = () => count("SELECT count(*)::int AS n FROM rejected_messages WHERE code = 'quota'");
const values = (device: string, sensor: string) =>
  rig.t.db.map(
    'SELECT metric, value FROM readings WHERE device = $1 AND sensor = $2 ORDER BY metric, ts', [device, sensor],
    (r: { metric: string; value: number }) => `${r.metric}=${r.value}`,
  );

test(
  `a flood of ${FLOOD_MESSAGES}×${FLOOD_METRICS} new metrics from one device account creates ${QUOTA} series ` +
    'and is rejected beyond them, by name',
  async () => {
    const kitchen = await login('kitchen');
    const garage = await login('garage');
    await publish(kitchen, 'home/kitchen/dht22', { temperature: 21.5, humidity: 40 });
    await settled();
    expect(await seriesOf('kitchen')).toBe(2);

    const started = Date.now();
    await Promise.all(Array.from({ length: FLOOD_MESSAGES }, (_, m) =>
      publish(kitchen, 'home/kitchen/flood', Object.fromEntries(
        Array.from({ length: FLOOD_METRICS }, (_, i) => [`foo_${m * FLOOD_METRICS + i}`, i]),
      )),
    ));
    // During and after the flood: the device's existing series, and another device's new ones, are stored.
    await publish(kitchen, 'home/kitchen/dht22', { temperature: 22, humidity: 41 });
    await publish(garage, 'home/garage/bme280', { temperature: 8, humidity: 80, pressure: 1010 });
    await settled();
    const floodMs = Date.now() - started;

    expect(await seriesOf('kitchen')).toBe(QUOTA);
    expect(await values('kitchen', 'dht22')).toEqual([
      'humidity=40', 'humidity=41', 'temperature=21.5', 'temperature=22',
    ]);
    expect(await values('garage', 'bme280')).toEqual(['humidity=80', 'pressure=1010', 'temperature=8']);
    expect(await count("SELECT count(*)::int AS n FROM readings WHERE device = 'kitchen' AND sensor = 'flood'"))
      .toBe(QUOTA - 2);

    // The first messages fit (3 × 64 = 192 after the 2 of dht22); the 4th is stored in part (6 of 64) and
    // kept as a rejection too; every later one is refused whole.
    const full = Math.floor((QUOTA - 2) / FLOOD_METRICS);
    expect(await quotaRejections()).toBe(FLOOD_MESSAGES - full);
    const partly = await rig.t.db.one<{ reason: string; topic: string }>(
      "SELECT topic, reason FROM rejected_messages WHERE code = 'quota' ORDER BY id LIMIT 1",
    );
    expect(partly.topic).toBe('home/kitchen/flood');
    expect(partly.reason).toMatch(new RegExp(
      `^device kitchen created ${QUOTA} new series in the last hour `
      + `\\(INGEST_MAX_NEW_SERIES_PER_DEVICE_PER_HOUR=${QUOTA}\\); `
      + '"flood/foo_\\d+", .* and \\d+ more are refused until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; '
      + 'the rest of this message and the series the device already has are stored$',
    ));
    const whole = await rig.t.db.one<{ reason: string }>(
      "SELECT reason FROM rejected_messages WHERE code = 'quota' ORDER BY id DESC LIMIT 1",
    );
    expect(whole.reason).toMatch(
      /"flood\/foo_\d+", .* and 59 more are refused until .*; the series the device already has are still stored$/,
    );

    const metrics = await registry.metrics();
    expect(metrics).toContain(`pimonitor_ingest_rejected_total{code="quota"} ${FLOOD_MESSAGES - full}`);
    expect(metrics).toContain(`pimonitor_ingest_series_created_total ${QUOTA + 3}`);
    expect(metrics).toContain(`pimonitor_ingest_series_refused_total ${FLOOD_MESSAGES * FLOOD_METRICS - (QUOTA - 2)}`);
    const allSeries = await count('SELECT count(*)::int AS n FROM series');
    const flood = `${FLOOD_MESSAGES}×${FLOOD_METRICS}`;
    console.log(`flood of ${flood}: ${allSeries} series in all after ${floodMs} ms (quota ${QUOTA})`);
  },
  120_000,
);

test(
  'after a restart the device\'s hour is still full (counted from series.created_at); ' +
    'other devices still create series',
  async () => {
    await worker.stop();
    await startWorker();
    const kitchen = await login('kitchen');
    const garage = await login('garage');
    await publish(kitchen, 'home/kitchen/dht22', { temperature: 23, humidity: 42, dew_point: 9 });
    await publish(garage, 'home/garage/bme280', { temperature: 9, gas: 1200 });
    await settled();
    expect(await seriesOf('kitchen')).toBe(QUOTA);
    expect(await values('kitchen', 'dht22')).toEqual([
      'humidity=40', 'humidity=41', 'humidity=42', 'temperature=21.5', 'temperature=22', 'temperature=23',
    ]);
    const last = await rig.t.db.one<{ reason: string }>(
      "SELECT reason FROM rejected_messages WHERE code = 'quota' ORDER BY id DESC LIMIT 1",
    );
    expect(last.reason).toMatch(new RegExp(
      '^device kitchen created \\d+ new series in the last hour .*"dht22/dew_point" is refused until .*; '
      + 'the rest of this message',
    ));
    expect(await values('garage', 'bme280')).toEqual([
      'gas=1200', 'humidity=80', 'pressure=1010', 'temperature=8', 'temperature=9',
    ]);
    expect(await count("SELECT count(*)::int AS n FROM series WHERE created_at IS NULL")).toBe(0);
  },
  60_000,
);
