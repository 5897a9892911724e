// @engine-independent: opens no database (jest.config.js)
import { parseSources } from '../shared/sources/spec.js';
import { type AccountsBroker, closedWithin } from './support/accounts.js';
import { accountsBrokerPerTest, collect, sleep } from './support/accounts-per-test.js';

// Issue 23, "No account can act as another": what the owner of one valid account tried, through the
// real broker and MQTT.js clients. Each case failed before the change. Here: shared topic trees, source
// accounts and quotas; broker-accounts.test.ts: client ids, sessions and wills.

const brokers = accountsBrokerPerTest();
let b: AccountsBroker;

/** Connects as `account` and publishes one message the broker must answer by closing the connection. */
async function expectClosedOn(account: string, topic: string, payload: string, options: { qos: 1; retain?: boolean }) {
  const client = await b.connect(account);
  const closed = closedWithin(client, 3000);
  client.publish(topic, payload, options);
  expect(await closed).toBe(true);
}

describe('shared trees and source accounts', () => {
  const parsed = parseSources([
    { preset: 'zigbee2mqtt' }, { preset: 'zigbee2mqtt', prefix: 'z2m-garage', name: 'garage' }, { preset: 'tasmota' },
  ], 'UTC');
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const sources = parsed.value;
  const start = () => brokers.start([
    ['kitchen', 'device'], ['zigbee2mqtt', 'device', 'zigbee2mqtt'], ['z2m-garage', 'device', 'zigbee2mqtt'],
    ['porch', 'device', 'tasmota'], ['garden', 'device', 'tasmota'], ['ha', 'reader'],
  ], { sources });

  test('a bridge cannot set a Pi node offline, write its readings, or replace its discovery', async () => {
    b = await start();
    for (const [topic, payload, retain] of [
      ['zigbee2mqtt/kitchen/availability', '{"state":"offline"}', true],
      ['zigbee2mqtt/kitchen', '{"temperature":99}', false],
      ['homeassistant/sensor/kitchen/dht22_temperature/config', '', true],
    ] as const) {
      await expectClosedOn('zigbee2mqtt', topic, payload, { qos: 1, retain });
    }
    expect(b.broker.stats.refused.source_device).toBe(2);
    expect(b.broker.stats.refused.not_owner).toBe(1);
    // Its own devices are fine.
    const bridge = await b.connect('zigbee2mqtt');
    await bridge.publishAsync('zigbee2mqtt/Garden Sensor', '{"temperature":12}', { qos: 1 });
    await bridge.publishAsync('zigbee2mqtt/Garden Sensor/availability', '{"state":"online"}', { qos: 1, retain: true });
    expect(bridge.connected).toBe(true);
  });

  test('a device one bridge made is not another bridge\'s to write', async () => {
    b = await start();
    const first = await b.connect('zigbee2mqtt');
    await first.publishAsync('zigbee2mqtt/Shed', '{"temperature":8}', { qos: 1 });
    await expectClosedOn('z2m-garage', 'z2m-garage/Shed', '{"temperature":30}', { qos: 1 });
    expect(b.broker.stats.refused.source_device).toBe(1);
  });

  test(
    'a retained discovery topic belongs to the account that wrote it first; revoking that account releases it',
    async () => {
      b = await start();
      const porch = await b.connect('porch');
      await porch.publishAsync('tasmota/discovery/A0B1C2D3E4F5/config', '{"t":"porch"}', { qos: 1, retain: true });
      await expectClosedOn('garden', 'tasmota/discovery/A0B1C2D3E4F5/config', '', { qos: 1, retain: true });
      const bridge = await b.connect('zigbee2mqtt');
      const discovery = 'homeassistant/sensor/0x00158d0001e1a2b3/temperature/config';
      await bridge.publishAsync(discovery, '{"name":"t"}', { qos: 1, retain: true });
      await expectClosedOn('z2m-garage', discovery, '{"name":"evil"}', { qos: 1, retain: true });
      // The reader still sees the first bridge's config.
      const ha = await b.connect('ha');
      const seen = collect(ha);
      await ha.subscribeAsync('homeassistant/sensor/+/temperature/config', { qos: 1 });
      await sleep(200);
      expect(seen).toEqual(['homeassistant/sensor/0x00158d0001e1a2b3/temperature/config {"name":"t"}']);
      b.revoke('porch');
      await b.reloaded();
      const after = await b.connect('garden');
      await after.publishAsync('tasmota/discovery/A0B1C2D3E4F5/config', '', { qos: 1, retain: true });
      expect(after.connected).toBe(true);
    },
  );

  test('no account can lock Home Assistant out: its birth topic may not be retained, nor claimed', async () => {
    b = await start();
    await b.add('grafana', 'reader');
    await b.reloaded();
    await expectClosedOn('grafana', 'homeassistant/status', 'offline', { qos: 1, retain: true });
    const ha = await b.connect('ha');
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await sleep(100);
    expect(ha.connected).toBe(true);
  });

  test(
    'a bridge cannot reach a Pi node through a message the broker would read as too early, too big or out of range',
    async () => {
      b = await start();
      const future = new Date(Date.now() + 6 * 60_000).toISOString();
      for (const payload of [
        JSON.stringify({ temperature: 99, last_seen: future }),
        JSON.stringify({ temperature: 99, pad: 'x'.repeat(20_000) }),
        JSON.stringify({ humidity: 400 }),
      ]) {
        await expectClosedOn('zigbee2mqtt', 'zigbee2mqtt/kitchen', payload, { qos: 1, retain: true });
      }
      expect(b.broker.stats.refused.source_device).toBe(3);
    },
  );

  test(
    'a node\'s discovery topics are its own even when a bridge retained them before the node\'s account existed',
    async () => {
      b = await start();
      const bridge = await b.connect('zigbee2mqtt');
      const discovery = 'homeassistant/sensor/attic/dht22_temperature/config';
      await bridge.publishAsync(discovery, '{"name":"squat"}', { qos: 1, retain: true });
      await b.add('attic', 'device');
      await b.reloaded();
      const attic = await b.connect('attic');
      await attic.publishAsync(discovery, '{"name":"attic temperature"}', { qos: 1, retain: true });
      expect(attic.connected).toBe(true);
      const ha = await b.connect('ha');
      const seen = collect(ha);
      await ha.subscribeAsync('homeassistant/sensor/attic/#', { qos: 1 });
      await sleep(200);
      expect(seen).toEqual(['homeassistant/sensor/attic/dht22_temperature/config {"name":"attic temperature"}']);
    },
  );

  test('a Tasmota reads only its own commands and fallback topic', async () => {
    b = await start();
    const porch = await b.connect('porch', { clientId: 'DVES_AAAAAA' });
    const outcomes: string[] = [];
    for (const topic of ['cmnd/porch/#', 'cmnd/DVES_AAAAAA_fb/#', 'cmnd/DVES_BBBBBB_fb/#', 'cmnd/garden/#']) {
      outcomes.push(await porch.subscribeAsync(topic, { qos: 0 }).then(() => 'granted', () => 'refused'));
    }
    expect(outcomes).toEqual(['granted', 'granted', 'refused', 'refused']);
  });
});

describe('quotas per account', () => {
  test('connections per account: one more is refused, and another account is unaffected', async () => {
    b = await brokers.start([['kitchen', 'device'], ['rogue', 'device']], { limits: { maxConnectionsPerAccount: 3 } });
    for (let i = 0; i < 3; i++) await b.connect('rogue', { clientId: `rogue-${i}` });
    await expect(b.connect('rogue', { clientId: 'rogue-3' })).rejects.toThrow(/Not authorized/);
    expect(b.broker.stats.refused.connections).toBe(1);
    expect((await b.connect('kitchen')).connected).toBe(true);
  });

  test(
    'retained messages per account: a flood of 60 KB retained messages stops at the quota, and what was accepted stays',
    async () => {
      b = await brokers.start([['rogue', 'device'], ['ha', 'reader']], {
        limits: { maxRetainedPerAccount: 50, maxRetainedBytesPerAccount: 1024 * 1024 },
      });
      const big = Buffer.alloc(60 * 1024, 'x');
      let accepted = 0;
      let disconnects = 0;
      const before = process.memoryUsage().rss;
      for (let round = 0; round < 5 && accepted < 200; round++) {
        const rogue = await b.connect('rogue');
        const closed = closedWithin(rogue, 5000);
        for (let i = 0; i < 40; i++) {
          rogue.publish(`home/rogue/s${round * 40 + i}/diag`, big, { qos: 1, retain: true }, (err) => {
            if (!err) accepted++;
          });
        }
        if (await closed) disconnects++;
      }
      const grewMiB = (process.memoryUsage().rss - before) / 2 ** 20;
      // 1 MiB / 60 KiB: 17 fit.
      expect(accepted).toBeLessThanOrEqual(17);
      expect(disconnects).toBeGreaterThanOrEqual(1);
      expect(b.broker.stats.refused.retained_quota).toBeGreaterThanOrEqual(1);
      const ha = await b.connect('ha');
      const seen = collect(ha);
      await ha.subscribeAsync('home/rogue/+/diag', { qos: 0 });
      await sleep(300);
      expect(seen.length).toBeLessThanOrEqual(17);
      console.log(
        `retained flood: ${accepted} of 200 accepted, ${disconnects} disconnects, rss grew ${grewMiB.toFixed(1)} MiB`,
      );
    },
  );

  test('retained bytes hold in a burst checked side by side (one socket read of 40 messages)', async () => {
    b = await brokers.start([['rogue', 'device']], {
      limits: { maxRetainedBytesPerAccount: 1024 * 1024, maxRetainedPerAccount: 30 },
    });
    const rogue = await b.connect('rogue');
    const big = Buffer.alloc(60 * 1024, 'y');
    let accepted = 0;
    const closed = closedWithin(rogue, 5000);
    for (let i = 0; i < 40; i++) {
      const burst = `home/rogue/burst${i}/diag`;
      rogue.publish(burst, big, { qos: 1, retain: true }, (err) => (err ? undefined : accepted++));
    }
    expect(await closed).toBe(true);
    expect(accepted).toBeLessThanOrEqual(17);
  });

  test(
    'devices per source account: a bridge inventing a new friendly name per message stops at the quota',
    async () => {
      const parsed = parseSources('zigbee2mqtt', 'UTC');
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      b = await brokers.start([['zigbee2mqtt', 'device', 'zigbee2mqtt']], {
        sources: parsed.value, limits: { maxDevicesPerAccount: 5 },
      });
      const bridge = await b.connect('zigbee2mqtt');
      for (let i = 0; i < 5; i++) {
        await bridge.publishAsync(`zigbee2mqtt/sensor ${i}`, '{"temperature":20}', { qos: 1 });
      }
      // Known devices are fine; the sixth is one too many.
      await bridge.publishAsync('zigbee2mqtt/sensor 0', '{"temperature":21}', { qos: 1 });
      const closed = closedWithin(bridge, 3000);
      bridge.publish('zigbee2mqtt/sensor 5', '{"temperature":20}', { qos: 1 });
      expect(await closed).toBe(true);
      expect(b.broker.stats.refused.device_quota).toBe(1);
    },
  );

  test('the publish rate is the account\'s: two connections share one budget', async () => {
    b = await brokers.start([['rogue', 'device']], { limits: { maxPublishesPerSecond: 50 } });
    const one = await b.connect('rogue', { clientId: 'r1' });
    const two = await b.connect('rogue', { clientId: 'r2' });
    const closed = Promise.race([closedWithin(one, 3000), closedWithin(two, 3000)]);
    for (let i = 0; i < 40; i++) {
      one.publish('home/rogue/a', '{"v":1}', { qos: 0 });
      two.publish('home/rogue/b', '{"v":1}', { qos: 0 });
    }
    expect(await closed).toBe(true);
    expect(b.broker.stats.dropped.rate_limit).toBeGreaterThanOrEqual(1);
  });
});
