// @engine-independent: opens no database (jest.config.js)
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';

let broker: RunningBroker | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await broker?.stop();
  broker = undefined;
});

const SESSION = 'ingest-like';
const MESSAGES = 5;

/**
 * broker/connack-first.ts. Aedes restores a persistent session's subscriptions a few persistence calls
 * before it writes the CONNACK; with Redis those calls are round trips, and a message published
 * meanwhile went out first. MQTT.js then waited for its connack timeout (30 s in ingest), holding the
 * session's queue (issue 27's crash test with BROKER_PERSISTENCE=redis: 6,655 messages held 30 s).
 * Here one of those calls (delWill) is made 300 ms slow, and messages are published in that window.
 */
test(
  'a persistent session reconnecting while messages are published gets its CONNACK first, then the messages',
  async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const first = await mqtt.connectAsync(broker.url, { clientId: SESSION, clean: false, reconnectPeriod: 0 });
    await first.subscribeAsync('home/#', { qos: 1 });
    await first.endAsync();
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'node', reconnectPeriod: 0 });
    clients.push(publisher);

    // The window between the restored subscriptions and the CONNACK, made wide and announced.
    const persistence = (broker.aedes as unknown as { persistence: unknown }).persistence as {
      delWill(client: { id: string }): Promise<unknown>;
    };
    const delWill = persistence.delWill.bind(persistence);
    let inWindow!: () => void;
    const windowOpen = new Promise<void>((resolve) => (inWindow = resolve));
    persistence.delWill = async (client) => {
      if (client.id === SESSION) {
        inWindow();
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return delWill(client);
    };

    const received: string[] = [];
    const again = mqtt.connect(broker.url, {
      clientId: SESSION, clean: false, reconnectPeriod: 0, connectTimeout: 3000,
    });
    clients.push(again);
    const payloads = new Set<string>();
    again.on('packetreceive', (packet) => {
      received.push(packet.cmd);
      if (packet.cmd === 'publish') payloads.add(packet.payload.toString());
    });
    const connected = new Promise<void>((resolve, reject) => {
      again.once('connect', () => resolve());
      again.once('error', reject);
    });
    await windowOpen;
    const acked = Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => publisher.publishAsync('home/n1/dht22', `reading ${i}`, { qos: 1 })),
    );
    await connected; // without the gate: "connack timeout" after 3 s, a PUBLISH received first
    await acked;
    const deadline = Date.now() + 5000;
    while (payloads.size < MESSAGES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received[0]).toBe('connack');
    // Each one at least once: the stored queue's replay may repeat one that was also delivered live (QoS 1).
    expect([...payloads].sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `reading ${i}`));
  },
);
