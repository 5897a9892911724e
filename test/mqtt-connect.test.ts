// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../shared/log.js';
import {
  brokerState,
  connectMqtt,
  connectMqttOnce,
  MAX_BROKERS,
  parseBrokerList,
  type SwitchEvent,
} from '../shared/mqtt-connect.js';
import { eventually } from './helpers/net.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';
import { freePortOnLoopback } from './support/ports.js';

// Issue 29, item 1: one MQTT connection factory; MQTT_URL may list brokers, tried in turn.

test('a broker or a list of them parses; what cannot work is refused with the entry and the reason', () => {
  expect(parseBrokerList('mqtt://127.0.0.1:1883')).toEqual({ ok: true, urls: ['mqtt://127.0.0.1:1883'] });
  expect(parseBrokerList('mqtt://n1:1883, mqtts://n2:8883 ,mqtt://[::1]:1884')).toEqual({ ok: true, urls: [
    'mqtt://n1:1883', 'mqtts://n2:8883', 'mqtt://[::1]:1884',
  ] });
  expect(parseBrokerList(['mqtt://a:1', 'mqtt://b:2'])).toEqual({ ok: true, urls: ['mqtt://a:1', 'mqtt://b:2'] });
  // One WebSocket broker, or credentials in the one URL, work as before; in a list they cannot be carried.
  expect(parseBrokerList('wss://u:p@host/mqtt')).toMatchObject({ ok: true });
  const reasons = {
    scheme: 'localhost:1883',
    empty: 'mqtt://a:1,,mqtt://b:2',
    websocket: 'mqtt://a:1,ws://b:2/mqtt',
    credentials: 'mqtt://a:1,mqtt://u:secret@b:2',
    twice: 'mqtt://a:1,mqtt://a:1',
    notText: 42,
    emptyList: [],
    tooMany: Array.from({ length: MAX_BROKERS + 1 }, (_, i) => `mqtt://h${i}:1883`),
  };
  const got = Object.fromEntries(Object.entries(reasons).map(([k, v]) => [k, parseBrokerList(v)]));
  expect(got).toEqual({
    scheme: {
      ok: false,
      reason: expect.stringContaining('it ("localhost:1883") has scheme localhost; use mqtt, mqtts, ws or wss'),
    },
    empty: { ok: false, reason: expect.stringContaining('broker 2 of 3 is empty') },
    websocket: { ok: false, reason: expect.stringContaining('broker 2 of 2 ("ws://b:2/mqtt") is a WebSocket URL') },
    credentials: { ok: false, reason: expect.stringContaining('MQTT_USERNAME and MQTT_PASSWORD') },
    twice: { ok: false, reason: expect.stringContaining('mqtt://a:1 is listed twice') },
    notText: { ok: false, reason: expect.stringContaining('got number') },
    emptyList: { ok: false, reason: expect.stringContaining('the list is empty') },
    tooMany: { ok: false, reason: expect.stringContaining(`at most ${MAX_BROKERS}`) },
  });
  for (const r of Object.values(got))
    expect((r as { reason: string }).reason).toMatch(/^must be an MQTT URL such as mqtt:\/\/127\.0\.0\.1:1883/);
});

test('parseBrokerList never throws: any value is a list of URLs or one reason', () => {
  const text = fc.oneof(
    fc.string(), fc.constantFrom('mqtt://', 'mqtts://', 'ws://', ',', '[', '@', ':', '1883', '%', ' '),
  );
  const value = fc.oneof(
    fc.array(text).map((parts) => parts.join('')), fc.array(fc.oneof(text, fc.anything())), fc.anything(),
  );
  fc.assert(fc.property(value, (v) => {
    const r = parseBrokerList(v);
    if (r.ok)
      return (
        r.urls.length >= 1 && r.urls.length <= MAX_BROKERS && r.urls.every((u) => /^(mqtts?|tcp|tls|wss?):\/\//.test(u))
      );
    return typeof r.reason === 'string' && r.reason.startsWith('must be an MQTT URL') && r.reason.length < 400;
  }), { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) });
});

test('MQTT_URL takes a list, and a bad entry stops the start with the setting and the entry named', () => {
  expect(loadConfig({ env: { MQTT_URL: 'mqtt://n1:1883,mqtt://n2:1883' } }).config.mqtt.url).toBe(
    'mqtt://n1:1883,mqtt://n2:1883',
  );
  expect(() => loadConfig({ env: { MQTT_URL: 'mqtt://n1:1883,n2:1883' } })).toThrow(
    /mqtt\.url \(env MQTT_URL\): must be an MQTT URL .*broker 2 of 2 \("n2:1883"\)/,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'pimonitor-config-')), 'config.json');
  writeFileSync(file, JSON.stringify({ mqtt: { url: ['mqtt://n1:1883', 'mqtt://n2:1883'] } }));
  expect(loadConfig({ file, env: {} }).config.mqtt.url).toBe('mqtt://n1:1883,mqtt://n2:1883');
});

const log = createLogger('broker', 'silent');
const opened: Array<{ stop(): Promise<void> }> = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(opened.splice(0).map((b) => b.stop()));
});
const broker = async (port = 0): Promise<RunningBroker> => {
  const b = await startBroker({ host: '127.0.0.1', port, log });
  opened.push(b);
  return b;
};

test(
  'a client given two brokers fails over to the second when the first goes, once, said once, with its session',
  async () => {
    const [first, second] = [await broker(), await broker()];
    const switches: SwitchEvent[] = [];
    const client = connectMqtt(
      `${first.url},${second.url}`, { clientId: 'failover-probe', clean: false, reconnectPeriod: 100 },
      (e) => switches.push(e),
    );
    clients.push(client);
    await eventually('connected to the first', async () => brokerState(client).current || undefined);
    expect(brokerState(client)).toMatchObject({ current: `mqtt://127.0.0.1:${first.port}`, switches: 0 });
    expect(first.connectedClients).toBe(1);

    await first.stop();
    await eventually(
      'connected to the second', async () => (second.connectedClients === 1 && client.connected) || undefined, 10_000,
    );
    expect(switches).toEqual([
      { from: `mqtt://127.0.0.1:${first.port}`, to: `mqtt://127.0.0.1:${second.port}`, switches: 1 },
    ]);
    expect(brokerState(client)).toMatchObject({ current: `mqtt://127.0.0.1:${second.port}`, switches: 1 });
    // The session goes on there: a subscription made now delivers.
    await client.subscribeAsync('home/+/+', { qos: 1 });
    const got = new Promise<string>((resolve) => client.once('message', (topic) => resolve(topic)));
    const publisher = await connectMqttOnce(second.url, {});
    clients.push(publisher);
    await publisher.publishAsync('home/a/b', '{}', { qos: 1 });
    expect(await got).toBe('home/a/b');
  },
  30_000,
);

test(
  'with the first broker not there at all, the client starts on the next; a command tries each in turn',
  async () => {
    const gone = `mqtt://127.0.0.1:${await freePortOnLoopback()}`;
    const there = await broker();
    const switches: SwitchEvent[] = [];
    const client = connectMqtt([gone, there.url], { reconnectPeriod: 100 }, (e) => switches.push(e));
    clients.push(client);
    await eventually('connected to the one that is there', async () => client.connected || undefined, 10_000);
    // A first connection is not a switch: nothing was lost.
    expect(switches).toEqual([]);
    expect(brokerState(client).current).toBe(`mqtt://127.0.0.1:${there.port}`);

    const once = await connectMqttOnce(`${gone},${there.url}`, { connectTimeout: 2000 });
    clients.push(once);
    expect(once.connected).toBe(true);
    await expect(connectMqttOnce(gone, { connectTimeout: 2000 })).rejects.toThrow(/ECONNREFUSED/);
  },
  30_000,
);
