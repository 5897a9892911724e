import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { CliProcess } from './helpers/cli.js';
import { startCli } from './helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/net.js';
import { dropRedisKeys, needsRedis } from './support/services.js';

const redisTest = await needsRedis('the Redis cluster tests');

let t: TestDatabase;
const brokers: CliProcess[] = [];
const clients: MqttClient[] = [];
// Each test run gets its own Redis namespace on the machine's Redis.
const prefix = `pimonitor-test-${randomBytes(4).toString('hex')}:`;

beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const b of brokers) b.child.kill('SIGTERM');
  await Promise.all(brokers.map((b) => b.exited));
  await t?.stop();
  if (redisTest === test.skip) return;
  await dropRedisKeys(prefix);
}, 30_000);

async function clusteredBroker(port: number): Promise<CliProcess> {
  const broker = startCli(['broker', '--cluster'], {
    DATABASE_URL: t.url,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(port),
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
  });
  brokers.push(broker);
  await broker.waitFor('MQTT broker listening');
  return broker;
}
const client = async (port: number, options: mqtt.IClientOptions = {}) => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200, ...options });
  clients.push(c);
  return c;
};
const nextMessage = (c: MqttClient) =>
  new Promise<{ topic: string; payload: string; retain: boolean }>((resolve) =>
    c.once('message', (topic, payload, packet) =>
      resolve({ topic, payload: payload.toString(), retain: packet.retain }),
    ),
  );

redisTest('two broker processes on Redis are one broker: what B receives, a subscriber on A gets', async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  await clusteredBroker(portA);
  await clusteredBroker(portB);
  const onA = await client(portA);
  await onA.subscribeAsync('home/+/dht22', { qos: 1 });
  const got = nextMessage(onA);
  const onB = await client(portB);
  await onB.publishAsync('home/kitchen/dht22', '{"temperature":21}', { qos: 1 });
  expect(await got).toEqual({ topic: 'home/kitchen/dht22', payload: '{"temperature":21}', retain: false });
}, 30_000);

redisTest('a Redis-backed broker restarted keeps a retained message and a queued QoS 1 message', async () => {
  const port = await freePort();
  const broker = await clusteredBroker(port);
  // A persistent subscriber that goes away, and a message queued for it while it is away.
  const sleeper = await client(port, { clientId: `sleeper-${prefix}`, clean: false });
  await sleeper.subscribeAsync('home/attic/#', { qos: 1 });
  await sleeper.endAsync();
  const publisher = await client(port);
  await publisher.publishAsync('home/attic/status', 'online', { qos: 1, retain: true });
  await publisher.publishAsync('home/attic/dht22', '{"temperature":30}', { qos: 1 });
  await publisher.endAsync(true);

  broker.child.kill('SIGTERM');
  const exit = await broker.exited;
  // On failure, what the broker said on its way out (an unhandled rejection at shutdown was one cause).
  expect({ code: exit.code, output: exit.code === 0 ? '' : broker.output() }).toEqual({ code: 0, output: '' });
  await clusteredBroker(port);

  const woken = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: `sleeper-${prefix}`, clean: false, reconnectPeriod: 200,
  });
  clients.push(woken);
  const received: string[] = [];
  await new Promise<void>((resolve) => woken.on('message', (topic, payload) => {
    received.push(`${topic} ${payload.toString()}`);
    if (received.some((r) => r.startsWith('home/attic/dht22'))) resolve();
  }));
  expect(received).toContain('home/attic/dht22 {"temperature":30}');
  const newcomer = await client(port);
  const retained = nextMessage(newcomer);
  await newcomer.subscribeAsync('home/attic/status', { qos: 1 });
  expect(await retained).toEqual({ topic: 'home/attic/status', payload: 'online', retain: true });
}, 30_000);
