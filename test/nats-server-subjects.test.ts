import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt, { type MqttClient } from 'mqtt';
import { natsUsersConf } from '../broker/nats-config.js';
import type { Role } from '../broker/policy.js';
import { natsServerInstalled, startNatsCluster, type NatsCluster } from './support/nats.js';
import { needsNats } from './support/services.js';

/**
 * Issue 29, item 3, on a real nats-server 2.9: what the server publishes for itself in its MQTT users'
 * account ($MQTT.sess.<hash>: each client's session record, with its client id and subscriptions) does
 * not reach an account whose source filter starts with + (a custom source's +/+/+): no one may publish a
 * topic starting with $ on the embedded broker, so no account reads one there. It did before 792ed94.
 */
const live = await needsNats('the NATS server-subjects test');
const PASSWORD = 'not-a-secret-here';
let cluster: NatsCluster | undefined;
let dir: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  if (!natsServerInstalled()) return;
  dir = mkdtempSync(join(tmpdir(), 'pimonitor-nats-subjects-'));
  const hash = bcrypt.hashSync(PASSWORD, 4);
  const accounts = (
    [
      ['alerts', 'alerts'], ['kitchen', 'device'], ['ha', 'reader'],
    ] as Array<[string, Role]>
  ).map(([name, role]) => ({ name, role, natsPasswordHash: hash, managedBy: null }));
  writeFileSync(join(dir, 'users.conf'), natsUsersConf(accounts, ['+/+/+'], new Date()).text);
  cluster = await startNatsCluster({
    nodes: 1, include: join(dir, 'users.conf'), probeLogin: { username: 'alerts', password: PASSWORD },
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function login(username: string, clientId: string): Promise<MqttClient & { got: string[] }> {
  return new Promise((resolve, reject) => {
    const c = Object.assign(
      mqtt.connect(cluster!.nodes[0]!.mqttUrl, { username, password: PASSWORD, clientId, reconnectPeriod: 0 }),
      { got: [] as string[] },
    );
    clients.push(c);
    c.on('message', (topic, payload) => c.got.push(`${topic} ${payload.toString()}`));
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

live("a reader given +/+/+ reads the readings on it, QoS 1 included, and no client's session record", async () => {
  const ha = await login('ha', 'ha-1');
  expect((await ha.subscribeAsync('+/+/+', { qos: 1 })).map((g) => g.qos)).toEqual([1]);
  expect(
    await ha.subscribeAsync('$MQTT/sess/+', { qos: 0 }).then(
      (g) => g.map((x) => x.qos), (e: { packet?: { granted?: number[] } }) => e.packet?.granted,
    ),
  ).toEqual([128]);
  // Each connect writes a session record on $MQTT.sess.<hash>, which +/+/+ matches as written.
  const alerts = await login('alerts', 'alerts-1');
  await alerts.subscribeAsync('home/#', { qos: 1 });
  const kitchen = await login('kitchen', 'kitchen-1');
  await kitchen.publishAsync('home/kitchen/t', '21.5', { qos: 1 });
  const deadline = Date.now() + 10_000;
  while (!ha.got.includes('home/kitchen/t 21.5') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  expect(ha.got).toEqual(['home/kitchen/t 21.5']);
}, 60_000);
