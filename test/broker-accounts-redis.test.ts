// @engine-independent: opens no database (jest.config.js)
import { randomBytes } from 'node:crypto';
import { redisCluster, type RedisCluster } from '../broker/cluster.js';
import { accountsBroker, closedWithin, type AccountsBroker } from './support/accounts.js';
import { dropRedisKeys, needsRedis } from './support/services.js';

// Issue 23 on a cluster: claims made on one broker hold on the other, and outlive a broker's restart,
// as the sessions and retained messages they guard do (both live in Redis).
const redisTest = await needsRedis('the ownership tests on a Redis cluster');
const prefix = `pimonitor-test-${randomBytes(4).toString('hex')}:`;
const opened: Array<AccountsBroker | RedisCluster> = [];
const ACCOUNTS: Array<[string, 'device', 'zigbee2mqtt']> = [
  ['kitchen', 'device', 'zigbee2mqtt'],
  ['rogue', 'device', 'zigbee2mqtt'],
];

async function member(limits = {}): Promise<AccountsBroker> {
  const cluster = await redisCluster({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
  const b = await accountsBroker(ACCOUNTS, { cluster, limits });
  opened.push(cluster, b);
  return b;
}
afterAll(async () => {
  for (const x of opened.reverse()) await x.close().catch(() => {});
  if (redisTest === test.skip) return;
  await dropRedisKeys(prefix);
}, 30_000);

redisTest(
  'a client id and a retained topic claimed on one broker are refused to another account on the other, '
    + 'and after a restart',
  async () => {
    const one = await member();
    const two = await member();
    const kitchen = await one.connect('kitchen', { clientId: 'kitchen-session', clean: false });
    await kitchen.publishAsync('homeassistant/sensor/0xabc/t/config', '{"name":"t"}', { qos: 1, retain: true });
    await kitchen.endAsync();
    const takeover = two.connect('rogue', { clientId: 'kitchen-session', clean: false });
    await expect(takeover).rejects.toThrow(/Identifier rejected/);
    const rogue = await two.connect('rogue');
    const closed = closedWithin(rogue, 3000);
    rogue.publish('homeassistant/sensor/0xabc/t/config', '', { qos: 1, retain: true });
    expect(await closed).toBe(true);
    // Not retained either: broker two heard of the claim from broker one over the shared emitter.
    const again = await two.connect('rogue');
    const refused = closedWithin(again, 3000);
    again.publish('homeassistant/sensor/0xabc/t/config', '{"name":"evil"}', { qos: 1 });
    expect(await refused).toBe(true);
    // A third broker started afterwards loads the claims.
    const three = await member();
    await expect(three.connect('rogue', { clientId: 'kitchen-session' })).rejects.toThrow(/Identifier rejected/);
    expect((await three.connect('kitchen', { clientId: 'kitchen-session', clean: false })).connected).toBe(true);
  },
  30_000,
);

redisTest('retained bytes hold with Redis when a burst is checked side by side (claims answered later)', async () => {
  const b = await member({ maxRetainedBytesPerAccount: 1024 * 1024 });
  const big = Buffer.alloc(60 * 1024, 'z');
  let accepted = 0;
  for (let round = 0; round < 3; round++) {
    const rogue = await b.connect('rogue', { clientId: `burst-${round}` });
    const closed = closedWithin(rogue, 5000);
    for (let i = 0; i < 40; i++) {
      const counted = (err?: Error) => (err ? undefined : accepted++);
      rogue.publish(`zigbee2mqtt/burst/${round}/${i}`, big, { qos: 1, retain: true }, counted);
    }
    await closed;
  }
  // 1 MiB / 60 KiB: 17 fit (before, 400 of 400 were stored).
  expect(accepted).toBeLessThanOrEqual(17);
}, 30_000);
