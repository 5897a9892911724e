/**
 * Whose topic tree is whose. ESPHome's and Shelly's topics start with the device's own name
 * (`livingroom/status`, `shellyplusht-…/online`), so their presets subscribe with a wildcard first level
 * (`+/status`), which MQTT cannot narrow: `homeassistant/status` (Home Assistant's birth and will) or
 * `weather/status` arrive too. A source never takes a topic whose first level belongs to someone else:
 * pimonitor's own trees, Home Assistant's discovery prefix, the roots the presets' firmwares use
 * (Tasmota's tele/stat/cmnd/tasmota, zigbee2mqtt), and every configured source's fixed first level. Such
 * a message is ignored by the wildcard's source, with the owner named; the owner, if configured, reads
 * it. A device cannot be called by one of these names (documented in the README). Pure.
 */

import { ALERT_TOPIC_ROOT, TOPIC_ROOT } from '../contract.js';
import { topicMatches, type Source } from './source.js';

export const HOME_ASSISTANT_PREFIX = 'homeassistant';
/** Roots that are pimonitor's own: no source may be configured there (shared/sources/spec.ts). */
export const OWN_ROOTS: readonly string[] = [TOPIC_ROOT, ALERT_TOPIC_ROOT.split('/')[0]!];
/** The first levels the presets' firmwares publish under by default, configured or not. */
const FIRMWARE_ROOTS: Readonly<Record<string, string>> = {
  tele: 'Tasmota',
  stat: 'Tasmota',
  cmnd: 'Tasmota',
  tasmota: 'Tasmota',
  zigbee2mqtt: 'Zigbee2MQTT',
};

/** Root → whose it is, in words ("Home Assistant's"); a source's own fixed roots name the source. */
export type Territory = ReadonlyMap<string, string>;

export function territoryOf(sources: readonly Source[], discoveryPrefix = HOME_ASSISTANT_PREFIX): Territory {
  const owners = new Map<string, string>();
  for (const root of OWN_ROOTS) owners.set(root, "pimonitor's own");
  for (const prefix of new Set([HOME_ASSISTANT_PREFIX, discoveryPrefix])) owners.set(prefix, "Home Assistant's");
  for (const [root, firmware] of Object.entries(FIRMWARE_ROOTS)) owners.set(root, `${firmware}'s`);
  for (const s of sources) for (const f of s.filters) if (!isWild(f)) owners.set(rootOf(f), `the ${s.name} source's`);
  return owners;
}

const rootOf = (topic: string) => topic.split('/')[0]!;
const isWild = (filter: string) => ['+', '#'].includes(rootOf(filter)) || rootOf(filter) === '';

/**
 * Why `source` leaves `topic` to its owner, or null when the topic is the source's: it matched only a
 * filter with a wildcard first level, and its first level is in `territory` as another's.
 */
export function foreignReason(source: Source, topic: string, territory: Territory): string | null {
  const matching = source.filters.filter((f) => topicMatches(f, topic));
  if (matching.length === 0 || matching.some((f) => !isWild(f))) return null;
  const root = rootOf(topic);
  const owner = territory.get(root);
  if (owner === undefined || owner === `the ${source.name} source's`) return null;
  return `${root}/ is ${owner} topic tree, not a device of the ${source.name} source`;
}

/** The sources, each knowing the territory of all: what parseSources returns. */
export function fenced(sources: readonly Source[], discoveryPrefix?: string): Source[] {
  const territory = territoryOf(sources, discoveryPrefix);
  return sources.map((s) => ({ ...s, foreign: (topic: string) => foreignReason(s, topic, territory) }));
}

/** The roots a wildcard first level leaves out, for `pimonitor sources list`. */
export const fencedRoots = (sources: readonly Source[], discoveryPrefix?: string) => [
  ...territoryOf(sources, discoveryPrefix).keys(),
];
