import mqtt, { type MqttClient } from 'mqtt';
import { readingTopic } from '../../shared/contract.js';

export interface LoadOptions {
  url: string;
  publishers: number;
  /** Messages in all, split evenly between publishers. */
  total: number;
  /** Offered messages per second over all publishers; undefined: as fast as QoS 1 allows. */
  ratePerSecond?: number;
  /**
   * The first reading's ts; each publisher's readings are 1 ms apart, so every message is a distinct row.
   * Default: an hour ago, well within any raw retention and clear of the future-skew limit.
   */
  baseTs?: number;
  devicePrefix?: string;
  /** Called with each message's sequence number and the time its PUBACK arrived. */
  onAck?: (seq: number, publisher: number, ackedAt: number) => void;
  /** Called with the connected clients before publishing starts, so a test can close them even if it fails midway. */
  onConnected?: (clients: MqttClient[]) => void;
}

/** The DHT22 reading a load publisher sends: realistic values, a sequence number and the send time. */
export function loadPayload(seq: number, ts: number, sentAt: number): string {
  return JSON.stringify({ temperature: 20 + (seq % 50) / 10, humidity: 40 + (seq % 200) / 10, seq, sent: sentAt, ts });
}

/**
 * Publishes `total` DHT22 readings at QoS 1 from `publishers` connections (home/<prefix><n>/dht22),
 * and resolves once the broker has acknowledged every one. Publishers reconnect on their own, and
 * MQTT.js resends unacknowledged messages, so a broker restart delays rather than fails the run.
 */
export async function publishLoad(options: LoadOptions): Promise<{ acked: number; clients: MqttClient[] }> {
  const {
    url,
    publishers,
    total,
    ratePerSecond,
    baseTs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000,
    devicePrefix = 'load',
    onAck,
    onConnected,
  } = options;
  const perPublisher = Math.ceil(total / publishers);
  const clients = await Promise.all(
    Array.from({ length: publishers }, (_, p) =>
      mqtt.connectAsync(url, { clientId: `${devicePrefix}-pub-${p}`, clean: false, reconnectPeriod: 200 }),
    ),
  );
  onConnected?.(clients);
  let acked = 0;
  const started = Date.now();
  await Promise.all(
    clients.map(async (client, p) => {
      const topic = readingTopic(`${devicePrefix}${p}`, 'dht22');
      const count = Math.min(perPublisher, total - p * perPublisher);
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        if (ratePerSecond) {
          const due = started + ((i * publishers + p) * 1000) / ratePerSecond;
          const wait = due - Date.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const seq = p * perPublisher + i;
        inflight.push(
          client.publishAsync(topic, loadPayload(seq, baseTs + i, Date.now()), { qos: 1 }).then(() => {
            acked++;
            onAck?.(seq, p, Date.now());
          }),
        );
        // Bound what one connection has outstanding, as a real node would.
        if (inflight.length >= 200) await Promise.all(inflight.splice(0));
      }
      await Promise.all(inflight);
    }),
  );
  return { acked, clients };
}

export async function closeAll(clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.endAsync(true)));
}
