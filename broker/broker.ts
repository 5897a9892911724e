import { Aedes } from 'aedes';
import { createServer } from 'node:net';
import { listen } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  log: Logger;
}

export interface RunningBroker {
  readonly port: number;
  /** What a client on this machine connects to. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The embedded MQTT 3.1.1 broker: plain Aedes over TCP, so Home Assistant, Node-RED and
 * mosquitto_sub subscribe to the same home/# topics as ingest does.
 */
export async function startBroker({ host, port, log }: BrokerOptions): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker();
  aedes.on('client', (client) => log.info({ clientId: client.id }, 'client connected'));
  aedes.on('clientDisconnect', (client) => log.info({ clientId: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, err) => log.warn({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client, err) => log.warn({ err: err.message }, 'connection error before CONNECT'));
  const server = createServer(aedes.handle);
  let bound: number;
  try {
    bound = await listen(server, port, host, 'MQTT_PORT (broker.port)');
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  log.info({ host, port: bound }, 'MQTT broker listening');
  let stopped: Promise<void> | undefined;
  return {
    port: bound,
    url: `mqtt://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`,
    stop() {
      stopped ??= (async () => {
        // Stop accepting first, then let Aedes close its clients; server.close waits for their sockets.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await closed;
      })();
      return stopped;
    },
  };
}
