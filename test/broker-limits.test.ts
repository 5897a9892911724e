// @engine-independent: opens no database (jest.config.js)
import { connect as tcp, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { eventually } from './helpers/net.js';
import { CONNECT, rawClient } from './helpers/raw-mqtt.js';

// The embedded broker's limits, in process: a subscriber that never reads, too many connections, a
// client that floods, and packets announcing 100 MB. The broker as its own process (idle connections,
// malformed packets): test/broker-robustness.test.ts.

/** Publishes 3,000 2-KiB readings with a subscriber that never reads; resolves with what a healthy subscriber got. */
async function floodPastAFrozenSubscriber(drainTimeoutMs: number, waitMs: number) {
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), limits: { drainTimeoutMs },
  });
  const frozen = await rawClient(broker.port, 'frozen-dashboard', 'home/#');
  frozen.pause(); // Home Assistant hung: it never reads again
  const ingest = await mqtt.connectAsync(broker.url, { clientId: 'ingest-like' });
  await ingest.subscribeAsync('home/#', { qos: 1 });
  let received = 0;
  ingest.on('message', () => received++);
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'publisher' });
  const payload = JSON.stringify({ temperature: 21, pad: 'x'.repeat(2000) });
  const total = 3000; // ~6 MB: far more than the frozen client's socket buffers hold
  const deadline = Date.now() + waitMs;
  try {
    for (let i = 0; i < total; i += 100) {
      const batch = Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          publisher.publishAsync(`home/n${(i + j) % 10}/dht22`, payload, { qos: 1 }),
        ),
      );
      // A stalled broker stops acknowledging the publisher too: give up at the deadline.
      const timeout = new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())).unref(),
      );
      if (!(await Promise.race([batch.then(() => true), timeout]))) break;
    }
    await eventually(
      `all ${total} delivered`, async () => (received === total ? true : undefined), Math.max(0, deadline - Date.now()),
    ).catch(() => undefined);
    return { received, total, clientsLeft: broker.connectedClients };
  } finally {
    frozen.destroy();
    await publisher.endAsync(true);
    await ingest.endAsync(true);
    await broker.stop();
  }
}

test('control: with Aedes\'s default drain timeout of 60 s, the same frozen subscriber stalls everyone', async () => {
  const { received, total } = await floodPastAFrozenSubscriber(60_000, 8000);
  expect(received).toBeLessThan(total);
}, 60_000);

test('a subscriber that never reads its socket does not stall delivery to the others', async () => {
  const { received, total, clientsLeft } = await floodPastAFrozenSubscriber(1000, 30_000);
  expect(received).toBe(total);
  // The frozen one was disconnected; the reading subscriber and the publisher remain.
  expect(clientsLeft).toBe(2);
}, 60_000);

test('past maxConnections new connections are refused, and those already in are unaffected', async () => {
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), limits: { maxConnections: 5 },
  });
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 5; i++) sockets.push(await rawClient(broker.port, `c${i}`));
    // The sixth is closed by the server without a CONNACK.
    const sixth = await new Promise<string>((resolve) => {
      const s = tcp(broker.port, '127.0.0.1');
      s.on('connect', () => s.write(CONNECT('sixth')));
      s.on('data', () => (s.destroy(), resolve('answered')));
      s.on('close', () => resolve('closed'));
      s.on('error', () => resolve('closed'));
    });
    expect(sixth).toBe('closed');
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
    sockets.pop()!.destroy();
    await eventually('a free slot', async () => (broker.connectedClients === 4 ? true : undefined));
    const late = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    expect(late.connected).toBe(true);
    await late.endAsync();
  } finally {
    sockets.forEach((s) => s.destroy());
    await broker.stop();
  }
});

test('a client that floods is disconnected; a neighbour publishing normally is not', async () => {
  const broker = await startBroker({
    host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent'), limits: { maxPublishesPerSecond: 50 },
  });
  const flooder = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: 'flooder' });
  const neighbour = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: 'neighbour' });
  try {
    const gone = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
    for (let i = 0; i < 500; i++) flooder.publish('home/flood/x', '{"a":1}', { qos: 0 });
    await gone;
    for (let i = 0; i < 10; i++) {
      await neighbour.publishAsync('home/calm/x', '{"a":1}', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(neighbour.connected).toBe(true);
    expect(broker.stats.disconnectedForLimits).toBe(1);
  } finally {
    await flooder.endAsync(true);
    await neighbour.endAsync(true);
    await broker.stop();
  }
});

const varint = (n: number) => {
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
};

test(
  'a PUBLISH announcing 100 MB is read and discarded as it streams, acknowledged, and its sender kept; a SUBSCRIBE ' +
    'that large is cut off at its header',
  async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const neighbour = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const sender = await rawClient(broker.port, 'big-sender');
    const attacker = await rawClient(broker.port, 'attacker');
    try {
      const topic = Buffer.from('home/big/x');
      const length = 100 * 1024 * 1024;
      const acked = new Promise<Buffer>((resolve) => sender.once('data', resolve));
      // QoS 1, packet id 9: the variable header, then 100 MB of body in 64 KiB writes.
      sender.write(Buffer.from([0x32, ...varint(length), 0, topic.length, ...topic, 0, 9]));
      const chunk = Buffer.alloc(64 * 1024, 1);
      let left = length - 2 - topic.length - 2;
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!sender.write(piece)) await new Promise((resolve) => sender.once('drain', resolve));
      }
      expect([...(await acked)]).toEqual([0x40, 2, 0, 9]); // PUBACK for packet id 9
      expect(sender.destroyed).toBe(false);
      expect(broker.stats.dropped.oversize).toBe(1);

      const closed = new Promise<void>((resolve) => attacker.once('close', () => resolve()));
      attacker.on('error', () => {});
      attacker.write(Buffer.from([0x82, ...varint(length)]));
      await closed;
      expect(broker.stats.disconnectedForLimits).toBe(1);
      await neighbour.publishAsync('home/calm/x', '{"a":1}', { qos: 1 });
      expect(neighbour.connected).toBe(true);
    } finally {
      sender.destroy();
      attacker.destroy();
      await neighbour.endAsync(true);
      await broker.stop();
    }
  },
  60_000,
);
