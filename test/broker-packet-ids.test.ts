// @engine-independent: opens no database (jest.config.js)
import { connect as tcp, type Socket } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { packetIdStart } from '../broker/hooks.js';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';

/**
 * The cause of readings lost when ingest was killed with -9 under load: Aedes starts a reconnecting
 * session's packet ids at random, so a new message could get the id of one still queued, and the
 * subscriber's PUBACK for the new one cleared the old, undelivered one. Driven here step by step with
 * a raw subscriber and Aedes's random start pinned to the colliding id.
 */
class RawSubscriber {
  readonly publishes: mqttPacket.IPublishPacket[] = [];
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private constructor(private readonly socket: Socket) {
    this.parser.on('packet', (p) => p.cmd === 'publish' && this.publishes.push(p as mqttPacket.IPublishPacket));
    socket.on('data', (d) => this.parser.parse(d));
    socket.on('error', () => {});
  }
  static async connect(port: number): Promise<RawSubscriber> {
    const socket = tcp(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const s = new RawSubscriber(socket);
    socket.write(
      mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, clientId: 'sub', keepalive: 0,
      }),
    );
    return s;
  }
  subscribe() {
    this.socket.write(
      mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'home/+/+', qos: 1 }] }),
    );
  }
  ack(messageId: number) {
    this.socket.write(mqttPacket.generate({ cmd: 'puback', messageId }));
  }
  async until(n: number) {
    for (let i = 0; i < 100 && this.publishes.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    return this.publishes;
  }
  close() {
    this.socket.destroy();
  }
}
const payloads = (ps: mqttPacket.IPublishPacket[]) => ps.map((p) => p.payload.toString());

test(
  'a reconnecting session never reuses the packet id of a message still queued, so no PUBACK clears an undelivered ' +
    'message',
  async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'pub' });
    const random = Math.random;
    const subscribers: RawSubscriber[] = [];
    try {
      const first = await RawSubscriber.connect(broker.port);
      subscribers.push(first);
      first.subscribe();
      await new Promise((r) => setTimeout(r, 100));
      for (const m of ['m0', 'm1']) await publisher.publishAsync('home/a/b', m, { qos: 1 });
      const unacked = await first.until(2);
      const collidingId = unacked[0]!.messageId!;
      first.close(); // gone without acknowledging m0, m1: they stay queued with their ids
      await new Promise((r) => setTimeout(r, 100));

      // The next connection's random start is the id m0 still has in the queue.
      Math.random = () => (collidingId - 0.5) / 65535;
      const second = await RawSubscriber.connect(broker.port);
      subscribers.push(second);
      Math.random = random;
      await second.until(2); // m0, m1 replayed, not acknowledged yet
      await publisher.publishAsync('home/a/b', 'm2', { qos: 1 });
      const got = await second.until(3);
      const m2 = got.find((p) => p.payload.toString() === 'm2')!;
      expect(m2.messageId).not.toBe(collidingId);
      second.ack(m2.messageId!); // before the fix, this cleared m0 from the queue
      await new Promise((r) => setTimeout(r, 100));
      second.close();
      await new Promise((r) => setTimeout(r, 100));

      const third = await RawSubscriber.connect(broker.port);
      subscribers.push(third);
      const redelivered = payloads(await third.until(2));
      expect(redelivered).toEqual(['m0', 'm1']);
    } finally {
      Math.random = random;
      subscribers.forEach((s) => s.close());
      await publisher.endAsync(true);
      await broker.stop();
    }
  },
);

test.each([
  [undefined, undefined],
  [7, 32775],
  [102, 32870],
  [40000, 7233],
  [65535, 32768],
])('packetIdStart(%j) = %s: half the id space (1..65535) past the newest queued id', (newest, start) => {
  expect(packetIdStart(newest)).toBe(start);
});
