import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcp, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { rssMiB } from './support/processes.js';
import { startCli } from './helpers/cli.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually, freePort } from './helpers/net.js';
import { bytes, CONNECT, rawClient } from './helpers/raw-mqtt.js';

// `pimonitor broker` as its own process: 1,000 idle connections with flat memory, and malformed packets
// that leave it serving. The broker's limits in process (a frozen subscriber, maxConnections, a flooding
// client, oversize packets): test/broker-limits.test.ts.

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
