import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import {
  discoveryMessages,
  discoveryState,
  parseDiscoveryState,
  type DiscoveryOptions,
  type DiscoverySensor,
  type DiscoveryState,
} from './discovery.js';

export interface HaDiscoveryOptions extends DiscoveryOptions {
  sensors: readonly DiscoverySensor[];
  /** Where what was announced is kept between runs (so removed sensors are removed from Home Assistant). */
  statePath?: string;
  /**
   * Home Assistant's birth message is answered after a random delay up to this long, so a house of nodes
   * does not answer at once.
   */
  maxReplyDelayMs?: number;
  random?: () => number;
}

/**
 * Announces a node's sensors to Home Assistant: on every (re)connect, when a sensor reports a metric
 * not announced yet (iio sensors learn theirs from the hardware), and when Home Assistant publishes
 * `online` on <prefix>/status — after its restart it has lost the state of every entity, and a memory
 * broker has lost the retained configs too (the classic "all sensors unavailable after a Home
 * Assistant restart" of ESPHome and Tasmota issues). `onBirth` then re-sends the current state.
 */
export class HaDiscovery {
  private readonly sensors: DiscoverySensor[];
  private previous: DiscoveryState | null;
  private birthTimer?: NodeJS.Timeout;

  constructor(private readonly options: HaDiscoveryOptions, private readonly onBirth: () => void) {
    this.sensors = options.sensors.map((sensor) => ({ ...sensor, metrics: [...sensor.metrics] }));
    this.previous = options.statePath ? readState(options.statePath) : null;
  }

  get statusTopic(): string {
    return `${this.options.prefix}/status`;
  }

  /** After CONNACK: listen for Home Assistant's birth, then announce. */
  connected(client: MqttClient): void {
    client.subscribe(this.statusTopic, { qos: 1 });
    this.announce(client);
  }

  /** A message on any subscribed topic; true when it was Home Assistant's and is handled here. */
  message(client: MqttClient, topic: string, payload: Buffer): boolean {
    if (topic !== this.statusTopic) return false;
    if (payload.toString() === 'online') {
      clearTimeout(this.birthTimer);
      const delay = Math.round((this.options.random ?? Math.random)() * (this.options.maxReplyDelayMs ?? 5000));
      this.birthTimer = setTimeout(() => {
        if (!client.connected) return;
        this.announce(client);
        this.onBirth();
      }, delay);
    }
    return true;
  }

  /** A reading arrived; announces its metrics if any is new. */
  readingMetrics(client: MqttClient | undefined, sensor: string, metrics: readonly string[]): void {
    const known = this.sensors.find((candidate) => candidate.name === sensor);
    const fresh = known ? metrics.filter((metric) => !known.metrics.includes(metric)) : [];
    if (!known || fresh.length === 0) return;
    known.metrics = [...known.metrics, ...fresh];
    if (client?.connected) this.announce(client);
  }

  stop(): void {
    clearTimeout(this.birthTimer);
  }

  private announce(client: MqttClient): void {
    const messages = discoveryMessages(this.options, this.sensors, this.previous);
    const state = discoveryState(this.options, this.sensors);
    let pending = messages.length;
    for (const message of messages) {
      client.publish(message.topic, message.payload, { qos: 1, retain: true }, (err) => {
        // Remembered once the broker has every message: a removal not yet delivered is sent again next time.
        if (err || --pending > 0) return;
        this.previous = state;
        if (this.options.statePath) writeState(this.options.statePath, state);
      });
    }
  }
}

function readState(path: string): DiscoveryState | null {
  try {
    return parseDiscoveryState(readFileSync(path, 'utf8'));
  } catch {
    return null; // first run
  }
}

function writeState(path: string, state: DiscoveryState): void {
  try {
    writeFileSync(`${path}.tmp`, JSON.stringify(state));
    renameSync(`${path}.tmp`, path);
  } catch {
    // A read-only disk costs only the removal of entities of sensors removed later; readings go on.
  }
}
