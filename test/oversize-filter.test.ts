// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { DROPPED_TOPIC, OversizeFilter, type FilterEvent } from '../broker/oversize-filter.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const publish = (payloadBytes: number, qos: 0 | 1 | 2 = 1, messageId = 1, topic = 'home/a/b', retain = false) =>
  mqttPacket.generate({
    cmd: 'publish', topic, payload: Buffer.alloc(payloadBytes, 7), qos, messageId, dup: false, retain,
  });
const connect = mqttPacket.generate({
  cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'x', keepalive: 0,
});
const subscribe = (topics: number) =>
  mqttPacket.generate({
    cmd: 'subscribe', messageId: 2,
    subscriptions: Array.from({ length: topics }, (_, i) => ({ topic: `home/${i}/#`, qos: 1 as const })),
  });

/** Feeds `stream` in chunks of `size` and parses what the filter passes, as Aedes would. */
function run(stream: Buffer, size: number, maxPayload = 1000, maxPacket = 2000) {
  const filter = new OversizeFilter(maxPayload, maxPacket);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  const events: FilterEvent[] = [];
  let passed = 0;
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (err) => {
    throw err;
  });
  for (let i = 0; i < stream.length; i += size) {
    const out = filter.feed(stream.subarray(i, i + size));
    events.push(...out.events);
    for (const b of out.pass) {
      passed += b.length;
      parser.parse(b);
    }
  }
  return { packets, events, passed };
}

test('packets within the limits pass unchanged, however the bytes are split into chunks', () => {
  const stream = Buffer.concat([
    connect, publish(10), publish(1000), publish(0, 0), publish(127, 2), subscribe(3),
    publish(999, 1, 9, 'x'.repeat(300)),
  ]);
  for (const size of [1, 2, 3, 7, 100, stream.length]) {
    const { packets, events, passed } = run(stream, size);
    expect(events).toEqual([]);
    expect(passed).toBe(stream.length);
    expect(packets.map((p) => p.cmd)).toEqual([
      'connect', 'publish', 'publish', 'publish', 'publish', 'subscribe', 'publish',
    ]);
  }
});

test(
  'an oversize PUBLISH becomes a stand-in with its QoS and packet id and no payload; its body is discarded; the next ' +
    'packet passes',
  () => {
    for (const qos of [0, 1, 2] as const) {
      const stream = Buffer.concat([connect, publish(50_000, qos, 42, 'home/big/one', true), publish(5, 1, 43)]);
      for (const size of [1, 5, 1000, stream.length]) {
        const { packets, events, passed } = run(stream, size);
        expect(events).toEqual([
          { kind: 'dropped', topic: 'home/big/one', qos, bytes: publish(50_000, qos, 42, 'home/big/one').length - 4 },
        ]);
        expect(passed).toBeLessThan(200);
        const [, standIn, next] = packets as mqttPacket.IPublishPacket[];
        expect(standIn).toMatchObject({
          cmd: 'publish', topic: DROPPED_TOPIC, qos, retain: false, payload: Buffer.alloc(0),
        });
        if (qos > 0) expect(standIn!.messageId).toBe(42);
        expect(next).toMatchObject({ cmd: 'publish', topic: 'home/a/b', messageId: 43 });
      }
    }
  },
);

test('any other packet over the limit, or a malformed length, closes the connection', () => {
  expect(run(Buffer.concat([connect, subscribe(200)]), 64).events).toEqual([
    { kind: 'close', reason: expect.stringMatching(/^a packet of \d+ bytes, more than 2000$/) },
  ]);
  expect(new OversizeFilter(10, 10).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])).events).toEqual([
    { kind: 'close', reason: 'a malformed packet length (MQTT-2.2.3)' },
  ]);
  // A PUBLISH whose topic length runs past the packet.
  expect(new OversizeFilter(10, 10).feed(Buffer.from([0x32, 20, 0xff, 0xff, ...Buffer.alloc(18)])).events).toEqual([
    { kind: 'close', reason: expect.stringMatching(/malformed PUBLISH/) },
  ]);
});

test(
  'property: for any mix of packets and any chunking, the packets Aedes sees are the small ones, in order, plus one ' +
    'stand-in per oversize PUBLISH',
  () => {
    const packet = fc.oneof(
      fc.record({
        kind: fc.constant('publish' as const),
        bytes: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1001, max: 100_000 })),
        qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
        topic: fc.string({ minLength: 1, maxLength: 30 }).map((t) => t.replace(/[+#\u0000]/g, '_')),
      }),
      fc.record({ kind: fc.constant('ping' as const) }),
    );
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 12 }), fc.integer({ min: 1, max: 4096 }), (packets, chunk) => {
        const wire = packets.map((p, i) =>
          p.kind === 'ping' ? mqttPacket.generate({ cmd: 'pingreq' }) : publish(p.bytes, p.qos, i + 1, p.topic),
        );
        const { packets: seen, events } = run(Buffer.concat([connect, ...wire]), chunk);
        const expected = packets.map((p) =>
          p.kind === 'ping' ? 'pingreq' : p.bytes > 1000 ? `drop ${p.qos}` : `publish ${p.topic}`,
        );
        const got = seen
          .slice(1)
          .map((p) =>
            p.cmd === 'publish' ? (p.topic === DROPPED_TOPIC ? `drop ${p.qos}` : `publish ${p.topic}`) : p.cmd,
          );
        expect(got).toEqual(expected);
        expect(events.filter((e) => e.kind === 'dropped')).toHaveLength(
          packets.filter((p) => p.kind === 'publish' && p.bytes > 1000).length,
        );
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  },
);
