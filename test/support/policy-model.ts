/**
 * A small model of who may do what in the broker, written from the README's rules and independent of
 * broker/policy.ts and broker/ownership.ts, for the accounts the property test uses:
 *   kitchen, garage: pimonitor nodes · zigbee2mqtt: a Zigbee2MQTT bridge · porch: a Tasmota ·
 *   attic: another Tasmota · ha: a reader (Home Assistant) · ingest: the ingest service.
 * Sources configured: zigbee2mqtt and tasmota (their default topics).
 */

export const MODEL_ACCOUNTS = ['kitchen', 'garage', 'zigbee2mqtt', 'porch', 'attic', 'ha', 'ingest'] as const;
export type ModelAccount = (typeof MODEL_ACCOUNTS)[number];
const SOURCE_FILTERS = ['tele/+/SENSOR', 'tele/+/LWT', 'zigbee2mqtt/#'];

const levels = (t: string) => t.split('/');
const under = (t: string, root: string) => t === root || t.startsWith(`${root}/`);

/** Whether MQTT filter `f` matches topic `t`. */
export function matches(f: string, t: string): boolean {
  const a = levels(f);
  const b = levels(t);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return !t.startsWith('$') || i > 0;
    if (i >= b.length) return false;
    if (a[i] === '+') {
      if (i === 0 && t.startsWith('$')) return false;
      continue;
    }
    if (a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}

/** Whether every topic `inner` matches is matched by `outer` too (for filters). */
function inside(inner: string, outer: string): boolean {
  const a = levels(inner);
  const b = levels(outer);
  for (let i = 0; i < b.length; i++) {
    if (b[i] === '#') return true;
    if (i >= a.length || a[i] === '#') return false;
    if (b[i] !== '+' && a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}

/** May `who` (connected with `clientId`) subscribe to `filter`? */
export function modelMayRead(who: ModelAccount, filter: string, clientId: string): boolean {
  if (filter.startsWith('$SYS')) return who === 'ha';
  switch (who) {
    case 'kitchen':
    case 'garage':
      return filter === 'homeassistant/status';
    case 'zigbee2mqtt':
      return filter === 'homeassistant/status' || filter.startsWith('zigbee2mqtt/');
    case 'porch':
    case 'attic':
      return (
        filter === 'homeassistant/status' ||
        filter.startsWith(`cmnd/${who}/`) ||
        filter.startsWith('cmnd/tasmotas/') ||
        filter === `cmnd/${clientId}_fb/#`
      );
    case 'ingest':
      return under(filter, 'home') && filter !== 'home' ? true : SOURCE_FILTERS.some((s) => inside(filter, s));
    case 'ha':
      return (
        ['home', 'homeassistant', 'pimonitor'].some((r) => filter.startsWith(`${r}/`)) ||
        SOURCE_FILTERS.some((s) => inside(filter, s))
      );
  }
}

/** The account a topic belongs to by its name (a node's tree, its discovery topics). */
function ownerByName(topic: string): ModelAccount | undefined {
  const [root, second, third] = levels(topic);
  const isAccount = (n: string | undefined) => MODEL_ACCOUNTS.includes(n as ModelAccount);
  if (root === 'home' && isAccount(second)) return second as ModelAccount;
  if (root === 'homeassistant' && levels(topic).length >= 4 && isAccount(third)) return third as ModelAccount;
  return undefined;
}

/**
 * May `who` write `topic` (with `payload`, where it matters), before ownership? A bridge's message on
 * zigbee2mqtt/<another account's name> is refused when it would map to that device (a reading or an
 * availability); an empty one maps to nothing and lands nowhere.
 */
export function modelMayWriteTopic(who: ModelAccount, topic: string, payload = 'x'): boolean {
  if (topic.startsWith('$SYS')) return false;
  const named = ownerByName(topic);
  if (named !== undefined && named !== who) return false;
  switch (who) {
    case 'kitchen':
    case 'garage':
      return (
        topic.startsWith(`home/${who}/`) ||
        (topic.startsWith('homeassistant/') && levels(topic)[2] === who && levels(topic).length >= 4)
      );
    case 'zigbee2mqtt': {
      if (topic.startsWith('homeassistant/')) return true;
      if (!topic.startsWith('zigbee2mqtt/')) return false;
      // Its messages may not speak for a device that is another account's.
      const device = levels(topic)[1];
      return payload === '' || !(MODEL_ACCOUNTS.includes(device as ModelAccount) && device !== who);
    }
    case 'porch':
    case 'attic':
      return (
        topic.startsWith(`tele/${who}/`) || topic.startsWith(`stat/${who}/`) || topic.startsWith('tasmota/discovery/')
      );
    case 'ha':
      return topic === 'homeassistant/status';
    case 'ingest':
      return false;
  }
}

/** Who may use which client id: ids of pimonitor's own processes, and accounts' names, are theirs alone. */
export function modelMayUseClientId(who: ModelAccount, clientId: string): boolean {
  if (MODEL_ACCOUNTS.includes(clientId as ModelAccount)) return clientId === who;
  if (clientId.startsWith('pimonitor-node-')) return clientId === `pimonitor-node-${who}`;
  if (clientId.startsWith('pimonitor-ingest')) return who === 'ingest';
  return true;
}

/** The state the model keeps: who holds each client id (for good, in these short runs) and each retained topic. */
export class PolicyModel {
  readonly clientIds = new Map<string, ModelAccount>();
  readonly retained = new Map<string, { owner: ModelAccount; payload: string }>();

  mayConnect(who: ModelAccount, clientId: string, willTopic?: string): boolean {
    if (!modelMayUseClientId(who, clientId)) return false;
    const holder = this.clientIds.get(clientId);
    if (holder !== undefined && holder !== who) return false;
    if (willTopic !== undefined && !this.mayPublish(who, willTopic, 'x', false)) return false;
    return true;
  }

  connected(who: ModelAccount, clientId: string): void {
    this.clientIds.set(clientId, who);
  }

  /** Home Assistant's birth topic is never retained; a topic owned by name is its owner's, whoever retained it. */
  mayPublish(who: ModelAccount, topic: string, payload: string, retain = false): boolean {
    if (!modelMayWriteTopic(who, topic, payload)) return false;
    if (topic === 'homeassistant/status') return !retain;
    const held = this.retained.get(topic);
    return held === undefined || held.owner === who || ownerByName(topic) === who;
  }

  published(who: ModelAccount, topic: string, payload: string, retain: boolean): void {
    if (!retain) return;
    if (payload === '') this.retained.delete(topic);
    else this.retained.set(topic, { owner: who, payload });
  }
}
