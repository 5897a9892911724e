import { TOPIC_ROOT } from '../shared/contract.js';

export const ROLES = ['device', 'ingest', 'alerts', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Who a connected client is: an account with a role, or anonymous (allowed only while no account exists). */
export type Principal = { kind: 'anonymous' } | { kind: 'account'; name: string; role: Role };

export type Decision = { ok: true } | { ok: false; reason: string };

const allow: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });
const HA_STATUS = 'homeassistant/status';
export const SYS_PREFIX = '$SYS/';

/** Whether filter-or-topic `t` lies inside `root/#` (wildcards only below the root, never above it). */
function within(root: string, t: string): boolean {
  const [first] = t.split('/');
  return first === root;
}

/** Home Assistant discovery topics of one device: homeassistant/<component>/<device>/… (node_id = device). */
function isOwnDiscovery(name: string, topic: string): boolean {
  const levels = topic.split('/');
  return levels[0] === 'homeassistant' && levels.length >= 4 && levels[2] === name;
}

/**
 * May `who` publish to `topic`? Deny by default: a device writes only under its own home/<name>/
 * (and its own discovery topics); service accounts never write readings. Pure.
 */
export function canPublish(who: Principal, topic: string): Decision {
  // Only the broker publishes under $SYS/: Aedes uses $SYS/<id>/new/clients to evict a client id across
  // a cluster, so a client publishing there could disconnect any other (ingest included).
  if (topic.startsWith(SYS_PREFIX)) return deny(`no client may publish under ${SYS_PREFIX}; only the broker does`);
  if (who.kind === 'anonymous') return allow;
  switch (who.role) {
    case 'device':
      if (topic.startsWith(`${TOPIC_ROOT}/${who.name}/`) || isOwnDiscovery(who.name, topic)) return allow;
      return deny(`device ${who.name} may publish only to ${TOPIC_ROOT}/${who.name}/# and its own discovery topics`);
    case 'alerts':
      if (topic.startsWith('pimonitor/alerts/')) return allow;
      return deny('the alerts account may publish only to pimonitor/alerts/#');
    case 'reader':
      if (topic === HA_STATUS) return allow;
      return deny(`a reader account may publish only ${HA_STATUS}`);
    case 'ingest':
      return deny('the ingest account may not publish');
  }
}

/** May `who` subscribe to `filter`? Readers of data may read home/#; devices only what they need. Pure. */
export function canSubscribe(who: Principal, filter: string): Decision {
  // Broker internals (cluster heartbeats, client ids) are for monitoring accounts only.
  if (filter.startsWith('$SYS')) return who.kind === 'account' && who.role === 'reader' ? allow : deny('only a reader account may subscribe to $SYS/#');
  if (who.kind === 'anonymous') return allow;
  if (who.role === 'device') {
    return filter === HA_STATUS ? allow : deny(`device ${who.name} may subscribe only to ${HA_STATUS}`);
  }
  if (within(TOPIC_ROOT, filter)) return allow;
  if (who.role !== 'ingest' && (within('homeassistant', filter) || within('pimonitor', filter))) return allow;
  return deny(`the ${who.role} account may subscribe only within ${TOPIC_ROOT}/#${who.role === 'ingest' ? '' : ', homeassistant/# and pimonitor/#'}`);
}
