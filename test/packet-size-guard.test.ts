import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from '../broker/packet-size-guard.js';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({ cmd: 'publish', topic: 'home/a/b', payload: Buffer.alloc(payloadBytes), qos: 1, messageId: 1, dup: false, retain: false });
const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'x', keepalive: 0 });

test('packets within the limit pass, however the bytes are split into chunks', () => {
  const stream = Buffer.concat([connect, publish(10), publish(1000), publish(0), publish(127), publish(16_383)]);
  for (const size of [1, 2, 3, 7, 100, stream.length]) {
    const guard = new PacketSizeGuard(20_000);
    for (let i = 0; i < stream.length; i += size) expect(guard.feed(stream.subarray(i, i + size))).toBeNull();
  }
});

test('a packet announced larger than the limit is reported from its header, before its body', () => {
  const guard = new PacketSizeGuard(1024);
  expect(guard.feed(connect)).toBeNull();
  const big = publish(5000);
  expect(guard.feed(big.subarray(0, 3))).toMatch(/^a packet of \d+ bytes, more than 1024$/);
});

test('a length of more than four bytes is malformed', () => {
  expect(new PacketSizeGuard(Number.MAX_SAFE_INTEGER).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe('a malformed packet length');
});

test('a 256 MB announcement is refused at once', () => {
  expect(new PacketSizeGuard(65_536).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toMatch(/more than 65536/);
});
