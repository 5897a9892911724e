import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodeReading, readingTopic, statusTopic } from '../shared/contract.js';

/** One sensor on a node: its name is the <sensor> topic level; read() returns {metric: value}. */
export interface Sensor {
  name: string;
  read(): Promise<Record<string, number>>;
}

export interface NodeOptions {
  url: string;
  device: string;
  username?: string;
  password?: string;
  intervalMs: number;
  sensors: Sensor[];
  connect?: (url: string, options: IClientOptions) => MqttClient;
  now?: () => Date;
  onPublished?: (sensor: string, metrics: Record<string, number>) => void;
  onReadFailed?: (sensor: string, err: unknown) => void;
}

/**
 * A sensor node: reads every sensor each interval and publishes at QoS 1 to home/<device>/<sensor>.
 * Announces itself with a retained `online`; its Last Will is a retained `offline`.
 * start() resolves once connected; stop() announces `offline` and closes; safe to call twice.
 */
export class SensorNode {
  private client?: MqttClient;
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly options: NodeOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    const { url, device, username, password } = this.options;
    const status = statusTopic(device);
    const connect = this.options.connect ?? mqtt.connect;
    const client = connect(url, {
      clientId: `pimonitor-node-${device}`,
      username: username || undefined,
      password: password || undefined,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      reconnectPeriod: 1000,
    });
    this.client = client;
    client.on('error', () => {}); // reconnects on its own; a refused login shows as never connecting
    client.on('connect', () => client.publish(status, 'online', { qos: 1, retain: true }));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      const client = this.client;
      if (!client) return;
      if (client.connected) await client.publishAsync(statusTopic(this.options.device), 'offline', { qos: 1, retain: true });
      await client.endAsync();
    })();
    return this.stopping;
  }

  private async tick(): Promise<void> {
    await Promise.all(this.options.sensors.map((sensor) => this.readAndPublish(sensor)));
  }

  private async readAndPublish(sensor: Sensor): Promise<void> {
    const takenAt = this.now();
    let metrics: Record<string, number>;
    try {
      metrics = await sensor.read();
    } catch (err) {
      this.options.onReadFailed?.(sensor.name, err);
      return;
    }
    // MQTT.js keeps QoS 1 publishes while the broker is away and sends them on reconnect.
    this.client?.publish(readingTopic(this.options.device, sensor.name), encodeReading(metrics, takenAt), { qos: 1 });
    this.options.onPublished?.(sensor.name, metrics);
  }
}
