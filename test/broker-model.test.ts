// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { parseSources } from '../shared/sources/spec.js';
import { accountsBroker, closedWithin, type AccountsBroker } from './support/accounts.js';
import { FUZZ_SEED } from './support/hostile.js';
import {
  MODEL_ACCOUNTS,
  matches,
  modelMayRead,
  modelMayWriteTopic,
  PolicyModel,
  type ModelAccount,
} from './support/policy-model.js';

// Issue 23, item 8: random sequences of CONNECT (accounts, client ids, clean flags, wills), PUBLISH
// (retained or not), SUBSCRIBE and disconnects by several accounts, through the real broker, checked
// against a small model of the policy (test/support/policy-model.ts). Asserted: every CONNECT and
// SUBSCRIBE is answered as the model says; no account ever receives a message outside its read rights
// or from a sender who may not write it; retained topics end with the writer the model says owns them.
// Fixed seed; a longer run: npm run test:fuzz:accounts (FUZZ_RUNS=300 by default; each run is a broker).

const TOPICS = [
  'home/kitchen/t', 'home/kitchen/status', 'homeassistant/sensor/kitchen/t/config',
  'homeassistant/sensor/0xabc/t/config',
  'zigbee2mqtt/kitchen', 'zigbee2mqtt/Shed', 'zigbee2mqtt/Shed/availability', 'zigbee2mqtt/garage/availability',
  'tele/porch/SENSOR',
  'tasmota/discovery/AABB/config', 'cmnd/porch/POWER', 'homeassistant/status', '$SYS/x/new/clients',
];
const FILTERS = [
  'home/#', 'homeassistant/#', 'zigbee2mqtt/#', 'cmnd/porch/#', 'homeassistant/status', '#', 'tele/+/SENSOR',
  'cmnd/DVES_1_fb/#', '$SYS/#',
];
const CLIENT_IDS = ['pimonitor-ingest', 'pimonitor-node-kitchen', 'c1', 'c2', 'DVES_1', 'porch'];

type Command =
  | { op: 'connect'; who: ModelAccount; id: number; clean: boolean; will?: number }
  | { op: 'publish'; conn: number; topic: number; retain: boolean; empty: boolean }
  | { op: 'subscribe'; conn: number; filter: number }
  | { op: 'disconnect'; conn: number; graceful: boolean };

// The topics several accounts contend for come up more often than the rest.
const CONTENDED = [
  'homeassistant/sensor/0xabc/t/config', 'tasmota/discovery/AABB/config', 'zigbee2mqtt/kitchen', 'home/kitchen/status',
].map((t) => TOPICS.indexOf(t));
const topicIndex = fc.oneof(
  { arbitrary: fc.nat(TOPICS.length - 1), weight: 1 }, { arbitrary: fc.constantFrom(...CONTENDED), weight: 1 },
);
const rarely = <T,>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('connect' as const), who: fc.constantFrom(...MODEL_ACCOUNTS), id: fc.nat(CLIENT_IDS.length - 1),
      clean: fc.boolean(), will: rarely(fc.nat(TOPICS.length - 1)),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('publish' as const), conn: fc.nat(5), topic: topicIndex, retain: fc.boolean(),
      empty: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('publish' as const), conn: fc.nat(5), topic: topicIndex, retain: fc.boolean(),
      empty: fc.constant(false),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('subscribe' as const), conn: fc.nat(5), filter: fc.nat(FILTERS.length - 1),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant('disconnect' as const), conn: fc.nat(5), graceful: fc.boolean() }),
    weight: 1,
  },
);

/** A payload each topic's reader understands, unique where it can be (so a message names its sender). */
function payloadFor(topic: string, n: number): string {
  if (topic.endsWith('/availability')) return 'online';
  if (topic.startsWith('zigbee2mqtt/')) return JSON.stringify({ temperature: n });
  if (topic.startsWith('tele/')) return JSON.stringify({ AM2301: { Temperature: n } });
  return JSON.stringify({ v: n });
}

interface Conn { who: ModelAccount; clientId: string; clean: boolean; client: MqttClient; open: boolean }

const parsedSources = parseSources('zigbee2mqtt,tasmota', 'UTC');
if (!parsedSources.ok) throw new Error(parsedSources.problems.join('; '));
const sources = parsedSources.value;
const ROLES = {
  kitchen: ['device'], garage: ['device'], zigbee2mqtt: ['device', 'zigbee2mqtt'], porch: ['device', 'tasmota'],
  attic: ['device', 'tasmota'], ha: ['reader'], ingest: ['ingest'],
} as const;

async function run(commands: Command[]): Promise<void> {
  const b: AccountsBroker = await accountsBroker(
    MODEL_ACCOUNTS.map((name) => [name, ...ROLES[name]] as never), { sources },
  );
  const model = new PolicyModel();
  const conns: Conn[] = [];
  // Who sent each payload (unique), or who sent availability (only a bridge writes zigbee2mqtt/…).
  const senders = new Map<string, ModelAccount>();
  const problems: string[] = [];
  let n = 0;
  const watch = (conn: Conn) => {
    conn.client.on('message', (topic, payload) => {
      const text = payload.toString();
      if (!modelMayRead(conn.who, topic, conn.clientId))
        problems.push(`${conn.who} received ${topic}, which it may not read`);
      // the broker's own ($SYS/<id>/new/subscribes …): no client may publish there
      if (topic.startsWith('$SYS/')) return;
      const sender = text === 'online' ? 'zigbee2mqtt' : senders.get(text);
      if (sender === undefined) problems.push(`${conn.who} received ${topic} ${text} from nobody the test knows`);
      else if (!modelMayWriteTopic(sender, topic, text))
        problems.push(`${conn.who} received ${topic} from ${sender}, who may not write it`);
    });
    conn.client.on('close', () => {
      conn.open = false;
    });
  };
  try {
    for (const cmd of commands) {
      const open = conns.filter((c) => c.open);
      if (cmd.op === 'connect') {
        const clientId = CLIENT_IDS[cmd.id]!;
        const willTopic = cmd.will === undefined ? undefined : TOPICS[cmd.will]!;
        const willPayload = willTopic && payloadFor(willTopic, ++n);
        if (willTopic) senders.set(willPayload!, cmd.who);
        const expected = model.mayConnect(cmd.who, clientId, willTopic);
        const previous = open.find((c) => c.clientId === clientId);
        const outcome = await b
          .connect(cmd.who, {
            clientId, clean: cmd.clean,
            ...(willTopic
              ? { will: { topic: willTopic, payload: Buffer.from(willPayload!), qos: 0, retain: false } }
              : {}),
          })
          .then(
            (client) => ({ client }), () => undefined,
          );
        if ((outcome !== undefined) !== expected)
          problems.push(
            `${cmd.who} connecting as ${clientId}${willTopic ? ` with a will on ${willTopic}` : ''}: ` +
              `${outcome ? 'accepted' : 'refused'}, the model says ${expected ? 'accepted' : 'refused'}`,
          );
        if (outcome) {
          if (previous) {
            previous.open = false; // taken over by the same account
            await closedWithin(previous.client, 2000);
          }
          const conn: Conn = { who: cmd.who, clientId, clean: cmd.clean, client: outcome.client, open: true };
          conns.push(conn);
          watch(conn);
          model.connected(cmd.who, clientId);
        }
      } else if (cmd.op === 'publish') {
        const conn = open[cmd.conn % Math.max(1, open.length)];
        if (!conn) continue;
        const topic = TOPICS[cmd.topic]!;
        const payload = cmd.empty && cmd.retain ? '' : payloadFor(topic, ++n);
        if (payload) senders.set(payload, conn.who);
        const allowed = model.mayPublish(conn.who, topic, payload, cmd.retain);
        const closed = closedWithin(conn.client, 3000);
        const acked = await Promise.race([
          conn.client.publishAsync(topic, payload, { qos: 1, retain: cmd.retain }).then(
            () => true, () => false,
          ),
          closed.then(() => false),
        ]);
        if (allowed && acked) model.published(conn.who, topic, payload, cmd.retain);
        if (allowed !== acked)
          problems.push(
            `${conn.who} publishing ${topic} ` +
              `(retain ${cmd.retain}, ${payload ? 'a message' : 'empty'}): ${acked ? 'accepted' : 'refused'}, the ` +
                `model says ${allowed ? 'accepted' : 'refused'}`,
          );
        if (!acked && conn.open) await closed;
      } else if (cmd.op === 'subscribe') {
        const conn = open[cmd.conn % Math.max(1, open.length)];
        if (!conn) continue;
        const filter = FILTERS[cmd.filter]!;
        const granted = await conn.client.subscribeAsync(filter, { qos: 1 }).then(() => true, () => false);
        if (granted !== modelMayRead(conn.who, filter, conn.clientId))
          problems.push(`${conn.who} (${conn.clientId}) subscribing to ${filter}: ${granted ? 'granted' : 'refused'}`);
      } else {
        const conn = open[cmd.conn % Math.max(1, open.length)];
        if (!conn) continue;
        const closed = closedWithin(conn.client, 2000);
        if (cmd.graceful) conn.client.end();
        else conn.client.stream.destroy();
        await closed;
        await new Promise((resolve) => setTimeout(resolve, 20)); // the broker's side of the close
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Retained topics: each holds what its owner in the model last retained.
    const reader = await b.connect('ha', { clientId: 'model-reader' });
    const retained = new Map<string, string>();
    reader.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.set(topic, payload.toString());
    });
    for (const f of [
      'home/#', 'homeassistant/#', 'zigbee2mqtt/#', 'tele/+/SENSOR',
    ]) await reader.subscribeAsync(f, { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const readable = (t: string) => [
      'home/#', 'homeassistant/#', 'zigbee2mqtt/#', 'tele/+/SENSOR',
    ].some((f) => matches(f, t));
    const expected = new Map([...model.retained].filter(([t]) => readable(t)).map(([t, r]) => [t, r.payload]));
    expect(Object.fromEntries(retained)).toEqual(Object.fromEntries(expected));
    expect(problems).toEqual([]);
  } finally {
    await b.close();
  }
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
test('random sessions of seven accounts against the model of the policy', async () => {
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 40 }), run), {
    seed: FUZZ_SEED, numRuns: RUNS, endOnFailure: true,
  });
}, Math.max(300_000, RUNS * 3000));
