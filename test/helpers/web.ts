import mqtt from 'mqtt';
import { startBroker } from '../../broker/broker.js';
import type { Db } from '../../shared/db.js';
import { createLogger } from '../../shared/log.js';
import { LiveFeed } from '../../web/live.js';
import { WebServer } from '../../web/server.js';

/** A real broker and the web server on loopback, port 0, live feed subscribed; stop() closes both. */
export async function startWebStack(db: Db, now?: () => number) {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
  const server = new WebServer({ db, live: new LiveFeed(mqtt.connect(broker.url, { reconnectPeriod: 500 })), host: '127.0.0.1', port: 0, now });
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    await broker.stop();
    throw err;
  }
  return {
    broker, server, base: `http://127.0.0.1:${server.port}`,
    async stop() {
      await server.stop();
      await broker.stop();
    },
  };
}
