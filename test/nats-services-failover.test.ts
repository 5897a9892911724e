import mqtt, { type MqttClient } from 'mqtt';
import { startCli, type CliProcess } from './helpers/cli.js';
import { useAlertsRig } from './helpers/alerts-rig.js';
import { eventually } from './helpers/net.js';
import { natsServerInstalled, startNatsCluster, type NatsCluster } from './support/nats.js';
import { freePortOnLoopback } from './support/ports.js';
import { testWhen } from './support/services.js';

/**
 * Issue 29, item 4: the alerts worker and the dashboard's live feed, given two nodes of a NATS cluster
 * (MQTT_URL=<n2>,<n3>), go on when the node they are on dies: a reading published on node 1 once,
 * right after node 2 is killed with -9, still fires its alert (once), and an open /api/events stream
 * carries readings again.
 */
const natsTest = testWhen(
  natsServerInstalled() ? null : 'nats-server is not installed; install it with `apt-get install nats-server`',
  'the NATS failover test of alerts and the web server',
);

interface Hook { alerts: Array<{ labels: Record<string, string> }> }
let cluster: NatsCluster | undefined;
const started: CliProcess[] = [];
const clients: MqttClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const p of started) p.child.kill('SIGTERM');
  await Promise.all(started.map((p) => p.exited));
  await cluster?.stop();
});
const rig = useAlertsRig<Hook>();

const start = (args: string[], env: Record<string, string>) => {
  const p = startCli(args, env);
  started.push(p);
  return p;
};

/** Reads a server-sent event stream into `text` until aborted. */
async function follow(url: string, abort: AbortController): Promise<{ text: () => string }> {
  const res = await fetch(url, { signal: abort.signal });
  expect(res.status).toBe(200);
  let text = '';
  void (async () => {
    const reader = res.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += Buffer.from(r.value).toString();
  })().catch(() => {});
  return { text: () => text };
}

natsTest(
  'alerts and the live feed fail over to the next node when theirs is killed, and alerts misses nothing published ' +
    'meanwhile',
  async () => {
    cluster = await startNatsCluster({ nodes: 3 });
    const [n1, n2, n3] = cluster.nodes as [
      NonNullable<NatsCluster['nodes'][0]>,
      NonNullable<NatsCluster['nodes'][0]>,
      NonNullable<NatsCluster['nodes'][0]>,
    ];
    const brokers = `${n2.mqttUrl},${n3.mqttUrl}`;
    const rules = [{ name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30, for: '0s' }];
    const routes = [{ name: 'hook', type: 'webhook', url: rig.hookUrl('/hook'), groupWait: 0 }];
    const alerts = start(['alerts'], {
      DATABASE_URL: rig.t.url, MQTT_URL: brokers, ALERTS_CLIENT_ID: 'alerts-nats', ALERTS_TICK_INTERVAL_MS: '200',
      ALERTS_HTTP_PORT: '0',
      ALERT_RULES: JSON.stringify(rules), ALERT_ROUTES: JSON.stringify(routes),
    });
    const webPort = await freePortOnLoopback();
    const web = start(['web'], {
      DATABASE_URL: rig.t.url, MQTT_URL: brokers, WEB_HOST: '127.0.0.1', WEB_PORT: String(webPort),
      WEB_CLIENT_ID: 'web-nats',
    });
    await Promise.all([alerts.waitFor('alerts worker running', 30_000), web.waitFor('web server listening', 30_000)]);
    const abort = new AbortController();
    try {
      const events = await follow(`http://127.0.0.1:${webPort}/api/events`, abort);
      // As a node does: it reconnects, and what was not acknowledged is sent again. NATS 2.9 closes a
      // publisher's connection without a PUBACK when the node it killed led the MQTT message stream.
      const node = await mqtt.connectAsync(n1.mqttUrl, { clientId: 'pimonitor-node-nats', reconnectPeriod: 500 });
      clients.push(node);
      const hot = (device: string) =>
        node.publishAsync(`home/${device}/dht22`, JSON.stringify({ temperature: 31, ts: new Date().toISOString() }), {
          qos: 1,
        });
      const notified = (device: string) => rig.hooks.some((h) => h.alerts.some((a) => a.labels.device === device));

      // Before: both read node 2's subscriptions; a reading published again until both have it (a new
      // subscription reaches the other nodes of the cluster a moment later).
      await eventually('alert and live event before the failover', async () => {
        if (notified('before') && events.text().includes('"device":"before"')) return true;
        await hot('before');
        return undefined;
      }, 30_000);

      await n2.kill9();
      // Published once, while alerts is between nodes: its persistent session (QoS 1, kept in JetStream)
      // holds it for the worker, which is notified of it on node 3, once.
      await hot('during');
      await Promise.all([
        alerts.waitFor('failed over to another broker of MQTT_URL', 60_000),
        web.waitFor('failed over to another broker of MQTT_URL', 60_000),
      ]);
      await eventually(
        'the alert of the reading published during the failover', async () => notified('during') || undefined, 60_000,
      );
      // The live feed is a clean session (what happened while it was away is in the database): live again.
      await eventually('a live event after the failover', async () => {
        if (events.text().includes('"device":"after"')) return true;
        await hot('after');
        return undefined;
      }, 60_000);
      expect(rig.hooks.filter((h) => h.alerts.some((a) => a.labels.device === 'during'))).toHaveLength(1);
      expect(alerts.output()).toContain(`"to":"${n3.mqttUrl}"`);
      expect(web.output()).toContain(`"to":"${n3.mqttUrl}"`);
    } finally {
      abort.abort();
    }
  },
  180_000,
);
