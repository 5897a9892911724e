import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcp, type Socket } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { rssMiB } from './support/processes.js';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { startCli } from './helpers/cli.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually, freePort } from './helpers/net.js';

const bytes = (packet: object) => mqttPacket.generate(packet as mqttPacket.Packet);
const CONNECT = (clientId: string) =>
  bytes({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 });

/** A raw MQTT client: connects, optionally subscribes, and resolves once the broker has answered. */
function rawClient(port: number, clientId: string, subscribeTo?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcp(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(CONNECT(clientId));
      if (subscribeTo)
        socket.write(bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: subscribeTo, qos: 1 }] }));
      // The CONNACK (and SUBACK) arrive in the first bytes read; after that this client may freeze.
      socket.once('data', () => resolve(socket));
    });
  });
}

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

describe('a broker process', () => {
  const t = { db: undefined as Awaited<ReturnType<typeof createTestDatabase>> | undefined };
  beforeAll(async () => {
    t.db = await createTestDatabase();
  });
  afterAll(async () => t.db?.stop());

  const start = async () => {
    const port = await freePort();
    const broker = startCli(['broker'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-robustness-')), DATABASE_URL: t.db!.url, MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(port), LOG_LEVEL: 'warn',
    });
    await eventually('broker listening', async () => {
      const ok = await new Promise<boolean>((resolve) => {
        const s = tcp(port, '127.0.0.1')
          .once('connect', () => (s.destroy(), resolve(true)))
          .once('error', () => resolve(false));
      });
      return ok ? true : undefined;
    });
    return { broker, port };
  };
  /** A healthy client round trip: publish and receive one message. */
  const roundTrip = async (port: number, n: number) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000 });
    await c.subscribeAsync(`home/health/${n}`, { qos: 1 });
    const got = new Promise<string>((resolve) => c.once('message', (_t, p) => resolve(p.toString())));
    await c.publishAsync(`home/health/${n}`, `ping ${n}`, { qos: 1 });
    const answer = await got;
    await c.endAsync();
    return answer;
  };

  test('holds 1,000 concurrent idle connections with flat memory, and still serves', async () => {
    const { broker, port } = await start();
    const sockets: Socket[] = [];
    try {
      await roundTrip(port, 0);
      const before = rssMiB(broker.child.pid!);
      for (let i = 0; i < 1000; i += 50) {
        sockets.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => rawClient(port, `idle-${i + j}`)))));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = rssMiB(broker.child.pid!);
      expect(sockets.filter((s) => !s.destroyed)).toHaveLength(1000);
      // RSS moves in steps as V8 grows its heap (30 to 41 KiB a connection seen on the same code), so
      // the bound is what it guards against: a buffer of 64 KiB or more kept per idle connection.
      const perConnectionKiB = ((after - before) * 1024) / 1000;
      console.log(`1,000 idle connections: ${perConnectionKiB.toFixed(1)} KiB of broker RSS each`);
      expect(perConnectionKiB).toBeLessThan(64);
      expect(await roundTrip(port, 1)).toBe('ping 1');
    } finally {
      sockets.forEach((s) => s.destroy());
      broker.child.kill('SIGTERM');
      expect((await broker.exited).code).toBe(0);
    }
  }, 60_000);

  // CI sends 10 s of garbage (about 1,500 connections); BROKER_FUZZ_SECONDS=30 runs the issue's own.
  const FUZZ_SECONDS = Number(process.env.BROKER_FUZZ_SECONDS ?? 10);
  test(`${FUZZ_SECONDS} s of malformed packets leave it serving other clients`, async () => {
    const { broker, port } = await start();
    const valid = [
      CONNECT('fuzz'),
      bytes({ cmd: 'publish', topic: 'home/fuzz/x', payload: Buffer.from('{"a":1}'), qos: 1, messageId: 7 }),
      bytes({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'home/#', qos: 1 }] }),
    ];
    /** Random bytes, or a valid packet with bytes flipped, truncated or its length field inflated. */
    const garbage = (): Buffer => {
      const kind = Math.floor(Math.random() * 4);
      if (kind === 0) return randomBytes(1 + Math.floor(Math.random() * 200));
      const base = Buffer.concat([CONNECT(`f${Math.random()}`), valid[Math.floor(Math.random() * valid.length)]!]);
      if (kind === 1) return base.subarray(0, Math.floor(Math.random() * base.length));
      if (kind === 2) {
        const out = Buffer.from(base);
        for (let i = 0; i < 3; i++) out[Math.floor(Math.random() * out.length)] = Math.floor(Math.random() * 256);
        return out;
      }
      return Buffer.concat([Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), randomBytes(50)]);
    };
    const deadline = Date.now() + FUZZ_SECONDS * 1000;
    let sent = 0;
    let healthy = 0;
    const fuzzers = Array.from({ length: 8 }, async () => {
      while (Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const s = tcp(port, '127.0.0.1');
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.on('connect', () => {
            s.write(garbage());
            sent++;
            setTimeout(() => s.destroy(), 20);
          });
        });
      }
    });
    const checker = (async () => {
      while (Date.now() < deadline) {
        expect(await roundTrip(port, ++healthy)).toBe(`ping ${healthy}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    try {
      await Promise.all([...fuzzers, checker]);
      expect(sent).toBeGreaterThan(FUZZ_SECONDS * 30);
      expect(healthy).toBeGreaterThan(FUZZ_SECONDS);
      expect(broker.child.exitCode).toBeNull();
      expect(await roundTrip(port, 9999)).toBe('ping 9999');
    } finally {
      broker.child.kill('SIGTERM');
      expect((await broker.exited).code).toBe(0);
    }
  }, 90_000);
});
