// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../broker/broker.js';
import { encodeReading } from '../shared/contract.js';
import { createLogger } from '../shared/log.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { eventually } from './helpers/net.js';
import { freePortOnLoopback } from './support/ports.js';
import { spawnLogged, type LoggedProcess } from './support/processes.js';

/**
 * The README's Node-RED steps, done by a program: docs/node-red/pimonitor-flow.json imported into a
 * real Node-RED 4 (the devDependency, started as `node-red` is), its broker node pointed at a real
 * Aedes, then readings, a status and an alert published as pimonitor publishes them.
 */

let broker: Awaited<ReturnType<typeof startBroker>>;
let red: LoggedProcess;
let client: mqtt.MqttClient;
let userDir: string;
let base: string;

beforeAll(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  userDir = mkdtempSync(join(tmpdir(), 'pimonitor-node-red-'));
  const flow = JSON.parse(
    readFileSync(join(PACKAGE_ROOT, 'docs', 'node-red', 'pimonitor-flow.json'), 'utf8'),
  ) as Record<string, unknown>[];
  // Step 3 of the README: the broker's address (anonymous here: the test broker has no accounts).
  for (const n of flow)
    if (n.type === 'mqtt-broker') Object.assign(n, { broker: '127.0.0.1', port: String(new URL(broker.url).port) });
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  const port = await freePortOnLoopback();
  base = `http://127.0.0.1:${port}`;
  const redJs = join(createRequire(import.meta.url).resolve('node-red/package.json'), '..', 'red.js');
  red = spawnLogged(process.execPath, [redJs, '--userDir', userDir, '--port', String(port), 'flows.json'], {
    ...process.env, NODE_RED_ENABLE_SAFE_MODE: 'false',
  });
  await red.waitFor('Started flows', 60_000);
  await eventually(
    'the flow subscribed', async () => (red.output().includes('Connected to broker') ? true : undefined), 20_000,
  );
  client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
}, 90_000);

afterAll(async () => {
  await client?.endAsync();
  if (red) {
    red.child.kill('SIGTERM');
    await Promise.race([red.exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    red.child.kill('SIGKILL');
  }
  await broker?.stop();
  if (userDir) await rm(userDir, { recursive: true, force: true });
}, 30_000);

const get = async (path: string) => (await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) })).json();

test('imported into Node-RED, the flow serves the latest readings and alerts, and switches the fan', async () => {
  const fan: string[] = [];
  client.on('message', (topic, payload) => topic === 'cmnd/fan/POWER' && fan.push(payload.toString()));
  await client.subscribeAsync('cmnd/fan/POWER');
  const ts = new Date('2026-11-25T12:00:00Z');
  await client.publishAsync('home/attic/dht22', encodeReading({ temperature: 31, humidity: 40 }, ts), { qos: 1 });
  await client.publishAsync('home/attic/status', 'online', { qos: 1, retain: true });
  await client.publishAsync(
    'pimonitor/alerts/hot/attic/dht22/temperature',
    JSON.stringify({ rule: 'hot', device: 'attic', message: 'attic/dht22 temperature 31 °C above 30 °C for 5 min' }),
    { qos: 1, retain: true },
  );
  for (const t of [25, 26.5])
    await client.publishAsync('home/living-room/dht22', encodeReading({ temperature: t, humidity: 50 }, ts), {
      qos: 1,
    });

  const latest = await eventually('GET /pimonitor/latest', async () => {
    const body = (await get('/pimonitor/latest')) as { device: string }[];
    return body.length === 2 ? body : undefined;
  }, 15_000);
  expect(latest).toEqual([
    { device: 'attic', status: 'online', sensors: { dht22: { temperature: 31, humidity: 40, ts: ts.toISOString() } } },
    {
      device: 'living-room', status: 'unknown',
      sensors: { dht22: { temperature: 26.5, humidity: 50, ts: ts.toISOString() } },
    },
  ]);
  expect(await get('/pimonitor/alerts')).toEqual([
    { rule: 'hot', device: 'attic', message: 'attic/dht22 temperature 31 °C above 30 °C for 5 min' },
  ]);
  await eventually('the fan switched on', async () => (fan.length > 0 ? true : undefined));
  expect(fan).toEqual(['ON']);

  // The alert resolves: pimonitor clears its retained message.
  await client.publishAsync('pimonitor/alerts/hot/attic/dht22/temperature', '', { qos: 1, retain: true });
  await eventually('the alert cleared', async () =>
    ((await get('/pimonitor/alerts')) as unknown[]).length === 0 ? true : undefined,
  );
}, 60_000);
