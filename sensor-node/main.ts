import type { Config } from '../config/index.js';
import { createLogger } from '../shared/log.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { SensorNode, type Sensor } from './node.js';
import { createRandomWalk, DHT22_WALK } from './simulated.js';

export class NodeConfigError extends Error {}

/** The sensor node process. Hardware drivers come with the sensor-node issue; today: --simulate. */
export async function runNode(config: Config): Promise<void> {
  const log = createLogger('node', config.log.level);
  const { node, mqtt } = config;
  const sensors: Sensor[] = [];
  if (node.simulate) {
    const walk = createRandomWalk(DHT22_WALK);
    sensors.push({ name: 'dht22', read: async () => walk() });
  }
  if (sensors.length === 0) {
    throw new NodeConfigError('no sensors configured: run with --simulate (or NODE_SIMULATE=true) to publish a simulated DHT22');
  }
  const sensorNode = new SensorNode({
    url: mqtt.url,
    device: node.device,
    username: mqtt.username,
    password: mqtt.password,
    intervalMs: node.intervalMs,
    sensors,
    onPublished: (sensor, metrics) => log.debug({ sensor, ...metrics }, 'published'),
    onReadFailed: (sensor, err) => log.warn({ sensor, err: (err as Error).message }, 'sensor read failed'),
  });
  stopOnSignal(() => sensorNode.stop(), log);
  log.info({ device: node.device, mqtt: mqtt.url, sensors: sensors.map((s) => s.name), intervalMs: node.intervalMs }, 'node starting');
  await sensorNode.start();
  log.info('connected; publishing');
}
