// @engine-independent: opens no database (jest.config.js)
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { nameProblem, readingTopic, statusTopic } from '../shared/contract.js';
import { eventually } from './helpers/net.js';
import { startNatsCluster, type NatsCluster } from './support/nats.js';
import { needsNats } from './support/services.js';

/**
 * What pimonitor relies on from an MQTT broker, pinned on a real three-node nats-server 2.9 cluster
 * (docs/scale-out.md, "What changes"): retained messages and Last Will across nodes, a QoS 1 persistent
 * session resumed on another node (after a clean reconnect, and after its node is killed), and what
 * NATS refuses (QoS 2 publishes, '.' and ' ' in topics) or ignores ($share).
 */
const natsTest = await needsNats('the MQTT-on-NATS tests');

let cluster: NatsCluster | undefined;
const opened: MqttClient[] = [];
beforeAll(async () => {
  if (natsTest === test) cluster = await startNatsCluster({ nodes: 3 });
}, 60_000);
afterAll(async () => {
  await Promise.all(opened.map((c) => c.endAsync(true).catch(() => {})));
  await cluster?.stop();
});

const url = (node: 0 | 1 | 2) => cluster!.mqttUrls[node]!;

type Seen = Array<{ topic: string; payload: string; retain: boolean }>;

/**
 * Connects once (no reconnection); rejects when the broker closes or refuses before CONNACK. A
 * resumed session's queued messages can come in the CONNACK's own read, before a listener added after
 * connecting would hear them (MQTT.js acknowledges them all the same): pass `into` to collect them.
 */
function connect(
  to: string, options: IClientOptions = {}, into?: Seen,
): Promise<MqttClient & { sessionPresent?: boolean }> {
  const client = mqtt.connect(to, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  opened.push(client);
  client.on('error', () => {});
  if (into)
    client.on('message', (topic, payload, packet) =>
      into.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve(Object.assign(client, { sessionPresent: connack.sessionPresent })));
    client.once('close', () => reject(new Error(`${to} closed before CONNACK`)));
  });
}

function seen(client: MqttClient): Seen {
  const messages: Seen = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
  );
  return messages;
}

/** Resolves to 'closed' when the broker drops the connection before it acknowledges, else 'acked'. */
function publishOutcome(
  client: MqttClient, topic: string, payload: string, qos: 0 | 1 | 2,
): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    client.once('close', () => resolve('closed'));
    client.publish(topic, payload, { qos }, (err) => !err && resolve('acked'));
  });
}

const has = (messages: Seen, payload: string) => (messages.some((m) => m.payload === payload) ? true : undefined);

natsTest(
  'a retained message published on node 1 greets a subscriber on node 2, and an empty one clears it for node 3',
  async () => {
    const publisher = await connect(url(0));
    await publisher.publishAsync(statusTopic('retained1'), 'online', { qos: 1, retain: true });
    const reader = await connect(url(1));
    const got = seen(reader);
    await reader.subscribeAsync(statusTopic('+'), { qos: 1 });
    await eventually('the retained status on node 2', async () => has(got, 'online'));
    expect(got).toEqual([{ topic: statusTopic('retained1'), payload: 'online', retain: true }]);

    await publisher.publishAsync(statusTopic('retained1'), '', { qos: 1, retain: true });
    const late = await connect(url(2));
    const lateGot = seen(late);
    await late.subscribeAsync([statusTopic('+'), 'marker/late'], { qos: 1 });
    // The marker is published after the subscription: once it arrives, any retained message has too.
    await publisher.publishAsync('marker/late', 'm', { qos: 1 });
    await eventually('the marker on node 3', async () => has(lateGot, 'm'));
    expect(lateGot.map((m) => m.payload)).toEqual(['m']);
  },
  30_000,
);

natsTest('a node that drops off gets its Last Will published, retained, to subscribers on other nodes', async () => {
  const watcher = await connect(url(2));
  const live = seen(watcher);
  await watcher.subscribeAsync(statusTopic('willing'), { qos: 1 });
  const device = await connect(url(0), {
    clientId: 'pimonitor-node-willing',
    will: { topic: statusTopic('willing'), payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  await device.publishAsync(statusTopic('willing'), 'online', { qos: 1, retain: true });
  (device as unknown as { stream: { destroy(): void } }).stream.destroy(); // no DISCONNECT: a power cut
  await eventually('the will on node 3', async () => has(live, 'offline'));
  const later = await connect(url(1));
  const retained = seen(later);
  await later.subscribeAsync(statusTopic('willing'), { qos: 1 });
  await eventually('the retained will on node 2', async () => has(retained, 'offline'));
  expect(retained).toEqual([{ topic: statusTopic('willing'), payload: 'offline', retain: true }]);
}, 30_000);

natsTest(
  'a persistent QoS 1 session left on node 2 resumes on node 3 with what was published meanwhile',
  async () => {
    const ingest = await connect(url(1), { clientId: 'pimonitor-ingest-resume', clean: false });
    await ingest.subscribeAsync('home/+/+', { qos: 1 });
    await ingest.endAsync();
    const publisher = await connect(url(0));
    for (let i = 0; i < 20; i++) await publisher.publishAsync(readingTopic('resume', 'dht22'), `r${i}`, { qos: 1 });
    const got: Seen = [];
    const back = await connect(url(2), { clientId: 'pimonitor-ingest-resume', clean: false }, got);
    expect(back.sessionPresent).toBe(true);
    const t0 = Date.now();
    await eventually('20 queued readings on node 3', async () => (got.length >= 20 ? true : undefined), 45_000);
    console.log('queued arrived after', Date.now() - t0, got.length);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  },
  70_000,
);

natsTest(
  'QoS 2 publishes are refused (the connection is closed) and a QoS 2 subscription is granted QoS 1',
  async () => {
    const client = await connect(url(0));
    expect(await client.subscribeAsync('home/qos2/x', { qos: 2 })).toEqual([{ topic: 'home/qos2/x', qos: 1 }]);
    expect(await publishOutcome(client, 'home/qos2/x', 'two', 2)).toBe('closed');
  },
  20_000,
);

natsTest(
  '$share/<group>/… is an ordinary (literal) topic on NATS 2.9: a shared-subscription worker would receive nothing',
  async () => {
    const worker = await connect(url(1));
    const got = seen(worker);
    expect(await worker.subscribeAsync(['$share/ingest/home/+/+', 'marker/share'], { qos: 1 })).toHaveLength(2);
    const publisher = await connect(url(1));
    await publisher.publishAsync(readingTopic('shared', 'dht22'), 'reading', { qos: 1 });
    await publisher.publishAsync('marker/share', 'm', { qos: 1 });
    await eventually('the marker', async () => has(got, 'm'));
    expect(got.map((m) => m.payload)).toEqual(['m']);
  },
  20_000,
);

natsTest(
  "'.' and ' ' in a topic: the publish closes the connection and the subscription is refused; pimonitor's own names " +
    "cannot contain them",
  async () => {
    for (const topic of ['home/living.room/dht22', 'home/living room/dht22']) {
      const client = await connect(url(0));
      await expect(client.subscribeAsync(topic, { qos: 1 })).rejects.toThrow(/Subscribe error/);
      expect(await publishOutcome(client, topic, '{}', 1)).toBe('closed');
    }
    expect(nameProblem('device', 'living.room')).not.toBeNull();
    expect(nameProblem('device', 'living room')).not.toBeNull();
    // What NATS maps without trouble: an empty level, '$' inside a level, non-ASCII.
    const client = await connect(url(0));
    for (const topic of ['home//x', 'home/$x/y', 'home/küche/dht22'])
      expect(await publishOutcome(client, topic, '{}', 1)).toBe('acked');
  },
  30_000,
);

// Last: it leaves node 2 down until it is started again.
natsTest(
  'a persistent QoS 1 session on a node killed with -9 resumes on another node with every reading PUBACKed meanwhile',
  async () => {
    const ingest = await connect(url(1), { clientId: 'pimonitor-ingest-death', clean: false });
    await ingest.subscribeAsync('home/+/+', { qos: 1 });
    // A node's way: a persistent session that reconnects and resends. While the streams elect new leaders,
    // node 1 can take 4 s over a publish and then close the connection (log: timeout for request type "MS").
    const publisher = await mqtt.connectAsync(url(0), {
      clientId: 'pimonitor-node-death', clean: false, reconnectPeriod: 200,
    });
    opened.push(publisher);
    publisher.on('error', () => {});
    await cluster!.nodes[1]!.kill9();
    for (let i = 0; i < 20; i++) await publisher.publishAsync(readingTopic('death', 'dht22'), `d${i}`, { qos: 1 });
    // Node 3 may refuse the client id for a few seconds, until it learns that node 2 is gone.
    const got: Seen = [];
    const back = await eventually(
      'node 3 to take the session', () => connect(url(2), { clientId: 'pimonitor-ingest-death', clean: false }, got),
      30_000,
    );
    expect(back.sessionPresent).toBe(true);
    // The session's consumer may have had node 2 as its leader: a new one is elected first.
    await eventually(
      '20 readings on node 3', async () => (new Set(got.map((m) => m.payload)).size >= 20 ? true : undefined), 45_000,
    );
    expect([...new Set(got.map((m) => m.payload))].sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `d${i}`).sort(),
    );
    await cluster!.nodes[1]!.restart();
  },
  120_000,
);
