import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { runCli, startCli } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually, freePort } from './helpers/net.js';

let t: TestDatabase;
let broker: RunningBroker;
const received: Array<{ url: string; headers: Record<string, unknown>; body: string }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => (received.push({ url: req.url!, headers: req.headers, body }), res.end()));
});
let hookUrl = '';

beforeAll(async () => {
  t = await createMigratedTestDatabase();
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await broker?.stop();
  await new Promise((resolve) => receiver.close(resolve));
  await t?.stop();
});

const RULES = JSON.stringify([
  { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, severity: 'critical' },
]);
const env = () => ({
  DATABASE_URL: t.url, MQTT_URL: broker.url, ALERT_RULES: RULES, ALERTS_TICK_INTERVAL_MS: '100',
  ALERT_ROUTES: JSON.stringify([
    { name: 'hook', type: 'webhook', url: `${hookUrl}/hook`, groupWait: 0 },
    { name: 'phone', type: 'ntfy', url: `${hookUrl}/ntfy`, severities: ['critical'], groupWait: 0 },
  ]),
});

test('alerts check names every problem; a good configuration says what it has', async () => {
  const bad = await runCli(['alerts', 'check'], {
    ALERT_RULES: JSON.stringify([{ name: 'hot', type: 'threshold', select: 'x', above: 'thirty', routes: ['pager'] }]),
    ALERT_ROUTES: '[{"name": "mail", "type": "email", "to": "me@example.com"}]',
  });
  expect(bad.code).toBe(1);
  expect(bad.output).toContain('pimonitor: invalid alert configuration (2 problems):');
  expect(bad.output).toContain('  - rule 1 ("hot"): select: must be device/sensor/metric');
  expect(bad.output).toContain('  - rule 1 ("hot"): above: must be a number');
  const good = await runCli(['alerts', 'check'], env());
  expect(good.output.trim()).toBe('1 rule (hot: threshold), 2 routes (hook: webhook, phone: ntfy): no problems');
}, 30_000);

test('alerts test sends a sample through each route of the rule', async () => {
  received.length = 0;
  const sent = await runCli(['alerts', 'test', '--rule', 'hot'], env());
  expect(sent.code).toBe(0);
  expect(sent.output).toContain(
    'hook (webhook): sent "TEST: test-device/dht22 temperature 31.0 °C above 30 °C for 5 min"',
  );
  expect(received.map((r) => r.url).sort()).toEqual(['/hook', '/ntfy']);
  const failing = await runCli(['alerts', 'test', '--rule', 'hot'], {
    ...env(), ALERT_ROUTES: JSON.stringify([{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/nowhere' }]),
  });
  expect(failing.code).toBe(1);
  expect(failing.output).toMatch(/hook \(webhook\): failed: .*\n.*1 of 1 route failed/);
  expect((await runCli(['alerts', 'test', '--rule', 'cold'], env())).output).toContain(
    'there is no rule called cold (rules: hot)',
  );
}, 30_000);

test(
  'pimonitor alerts runs the worker: a reading above the threshold reaches the webhook, alerts list shows it, ' +
    'SIGTERM exits 0',
  async () => {
    received.length = 0;
    const worker = startCli(['alerts'], env());
    const node = await mqtt.connectAsync(broker.url, { clientId: 'cli-node' });
    try {
      await worker.waitFor('alerts worker running');
      await node.publishAsync('home/oven/probe', JSON.stringify({ temperature: 250 }), { qos: 1 });
      await eventually('webhook and ntfy called', async () => (received.length >= 2 ? true : undefined));
      const hook = received.find((r) => r.url === '/hook')!;
      expect(JSON.parse(hook.body)).toMatchObject({
        status: 'firing',
        alerts: [{ labels: { alertname: 'hot', device: 'oven', sensor: 'probe', severity: 'critical' } }],
      });
      const list = await runCli(['alerts', 'list'], { DATABASE_URL: t.url });
      expect(list.output).toMatch(/^hot\s+oven\/probe\/temperature\s+firing/m);
      expect(list.output).toMatch(/fired\s+critical\s+2 sent, 0 waiting\s+oven\/probe temperature 250 °C above 30 °C/);
    } finally {
      await node.endAsync();
      worker.child.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    }
  },
  30_000,
);

test(
  'kill -9 while firing, a resolve meanwhile, a restart: no second firing notification, the resolve is sent; ' +
    '/metrics counts them',
  async () => {
    received.length = 0;
    const port = await freePort();
    const withMetrics = {
      ...env(), ALERTS_HTTP_PORT: String(port), ALERTS_CLIENT_ID: 'alerts-kill-test',
      ALERT_ROUTES: JSON.stringify([{ name: 'hook', type: 'webhook', url: `${hookUrl}/hook`, groupWait: 0 }]),
    };
    const node = await mqtt.connectAsync(broker.url, { clientId: 'kill-node' });
    let worker = startCli(['alerts'], withMetrics);
    try {
      await worker.waitFor('alerts worker running');
      await node.publishAsync('home/boiler/probe', JSON.stringify({ temperature: 95 }), { qos: 1 });
      await eventually('fired and sent', async () => (received.length === 1 ? true : undefined));
      // The webhook's answer reaches the worker after the test's receiver has the request: the count follows it.
      const sent = 'pimonitor_alerts_notifications_sent_total{route="hook"} 1';
      const metrics = await eventually('the delivery counted', async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return text.includes(sent) ? text : undefined;
      });
      expect(metrics).toContain(sent);
      expect(metrics).toContain('pimonitor_alerts_events_total{kind="fired",severity="critical"} 1');
      // the oven of the test before fires too
      expect(metrics).toMatch(/pimonitor_alerts_active\{phase="firing"\} [1-9]/);

      worker.child.kill('SIGKILL');
      await worker.exited;
      await node.publishAsync('home/boiler/probe', JSON.stringify({ temperature: 20 }), { qos: 1 });
      worker = startCli(['alerts'], withMetrics);
      await worker.waitFor('alerts worker running');
      await eventually('resolve sent', async () => (received.length >= 2 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(received.map((r) => JSON.parse(r.body).status)).toEqual(['firing', 'resolved']);
      expect(
        await t.db.map(
          "SELECT kind FROM alert_events WHERE device = 'boiler' ORDER BY id", [], (r: { kind: string }) => r.kind,
        ),
      ).toEqual(['fired', 'resolved']);
    } finally {
      await node.endAsync();
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  },
  40_000,
);

test(
  "a route in °F says °F: the real worker words a firing and its resolution in the route's units; SQL keeps °C; " +
    "alerts list asks for its own",
  async () => {
    received.length = 0;
    const us = {
      DATABASE_URL: t.url, MQTT_URL: broker.url, ALERTS_TICK_INTERVAL_MS: '100',
      ALERTS_CLIENT_ID: 'alerts-fahrenheit-test',
      ALERT_RULES: JSON.stringify([
        { name: 'warm', type: 'threshold', select: 'porch/+/temperature', above: 30, clear: 29, severity: 'critical' },
      ]),
      ALERT_ROUTES: JSON.stringify([
        {
          name: 'us', type: 'webhook', url: `${hookUrl}/us`, groupWait: 0, temperatureUnit: 'F',
          timeZone: 'America/New_York',
        },
        { name: 'us-phone', type: 'ntfy', url: `${hookUrl}/us-ntfy`, groupWait: 0, temperatureUnit: 'F' },
      ]),
    };
    const worker = startCli(['alerts'], us);
    const node = await mqtt.connectAsync(broker.url, { clientId: 'fahrenheit-node' });
    const hooks = () => received.filter((r) => r.url === '/us').map((r) => JSON.parse(r.body).alerts[0]);
    try {
      await worker.waitFor('alerts worker running');
      await node.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 31.2 }), { qos: 1 });
      await eventually('the firing at the webhook and ntfy', async () =>
        hooks().length >= 1 && received.some((r) => r.url === '/us-ntfy') ? true : undefined,
      );
      expect(hooks()[0]).toMatchObject({
        status: 'firing', labels: { alertname: 'warm', device: 'porch' },
        annotations: {
          summary: 'porch/dht22 temperature 88.2 °F above 86 °F for 0 s', unit: '°F', condition: 'above',
          threshold: '86',
        },
      });
      const title = String(received.find((r) => r.url === '/us-ntfy')!.headers.title);
      expect(Buffer.from(/=\?UTF-8\?B\?(.*)\?=/.exec(title)![1]!, 'base64').toString()).toBe(
        '[critical] porch/dht22 temperature 88.2 °F above 86 °F for 0 s',
      );

      await node.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 25 }), { qos: 1 });
      await eventually('the resolution at the webhook', async () => (hooks().length >= 2 ? true : undefined));
      const resolved = hooks()[1];
      expect(resolved).toMatchObject({ status: 'resolved', annotations: { unit: '°F', value: '77' } });
      expect(resolved.annotations.summary).toMatch(
        /^porch\/dht22 temperature back to 77\.0 °F \(below 84\.2 °F\) after \d+ s$/,
      );
      expect(resolved.endsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/); // Alertmanager's times stay UTC

      // Stored in the contract's units, with the facts each reader words it from.
      expect(
        await t.db.any(
          "SELECT kind, message, condition, threshold_hi, clear_hi, unit FROM alert_events WHERE device = 'porch' " +
            "ORDER BY id",
        ),
      ).toEqual([
        {
          kind: 'fired', message: 'porch/dht22 temperature 31.2 °C above 30 °C for 0 s', condition: 'above',
          threshold_hi: 30, clear_hi: 29, unit: '°C',
        },
        {
          kind: 'resolved',
          message: expect.stringMatching(/^porch\/dht22 temperature back to 25\.0 °C \(below 29 °C\) after \d+ s$/),
          condition: 'above', threshold_hi: 30, clear_hi: 29, unit: '°C',
        },
      ]);
      const list = await runCli(['alerts', 'list', '--temperature-unit', 'F', '--tz', 'UTC'], { DATABASE_URL: t.url });
      expect(list.output).toMatch(
        /resolved\s+critical\s+\d sent, \d waiting\s+porch\/dht22 temperature back to 77\.0 °F \(below 84\.2 °F\)/,
      );
    } finally {
      await node.endAsync();
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  },
  40_000,
);
