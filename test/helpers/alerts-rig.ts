import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { createLogger } from '../../shared/log.js';
import { createMigratedTestDatabase, type TestDatabase } from './database.js';

/**
 * What an alerts test drives: a database, a broker, the notifier's and the nodes' MQTT clients, and a webhook
 * receiver.
 */
export interface AlertsRig<H> {
  t: TestDatabase;
  broker: RunningBroker;
  /** The MQTT client an mqtt route publishes with. */
  publisher: mqtt.MqttClient;
  /** The sensor nodes' client. */
  node: mqtt.MqttClient;
  /** Webhook bodies received, in order, each with the path it was posted to. */
  hooks: Array<H & { path: string }>;
  hookUrl(path?: string): string;
}

/** Sets the rig up before the file's tests and closes all of it after them. */
export function useAlertsRig<H = Record<string, unknown>>(): AlertsRig<H> {
  const rig = { hooks: [] as Array<H & { path: string }> } as AlertsRig<H>;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => (rig.hooks.push({ ...JSON.parse(body), path: req.url }), res.end()));
  });
  rig.hookUrl = (path = '/') => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  beforeAll(async () => {
    rig.t = await createMigratedTestDatabase();
    rig.broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    rig.publisher = await mqtt.connectAsync(rig.broker.url, { clientId: 'alerts-notifier' });
    rig.node = await mqtt.connectAsync(rig.broker.url, { clientId: 'the-nodes' });
  }, 60_000);
  afterAll(async () => {
    await rig.node?.endAsync();
    await rig.publisher?.endAsync();
    await rig.broker?.stop();
    await new Promise((resolve) => server.close(resolve));
    await rig.t?.stop();
  });
  return rig;
}
