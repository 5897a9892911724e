// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { FilePersistence } from '../broker/journal/persistence.js';
import { createLogger } from '../shared/log.js';
import { eventually } from './helpers/net.js';

// MQTT 3.1.1 §4.6: a topic's QoS 1 messages reach subscribers in the order their publisher sent them.
// With the PUBACK after the store (broker/ack-after-store.ts), the publishes of one socket read ran side
// by side and a retained message, one store step longer, was overtaken by the plain one after it: a
// hostile review found 2 inversions in 200, live and in a persistent session's stored queue.
let broker: RunningBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

const inversions = (xs: number[]) => xs.filter((x, i) => i > 0 && x < xs[i - 1]!).length;

for (const store of ['file', 'memory'] as const) {
  test(
    `one publisher's QoS 1 messages on a topic, every fifth retained, arrive in order, live and from a stored queue ` +
      `(${store})`,
    async () => {
      const log = createLogger('broker', 'silent');
      const persistence =
        store === 'file'
          ? new FilePersistence({
              dir: mkdtempSync(join(tmpdir(), 'pimonitor-order-')), log, fsyncIntervalMs: 1000, compactBytes: 64 << 20,
            })
          : undefined;
      broker = await startBroker({
        host: '127.0.0.1', port: 0, log, limits: { maxPublishesPerSecond: 1_000_000 },
        ...(persistence ? { persistence } : {}),
      });
      const away = await mqtt.connectAsync(broker.url, { clientId: 'away', clean: false, reconnectPeriod: 0 });
      await away.subscribeAsync('t/#', { qos: 1 });
      await away.endAsync();
      const live = await mqtt.connectAsync(broker.url, { clientId: 'live', clean: false, reconnectPeriod: 0 });
      const pub = await mqtt.connectAsync(broker.url, { clientId: 'pub', reconnectPeriod: 0 });
      const seen: number[] = [];
      const queued: number[] = [];
      let back: mqtt.MqttClient | undefined;
      try {
        live.on('message', (_t, p) => seen.push(Number(p.toString())));
        await live.subscribeAsync('t/#', { qos: 1 });
        await Promise.all(
          Array.from({ length: 200 }, (_, i) => pub.publishAsync('t/a', String(i), { qos: 1, retain: i % 5 === 0 })),
        );
        await eventually('200 live', async () => (seen.length >= 200 ? true : undefined), 10_000);
        back = mqtt.connect(broker.url, { clientId: 'away', clean: false, reconnectPeriod: 0 });
        back.on('message', (_t, p) => queued.push(Number(p.toString())));
        await eventually('200 from the queue', async () => (queued.length >= 200 ? true : undefined), 10_000);
        expect({
          live: seen.length, liveInversions: inversions(seen), queued: queued.length,
          queuedInversions: inversions(queued),
        }).toEqual({ live: 200, liveInversions: 0, queued: 200, queuedInversions: 0 });
      } finally {
        await Promise.all([live.endAsync(true), pub.endAsync(true), back?.endAsync(true)]);
      }
    },
  );
}
