import mqtt from 'mqtt';
import { startBroker } from '../../broker/broker.js';
import type { Db } from '../../shared/db.js';
import { createLogger } from '../../shared/log.js';
import { LiveFeed } from '../../web/live.js';
import { WebServer } from '../../web/server.js';

/**
 * A real broker and the web server on loopback, port 0, with a live feed subscribed; stop() stops what it
 * made: the server, the feed, its MQTT client and the broker.
 */
export async function startWebStack(db: Db, now?: () => number) {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  const client = mqtt.connect(broker.url, { reconnectPeriod: 500 });
  const live = new LiveFeed(client);
  const server = new WebServer({ db, live, host: '127.0.0.1', port: 0, now });
  const stop = async () => {
    await live.stop();
    await server.stop();
    await client.endAsync(true).catch(() => {});
    await broker.stop();
  };
  try {
    live.start();
    await server.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { broker, server, live, base: `http://127.0.0.1:${server.port}`, stop };
}
