import type { IClientOptions, MqttClient } from 'mqtt';
import type { SwitchEvent } from '../shared/mqtt-connect.js';
import type { GpioPin, Readings, SensorDriver, SensorSpec } from './drivers/types.js';
import type { HaDiscovery } from './ha-discovery.js';
import type { Outbox } from './outbox.js';
import type { SamplerClock } from './sampler.js';
import type { WallClock } from './wall-clock.js';

/** What a SensorNode (node.ts) is given. */
export interface NodeOptions {
  url: string;
  device: string;
  username?: string;
  password?: string;
  sensors: Array<{ spec: SensorSpec; driver: SensorDriver }>;
  outbox: Outbox;
  wallClock: WallClock;
  diagIntervalMs: number;
  statusLed?: GpioPin;
  /** Home Assistant discovery, when enabled. */
  discovery?: HaDiscovery;
  connect?: (url: string, options: IClientOptions, onSwitch?: (event: SwitchEvent) => void) => MqttClient;
  /** MQTT keepalive in seconds (KEEPALIVE_S); tests shorten it. */
  keepaliveS?: number;
  samplerClock?: SamplerClock;
  random?: () => number;
  /** This boot's id (tests); read from /proc by default, null where it cannot be. */
  bootId?: string | null;
}

export interface NodeEvents {
  connected: [{ broker?: string }]; // the one of MQTT_URL's list, as scheme://host:port
  disconnected: [];
  reading: [{ sensor: string; readings: Readings; ts: Date }];
  held: [{ count: number }];
  sent: [{ position: number }];
  /** Readings lost, `count` of them: summarised by the caller, never one line each. */
  dropped: [{ what: string; count: number }];
  /** The outbox cannot store readings (`trouble`: the error), or can again (null). */
  diskTrouble: [{ trouble: NodeJS.ErrnoException | null }];
  /**
   * A connection attempt failed (`err` undefined: no answer within CONNECT_TIMEOUT_MS) at `broker` (one of
   * MQTT_URL's list).
   */
  linkProblem: [{ err: unknown; broker?: string }];
  /** Connected to another broker of MQTT_URL's list than last time (failover). */
  brokerSwitched: [SwitchEvent];
}

/**
 * MQTT keepalive: MQTT.js pings after this long without an acknowledgement and gives up 1.5 times it,
 * so a half-open Wi-Fi link is noticed in about 23 s (at MQTT.js's 60 s default, in 90 s).
 */
export const KEEPALIVE_S = 15;
export const CONNECT_TIMEOUT_MS = 10_000;
/** stop()'s default deadline: well below systemd's TimeoutStopSec (30 s, deploy/pimonitor-node.service). */
export const STOP_TIMEOUT_MS = 10_000;
