import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runCli, startCli, type CliProcess } from './helpers/cli.js';
import { useAlertsRig } from './helpers/alerts-rig.js';
import { startIngestProcess } from './helpers/ingest-process.js';
import { eventually } from './helpers/net.js';
import { freePortOnLoopback } from './support/ports.js';

/**
 * Issue 24, done when: through the real processes (`pimonitor broker`, ingest, and `pimonitor alerts`
 * from the build on the test database, a webhook receiver), alerts stay right over time: an outbox replay, a
 * resolution while the device is offline, a rule removed while firing.
 */

interface Hook {
  status: string;
  alerts: Array<{
    status: string; startsAt: string; endsAt: string; labels: Record<string, string>;
    annotations: Record<string, string>;
  }>;
}
let broker: CliProcess | undefined;
let ingest: CliProcess | undefined;
let mqttUrl: string;
const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-alerts-e2e-'));
// Declared before the rig's, so it runs first (Jest runs afterAll hooks in the order declared): ingest
// lets go of the database before the rig drops it (PostgreSQL refuses to drop one still in use).
afterAll(async () => {
  ingest?.child.kill('SIGTERM');
  await ingest?.exited;
  broker?.child.kill('SIGTERM');
  await broker?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});
const rig = useAlertsRig<Hook>();
beforeAll(async () => {
  // The broker as its own process too (`pimonitor broker`, its journal in a directory of its own); the
  // rig's in-process broker is not used here.
  const port = await freePortOnLoopback();
  broker = startCli(['broker'], {
    DATABASE_URL: rig.t.url, DATA_DIR: join(dataDir, 'broker'), MQTT_HOST: '127.0.0.1', MQTT_PORT: String(port),
  });
  await broker.waitFor('MQTT broker listening');
  mqttUrl = `mqtt://127.0.0.1:${port}`;
  ingest = await startIngestProcess({ databaseUrl: rig.t.url, mqttUrl, dataDir });
}, 60_000);

const MIN = 60_000;
const hooksFor = (device: string) => rig.hooks.filter((h) => h.alerts.some((a) => a.labels.device === device));
const quietFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startAlerts(
  rules: object[], clientId: string,
  routes: object[] = [{ name: 'hook', type: 'webhook', url: rig.hookUrl('/hook'), groupWait: 0 }],
): CliProcess {
  return startCli(['alerts'], {
    DATABASE_URL: rig.t.url, MQTT_URL: mqttUrl, ALERTS_CLIENT_ID: clientId, ALERTS_TICK_INTERVAL_MS: '200',
    ALERT_RULES: JSON.stringify(rules), ALERT_ROUTES: JSON.stringify(routes),
  });
}

async function stopped(worker: CliProcess): Promise<void> {
  worker.child.kill('SIGTERM');
  expect((await worker.exited).code).toBe(0);
}

test(
  'an outbox replay of a 9-minute episode two hours old is notified once, as that episode, dated two hours ago',
  async () => {
    const worker = startAlerts(
      [{ name: 'hot', type: 'threshold', select: 'replay/+/temperature', above: 30, for: '5m' }], 'alerts-e2e-replay',
    );
    const node = await mqtt.connectAsync(mqttUrl, { clientId: 'pimonitor-node-replay' });
    try {
      await worker.waitFor('alerts worker running');
      // The node was offline for two hours; its outbox holds a reading a minute, hot for nine of them.
      const from = Math.floor((Date.now() - 2 * 60 * MIN) / MIN) * MIN;
      const values = [25, ...Array(9).fill(31), 25, 25, 25];
      for (const [i, temperature] of values.entries()) {
        await node.publishAsync('home/replay/dht22', JSON.stringify({ temperature, ts: from + i * MIN }), { qos: 1 });
      }
      const [hook] = await eventually('the episode notified', async () =>
        hooksFor('replay').length > 0 ? hooksFor('replay') : undefined,
      );
      expect(hook).toMatchObject({
        status: 'resolved',
        alerts: [
          {
            status: 'resolved', startsAt: new Date(from + MIN).toISOString(),
            endsAt: new Date(from + 10 * MIN).toISOString(), labels: { alertname: 'hot' },
          },
        ],
      });
      await eventually('ingest stored the backlog', async () =>
        (await rig.t.db.one<{ n: number }>("SELECT count(*)::int AS n FROM readings WHERE device = 'replay'")).n ===
        values.length
          ? true
          : undefined,
      );
      // Past the time the series settles and a few ticks: nothing more (no firing, no second episode).
      await quietFor(6000);
      expect(hooksFor('replay')).toHaveLength(1);
      expect(
        await rig.t.db.map(
          "SELECT kind, past_episode FROM alert_events WHERE device = 'replay' ORDER BY id", [],
          (r) => [r.kind, r.past_episode],
        ),
      ).toEqual([
        ['fired', false], ['resolved', true],
      ]);
    } finally {
      await node.endAsync();
      await stopped(worker);
    }
  },
  40_000,
);

test('an alert notified as firing that resolves while its device is offline gets its resolution', async () => {
  const worker = startAlerts([
    { name: 'hot', type: 'threshold', select: 'shed/+/temperature', above: 30, keepFiringFor: '2s' },
    { name: 'down', type: 'offline', select: 'shed', for: '1m' },
  ], 'alerts-e2e-offline');
  const node = await mqtt.connectAsync(mqttUrl, { clientId: 'pimonitor-node-shed' });
  try {
    await worker.waitFor('alerts worker running');
    await node.publishAsync('home/shed/status', 'online', { qos: 1, retain: true });
    await node.publishAsync('home/shed/dht22', JSON.stringify({ temperature: 35 }), { qos: 1 });
    await eventually('firing notified', async () => (hooksFor('shed').length === 1 ? true : undefined));
    // It cools, and the node drops off before keepFiringFor runs out: the resolution happens while it is offline.
    await node.publishAsync('home/shed/dht22', JSON.stringify({ temperature: 20 }), { qos: 1 });
    await node.publishAsync('home/shed/status', 'offline', { qos: 1, retain: true });
    await eventually('resolution notified', async () => (hooksFor('shed').length === 2 ? true : undefined));
    expect(hooksFor('shed').map((h) => h.status)).toEqual(['firing', 'resolved']);
    await quietFor(1000);
    expect(hooksFor('shed')).toHaveLength(2);
  } finally {
    await node.endAsync();
    await stopped(worker);
  }
}, 40_000);

test(
  'a rule removed while firing is resolved once at the next start ("rule removed"), and never repeated',
  async () => {
    const hot = { name: 'cellar-damp', type: 'threshold', select: 'cellar/+/humidity', above: 80 };
    const routes = [{ name: 'hook', type: 'webhook', url: rig.hookUrl('/hook'), groupWait: 0, repeatInterval: '1s' }];
    let worker = startAlerts([hot], 'alerts-e2e-removed', routes);
    const node = await mqtt.connectAsync(mqttUrl, { clientId: 'pimonitor-node-cellar' });
    try {
      await worker.waitFor('alerts worker running');
      await node.publishAsync('home/cellar/dht22', JSON.stringify({ humidity: 91 }), { qos: 1 });
      await eventually('firing notified', async () => (hooksFor('cellar').length >= 1 ? true : undefined));
      await stopped(worker);
      const firings = hooksFor('cellar').length;
      // The owner deletes the rule (another rule stays) and restarts the worker.
      worker = startAlerts([{ name: 'other', type: 'offline', select: 'nothing-here' }], 'alerts-e2e-removed', routes);
      await worker.waitFor('alerts worker running');
      await eventually('resolved once', async () => (hooksFor('cellar').length === firings + 1 ? true : undefined));
      const resolution = hooksFor('cellar').at(-1)!;
      expect(resolution).toMatchObject({
        status: 'resolved', alerts: [{ labels: { alertname: 'cellar-damp' }, annotations: { reason: 'rule removed' } }],
      });
      // Three repeat intervals later: nothing repeated, nothing listed as active.
      await quietFor(3500);
      expect(hooksFor('cellar')).toHaveLength(firings + 1);
      const list = (await runCli(['alerts', 'list'], { DATABASE_URL: rig.t.url })).output;
      expect(list).not.toMatch(/^cellar-damp\s/m);
      // alerts list says why it resolved (the event column, and its words).
      expect(list).toMatch(/resolved \(rule removed\).*cellar\/dht22 humidity: resolved \(rule removed\)/);
      const json = JSON.parse((await runCli(['alerts', 'list', '--json'], { DATABASE_URL: rig.t.url })).output) as {
        events: Array<{ kind: string; reason: string | null; message: string }>;
      };
      expect(json.events.filter((e) => e.kind === 'resolved' && e.message.includes('cellar'))).toEqual([
        expect.objectContaining({ reason: 'rule removed' }),
      ]);
    } finally {
      await node.endAsync();
      await stopped(worker);
    }
  },
  40_000,
);

test(
  'an alert with a route in °F says °F (the firing and its resolution), and ingest stores the readings in °C',
  async () => {
    const routes = [{ name: 'us', type: 'webhook', url: rig.hookUrl('/us'), groupWait: 0, temperatureUnit: 'F' }];
    const worker = startAlerts(
      [{ name: 'porch-warm', type: 'threshold', select: 'porch/+/temperature', above: 30, clear: 29 }],
      'alerts-e2e-fahrenheit', routes,
    );
    const node = await mqtt.connectAsync(mqttUrl, { clientId: 'pimonitor-node-porch' });
    const us = () => rig.hooks.filter((h) => h.path === '/us').flatMap((h) => h.alerts);
    try {
      await worker.waitFor('alerts worker running');
      await node.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 31.2 }), { qos: 1 });
      await eventually('firing notified', async () => (us().length === 1 ? true : undefined));
      await node.publishAsync('home/porch/dht22', JSON.stringify({ temperature: 25 }), { qos: 1 });
      await eventually('resolution notified', async () => (us().length === 2 ? true : undefined));
      expect(us().map((a) => [a.status, a.annotations.summary, a.annotations.unit])).toEqual([
        ['firing', 'porch/dht22 temperature 88.2 °F above 86 °F for 0 s', '°F'],
        [
          'resolved',
          expect.stringMatching(/^porch\/dht22 temperature back to 77\.0 °F \(below 84\.2 °F\) after \d+ s$/), '°F',
        ],
      ]);
      await eventually('ingest stored both', async () =>
        (
          await rig.t.db.map(
            "SELECT value FROM readings WHERE device = 'porch' ORDER BY ts", [], (r: { value: number }) => r.value,
          )
        ).join() === '31.2,25'
          ? true
          : undefined,
      );
    } finally {
      await node.endAsync();
      await stopped(worker);
    }
  },
  40_000,
);
