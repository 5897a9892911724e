import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { Notifier } from '../alerts/notifier.js';
import { parseRoutes, type Route } from '../alerts/routes.js';
import { parseRules, type Rule } from '../alerts/rules.js';
import { AlertsWorker } from '../alerts/worker.js';
import { createLogger } from '../shared/log.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/net.js';
import { parse } from './helpers/parsed.js';

const MIN = 60_000;
let t: TestDatabase;
let broker: RunningBroker;
const hooks: Array<{ status: string; alerts: Array<{ status: string; labels: Record<string, string> }> }> = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => (hooks.push(JSON.parse(body)), res.end()));
});

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  await new Promise((resolve) => server.close(resolve));
  await t?.stop();
});

test(
  'fires once after `for` on an injected clock, survives a restart without a second notification, ' +
    'and sends the resolve that came meanwhile',
  async () => {
    const rules: Rule[] = parse(parseRules([
      { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, clear: 29, for: '5m' },
      { name: 'down', type: 'offline', select: '+', severity: 'critical' },
    ]));
    const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const routes: Route[] = parse(parseRoutes([{ name: 'hook', type: 'webhook', url: hookUrl, groupWait: 0 }]));
    let now = Date.UTC(2026, 10, 20, 12);
    const clock = () => now;
    const start = () => {
      const worker = new AlertsWorker(t.db, {
        rules,
        routes,
        tickMs: 20,
        now: clock,
        connect: () => mqtt.connect(broker.url, { clientId: 'alerts-under-test', clean: false }),
      });
      const notifier = new Notifier(t.db, {
        rules,
        routes,
        transports: { timeoutMs: 5000 },
        pollMs: 20,
        maxAttempts: 5,
        now: clock,
      });
      return { worker, notifier };
    };
    const node = await mqtt.connectAsync(broker.url, { clientId: 'kitchen-node' });
    let running = start();
    try {
      await running.worker.start();
      running.notifier.start();
      // Hovering above the threshold, and in the hysteresis band: pending, then firing once.
      // The clock moves on only once the worker has taken the reading: the broker's PUBACK to the node
      // says nothing about when the worker gets it (and the worker reads the clock when it handles it).
      let handled = 0;
      running.worker.on('handled', () => handled++);
      for (const [i, value] of [31, 30.5, 29.5, 31].entries()) {
        await node.publishAsync('home/kitchen/dht22', JSON.stringify({ temperature: value }), { qos: 1 });
        await eventually(`reading ${i + 1} handled`, async () => (handled > i ? true : undefined));
        now += MIN;
      }
      await eventually('pending stored', async () =>
        (await t.db.oneOrNone("SELECT 1 FROM alert_state WHERE phase = 'pending'")) ? true : undefined,
      );
      now += 2 * MIN;
      await eventually('fired and sent', async () => (hooks.length === 1 ? true : undefined));
      expect(hooks[0]).toMatchObject({
        status: 'firing',
        alerts: [{ status: 'firing', labels: { alertname: 'hot', device: 'kitchen', metric: 'temperature' } }],
      });

      // The worker goes away (as after kill -9: nothing more is evaluated or sent), the room cools
      // meanwhile.
      await running.worker.stop({ timeoutMs: 2000 });
      await running.notifier.stop({ timeoutMs: 2000 });
      await node.publishAsync('home/kitchen/dht22', JSON.stringify({ temperature: 30.2 }), { qos: 1 });
      await node.publishAsync('home/kitchen/dht22', JSON.stringify({ temperature: 27 }), { qos: 1 });
      now += 10 * MIN;

      running = start();
      await running.worker.start();
      running.notifier.start();
      await eventually('resolved and sent', async () => (hooks.length === 2 ? true : undefined));
      expect(hooks[1]).toMatchObject({
        status: 'resolved',
        alerts: [{ status: 'resolved', labels: { alertname: 'hot' } }],
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(hooks).toHaveLength(2);
      const kinds = await t.db.map('SELECT kind FROM alert_events ORDER BY id', [], (r: { kind: string }) => r.kind);
      expect(kinds).toEqual(['fired', 'resolved']);
      const unsent = await t.db.one('SELECT count(*)::int AS n FROM alert_notifications WHERE sent_at IS NULL');
      expect(unsent).toEqual({ n: 0 });
    } finally {
      await node.endAsync();
      await running.worker.stop({ timeoutMs: 2000 });
      await running.notifier.stop({ timeoutMs: 2000 });
    }
  },
  30_000,
);

test(
  'a Zigbee2MQTT thermometer and its availability drive alerts like a pimonitor node ' +
    '(the sources decode as ingest does)',
  async () => {
    const { parseSources } = await import('../shared/sources/spec.js');
    const sources = parse(parseSources('zigbee2mqtt', 'UTC'));
    const rules: Rule[] = parse(parseRules([
      { name: 'freezer', type: 'threshold', select: 'Freezer/zigbee/temperature', above: -10 },
      { name: 'zigbee-down', type: 'offline', select: 'Freezer' },
    ]));
    const worker = new AlertsWorker(t.db, {
      rules,
      routes: [],
      sources,
      tickMs: 20,
      connect: () => mqtt.connect(broker.url, { clientId: 'alerts-sources', clean: false }),
    });
    const bridge = await mqtt.connectAsync(broker.url, { clientId: 'z2m' });
    try {
      await worker.start();
      await bridge.publishAsync('zigbee2mqtt/Freezer', '{"temperature":-4.5,"battery":88}', { qos: 1 });
      await eventually('the freezer alert fires', async () =>
        worker.active.some((a) => a.key.rule === 'freezer' && a.state.phase === 'firing') ? true : undefined,
      );
      await bridge.publishAsync('zigbee2mqtt/Freezer/availability', '{"state":"offline"}', { qos: 1 });
      await eventually('offline from availability', async () =>
        worker.active.some((a) => a.key.rule === 'zigbee-down' && a.key.device === 'Freezer') ? true : undefined,
      );
    } finally {
      await bridge.endAsync(true);
      await worker.stop({ timeoutMs: 2000 });
    }
  },
  30_000,
);

test(
  'alerts judge readings by the limits ingest stores them by (config/limits.ts): ' +
    'what ingest rejects never fires, what it stores does',
  async () => {
    const { loadConfig } = await import('../config/index.js');
    const { validationLimitsOf } = await import('../config/limits.js');
    const env = { INGEST_METRIC_RANGES: '{"co2": [0, 5000]}', INGEST_MAX_FUTURE_SKEW_MS: '3600000' };
    const limits = validationLimitsOf(loadConfig({ env }).config);
    const rules: Rule[] = parse(parseRules([
      { name: 'stuffy', type: 'threshold', select: '+/+/co2', above: 1500 },
      { name: 'warm', type: 'threshold', select: '+/+/temperature', above: 25 },
    ]));
    const worker = new AlertsWorker(t.db, {
      rules,
      routes: [],
      limits,
      tickMs: 20,
      connect: () => mqtt.connect(broker.url, { clientId: 'alerts-limits', clean: false }),
    });
    const node = await mqtt.connectAsync(broker.url, { clientId: 'office-node' });
    let handled = 0;
    worker.on('handled', () => handled++);
    try {
      await worker.start();
      // A sensor's error value, out of the configured co2 range: ingest rejects it, so no alert.
      await node.publishAsync('home/office/scd30', JSON.stringify({ co2: 65535 }), { qos: 1 });
      await eventually('the bad reading handled', async () => (handled >= 1 ? true : undefined));
      expect(worker.active.filter((a) => a.key.rule === 'stuffy')).toEqual([]);
      // A clock 20 minutes ahead, within the configured hour: ingest stores it, so it alerts.
      const ahead = JSON.stringify({ temperature: 30, ts: Date.now() + 20 * MIN });
      await node.publishAsync('home/office/dht22', ahead, { qos: 1 });
      await eventually('the warm alert fires', async () =>
        worker.active.some((a) => a.key.rule === 'warm') ? true : undefined,
      );
    } finally {
      await node.endAsync(true);
      await worker.stop({ timeoutMs: 2000 });
    }
  },
  30_000,
);
