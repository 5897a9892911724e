import type { Unit } from './mapping.js';
import type { Source } from './source.js';
import { esphome } from './esphome.js';
import { shelly } from './shelly.js';
import { tasmota } from './tasmota.js';
import { zigbee2mqtt } from './zigbee2mqtt.js';

/** What a preset may be told besides its name; all optional in the configuration. */
export interface PresetOptions {
  name: string;
  /** The topic levels before the device's (tele for Tasmota, zigbee2mqtt, none for ESPHome and Shelly). */
  prefix?: string;
  /** Put before every device name this source makes, to keep them apart from others of the same name. */
  devicePrefix: string;
  /** The zone of device times sent without an offset (Tasmota's Time). */
  timeZone: string;
  /** The unit ESPHome temperatures arrive in (the others say theirs). */
  temperatureUnit?: Unit;
  /** The sensor name of a device with one (Zigbee2MQTT: `zigbee`). */
  sensor?: string;
}

export const PRESETS = { tasmota, zigbee2mqtt, esphome, shelly } as const satisfies Record<
  string,
  (o: PresetOptions) => Source
>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
export const isPreset = (name: unknown): name is PresetName => typeof name === 'string' && Object.hasOwn(PRESETS, name);
