// @engine-independent: opens no database (jest.config.js)
import { DROPPED_TOPIC } from '../broker/oversize-filter.js';
import type { AccountsBroker } from './support/accounts.js';
import { accountsBrokerPerTest, collect, sleep } from './support/accounts-per-test.js';

// Issue 23, "No account can act as another": what the owner of one valid account tried, through the
// real broker and MQTT.js clients. Each case failed before the change. Here: client ids, sessions and
// wills; broker-accounts-shared.test.ts: shared topic trees, source accounts and quotas.

const brokers = accountsBrokerPerTest();
let b: AccountsBroker;

test(
  'client-id takeover: a device reconnecting every 350 ms with ingest\'s id reads none of another device\'s ' +
    'readings, and ingest loses none',
  async () => {
    b = await brokers.start([['kitchen', 'device'], ['rogue', 'device'], ['ingest', 'ingest']]);
    const ingest = await b.connect('ingest', { clientId: 'pimonitor-ingest', clean: false });
    await ingest.subscribeAsync('home/+/+', { qos: 1 });
    const stored = collect(ingest);
    const kitchen = await b.connect('kitchen', { clientId: 'pimonitor-node-kitchen' });
    const leaked: string[] = [];
    let attempts = 0;
    let refusals = 0;
    const sent: Array<Promise<unknown>> = [];
    for (let i = 0; i < 49; i++) {
      sent.push(kitchen.publishAsync('home/kitchen/dht22', JSON.stringify({ temperature: 20 + i / 10 }), { qos: 1 }));
      if (i % 4 === 0) {
        attempts++;
        for (const clean of [false, true]) {
          await b.connect('rogue', { clientId: 'pimonitor-ingest', clean }).then(
            (c) => {
              c.on('message', (topic, payload) => leaked.push(`${topic} ${payload}`));
              return c.endAsync(true);
            },
            (err: Error) => {
              expect(err.message).toMatch(/Identifier rejected/);
              refusals++;
            },
          );
        }
      }
      await sleep(100);
    }
    await Promise.all(sent);
    await sleep(300);
    expect(leaked).toEqual([]);
    expect(refusals).toBe(2 * attempts);
    expect(stored).toHaveLength(49);
    expect(ingest.connected).toBe(true);
    expect(b.broker.stats.refused.client_id).toBe(2 * attempts);
  },
  30_000,
);

test('a node\'s client id is its device\'s alone: taking it does not kick the node off nor fire its will', async () => {
  b = await brokers.start([['kitchen', 'device'], ['rogue', 'device'], ['ha', 'reader']]);
  const ha = await b.connect('ha');
  await ha.subscribeAsync('home/+/status', { qos: 1 });
  const seen = collect(ha);
  const kitchen = await b.connect('kitchen', {
    clientId: 'pimonitor-node-kitchen',
    will: { topic: 'home/kitchen/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  await expect(b.connect('rogue', { clientId: 'pimonitor-node-kitchen' })).rejects.toThrow(/Identifier rejected/);
  await expect(b.connect('ha', { clientId: 'pimonitor-node-kitchen' })).rejects.toThrow(/Identifier rejected/);
  await sleep(300);
  expect(kitchen.connected).toBe(true);
  expect(seen).toEqual([]);
});

test(
  'a client id stays its account\'s after a clean session ends: an offline device\'s id cannot be squatted',
  async () => {
    b = await brokers.start([['porch', 'device', 'tasmota'], ['rogue', 'device']]);
    // Tasmota connects with a clean session; while it is away, another account tries its id.
    const porch = await b.connect('porch', { clientId: 'DVES_0A1B2C', clean: true });
    await porch.endAsync();
    await sleep(100);
    await expect(b.connect('rogue', { clientId: 'DVES_0A1B2C', clean: false })).rejects.toThrow(/Identifier rejected/);
    await expect(b.connect('rogue', { clientId: 'DVES_0A1B2C', clean: true })).rejects.toThrow(/Identifier rejected/);
    // The same account may take its own id over (a node back from a half-open link).
    expect((await b.connect('porch', { clientId: 'DVES_0A1B2C', clean: true })).connected).toBe(true);
    // An id that is another account's name (ESPHome's and Shelly's defaults) is that account's.
    await expect(b.connect('rogue', { clientId: 'porch' })).rejects.toThrow(/Identifier rejected/);
  },
);

test(
  'an account holds at most 64 client ids: past it, its least recently used one not connected is let go',
  async () => {
    b = await brokers.start([['kitchen', 'device'], ['rogue', 'device']]);
    const first = await b.connect('kitchen', { clientId: 'kitchen-0' });
    await first.endAsync();
    for (let i = 1; i <= 64; i++) await (await b.connect('kitchen', { clientId: `kitchen-${i}` })).endAsync();
    await sleep(100);
    expect((await b.connect('rogue', { clientId: 'kitchen-0' })).connected).toBe(true);
    await expect(b.connect('rogue', { clientId: 'kitchen-64' })).rejects.toThrow(/Identifier rejected/);
  },
);

test(
  'a revoked account\'s persistent session is not inherited: the next account to use its id starts clean',
  async () => {
    b = await brokers.start([['kitchen', 'device'], ['nodered', 'reader'], ['rogue', 'reader']]);
    const nodered = await b.connect('nodered', { clientId: 'nodered-1', clean: false });
    await nodered.subscribeAsync('home/#', { qos: 1 });
    await nodered.endAsync();
    const kitchen = await b.connect('kitchen');
    for (let i = 0; i < 3; i++) {
      await kitchen.publishAsync('home/kitchen/dht22', JSON.stringify({ temperature: 20 + i }), { qos: 1 });
    }
    b.revoke('nodered');
    await b.reloaded();
    const got: string[] = [];
    const rogue = await b.connect('rogue', { clientId: 'nodered-1', clean: false });
    rogue.on('message', (topic) => got.push(topic));
    await sleep(300);
    expect(got).toEqual([]);
    // Its session is its own from now on: it subscribes, leaves, and gets what came meanwhile.
    await rogue.subscribeAsync('home/#', { qos: 1 });
    await rogue.endAsync();
    await kitchen.publishAsync('home/kitchen/dht22', '{"temperature":30}', { qos: 1 });
    const back = await b.connect('rogue', { clientId: 'nodered-1', clean: false });
    const later = collect(back);
    await sleep(300);
    expect(later).toEqual(['home/kitchen/dht22 {"temperature":30}']);
  },
);

test('a connection closed while its login is checked leaves no slot taken', async () => {
  const { connect: tcp } = await import('node:net');
  const { generate } = await import('mqtt-packet');
  b = await brokers.start([['kitchen', 'device']], { limits: { maxConnectionsPerAccount: 3 } });
  const connect = generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: '', keepalive: 30,
    username: 'kitchen', password: Buffer.from('kitchen-pw'),
  });
  for (let i = 0; i < 20; i++) {
    const socket = tcp(b.broker.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(connect);
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
  }
  await sleep(300);
  for (let i = 0; i < 3; i++) expect((await b.connect('kitchen', { clientId: `k${i}` })).connected).toBe(true);
});

test('a will is checked at CONNECT: one on another device\'s status, or under $SYS, is refused', async () => {
  b = await brokers.start([['kitchen', 'device'], ['rogue', 'device']]);
  for (const topic of ['home/kitchen/status', '$SYS/broker/new/clients', 'homeassistant/sensor/kitchen/t/config']) {
    const will = { topic, payload: Buffer.from('offline'), qos: 1, retain: true } as const;
    await expect(b.connect('rogue', { clientId: `rogue-${topic.length}`, will })).rejects.toThrow(/Not authorized/);
  }
  expect(b.broker.stats.refused.will).toBe(3);
  const own = await b.connect('rogue', {
    will: { topic: 'home/rogue/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  expect(own.connected).toBe(true);
});

test('a stored will is checked again before the broker publishes it for a client that is gone', async () => {
  b = await brokers.start([['kitchen', 'device'], ['rogue', 'device']]);
  const rogue = await b.connect('rogue', { clientId: 'rogue-node', clean: false });
  await rogue.endAsync();
  // What Aedes's _clearWills hands the hook for a will it found in the store (client null).
  const check = (topic: string) => new Promise<{ err: unknown; topic: string; retain: boolean }>((resolve) => {
    const packet = {
      cmd: 'publish' as const, topic, payload: Buffer.from('offline'), qos: 1 as const, retain: true, dup: false,
      clientId: 'rogue-node', brokerId: 'a-dead-broker',
    };
    b.broker.aedes.authorizePublish(null, packet, (err) => {
      resolve({ err, topic: packet.topic, retain: packet.retain });
    });
  });
  expect(await check('home/kitchen/status')).toEqual({ err: null, topic: DROPPED_TOPIC, retain: false });
  expect(await check('home/rogue/status')).toEqual({ err: null, topic: 'home/rogue/status', retain: true });
  expect(b.broker.stats.droppedWills).toBe(1);
});
