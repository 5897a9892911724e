// @engine-independent: opens no database (jest.config.js)
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { eventually } from './helpers/net.js';

let broker: RunningBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

// A retained message takes one more persistence call (storeRetained) than a plain one, so a plain
// message published just after it reaches the emitter first, with a higher broker counter. Aedes's
// duplicate check (the highest counter per client) then dropped the retained one for every subscriber:
// a node's `online` after connect never reached ingest (broker/exact-dedupe.ts).
test(
  'a message that reaches the emitter after a later one is still delivered; one matching two subscriptions is ' +
    'delivered once',
  async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'watcher', clean: true });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'node' });
    try {
      const got: string[] = [];
      sub.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
      await sub.subscribeAsync(['home/#', 'home/n1/+'], { qos: 1 });
      const sent: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        sent.push(pub.publishAsync('home/n1/status', `online ${i}`, { qos: 1, retain: true }));
        sent.push(pub.publishAsync('home/n1/dht22', `reading ${i}`, { qos: 1 }));
      }
      await Promise.all(sent);
      await eventually('40 messages', async () => (got.length >= 40 ? true : undefined), 5000).catch(() => undefined);
      expect(got.filter((m) => m.includes('online')).length).toBe(20);
      expect(got.filter((m) => m.includes('reading')).length).toBe(20);
    } finally {
      await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
    }
  },
);
