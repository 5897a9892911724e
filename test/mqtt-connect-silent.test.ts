// @engine-independent: opens no database (jest.config.js)
import type { MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { brokerState, connectMqtt, type SwitchEvent } from '../shared/mqtt-connect.js';
import { eventually } from './helpers/net.js';
import { startProxy, type CuttableProxy } from './helpers/proxy.js';

// Issue 29: a broker of the list that goes silent (its machine off, not a closed socket) is left
// once the keepalive notices, and the client goes on at the next broker of the list.

const log = createLogger('broker', 'silent');
let brokers: RunningBroker[] = [];
let proxy: CuttableProxy | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  await client?.endAsync(true);
  await proxy?.stop();
  await Promise.all(brokers.map((b) => b.stop()));
  brokers = [];
});

test('the first broker goes silent: the client moves to the second after about a keepalive and a half', async () => {
  brokers = [
    await startBroker({ host: '127.0.0.1', port: 0, log }), await startBroker({ host: '127.0.0.1', port: 0, log }),
  ];
  const [a, b] = brokers as [RunningBroker, RunningBroker];
  proxy = await startProxy('127.0.0.1', a.port);
  const viaProxy = proxy.url(a.url);
  const switches: SwitchEvent[] = [];
  client = connectMqtt(
    `${viaProxy},${b.url}`,
    { clientId: 'silent-probe', clean: false, keepalive: 1, reconnectPeriod: 200, connectTimeout: 2000 },
    (e) => switches.push(e),
  );
  await eventually('connected through the proxy', async () => client!.connected || undefined, 10_000);
  proxy.blackhole();
  const cut = Date.now();
  await eventually(
    'moved to the second broker', async () => (switches.length === 1 && client!.connected) || undefined, 15_000,
  );
  console.log(`mqtt-connect-silent: moved after ${Date.now() - cut} ms (keepalive 1 s)`);
  expect(switches[0]).toMatchObject({ from: viaProxy, to: b.url });
  expect(brokerState(client).current).toBe(b.url);
}, 30_000);
