import { TOPIC_ROOT } from '../shared/contract.js';

export const ROLES = ['device', 'ingest', 'alerts', 'reader'] as const;
export type Role = (typeof ROLES)[number];
/** What firmware a device account runs: it decides the topics the device may use (see deviceMayPublish). */
export const DEVICE_KINDS = ['pimonitor', 'tasmota', 'zigbee2mqtt', 'esphome', 'shelly'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
/**
 * Topic roots no device account may be named after when its kind publishes under <name>/ (Zigbee2MQTT,
 * ESPHome, Shelly): an ESPHome account called `tele` could otherwise speak for every Tasmota.
 */
export const RESERVED_ROOTS = ['home', 'pimonitor', 'homeassistant', 'tele', 'stat', 'cmnd', 'tasmota', 'esphome'];
/** The kinds whose topics start with the account's own name. */
export const NAME_ROOTED_KINDS: readonly DeviceKind[] = ['zigbee2mqtt', 'esphome', 'shelly'];

/** Who a connected client is: an account with a role, or anonymous (allowed only while no account exists). */
export type Principal = { kind: 'anonymous' } | { kind: 'account'; name: string; role: Role; deviceKind?: DeviceKind };

export type Decision = { ok: true } | { ok: false; reason: string };

const allow: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });
export const HA_STATUS = 'homeassistant/status';
export const SYS_PREFIX = '$SYS/';
/**
 * Topics the broker uses for itself (stand-ins for dropped messages, claims told between brokers):
 * forwarded to no client.
 */
export const INTERNAL_PREFIX = `${SYS_PREFIX}pimonitor/`;

/** The node_id of a Home Assistant discovery topic (homeassistant/<component>/<node_id>/…), if it is one. */
function discoveryNodeOf(topic: string): string | undefined {
  const levels = topic.split('/');
  return levels[0] === 'homeassistant' && levels.length >= 4 ? levels[2] : undefined;
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
      return deviceMayPublish(who.name, who.deviceKind ?? 'pimonitor', topic);
    case 'alerts':
    case 'reader':
      if (grantsOf(who.name, who.role).publish.some((g) => grantCovers(g, topic))) return allow;
      return deny(
        who.role === 'alerts'
          ? 'the alerts account may publish only to pimonitor/alerts/#'
          : `a reader account may publish only ${HA_STATUS}`,
      );
    case 'ingest':
      return deny('the ingest account may not publish');
  }
}

/**
 * The topics an account may use, as data: what canPublish and canSubscribe grant by name, role and
 * kind, and what the NATS export (nats-permissions.ts) writes as subject permissions. A pattern's levels
 * are matched one for one (`+` any one level); a trailing `#` stands for one level or more, so
 * `home/kitchen/#` covers home/kitchen/t but not home/kitchen itself, as NATS's `>` does. A filter is
 * matched with its own wildcards as plain levels: cmnd/x/# is covered by cmnd/x/#, cmnd/+/# is not.
 * Rules that are not a topic pattern stay in code: $SYS/, readers' $SYS, the configured sources'
 * filters (`readable`) and a Tasmota's fallback topic keyed by its client id.
 */
export function grantsOf(name: string, role: Role, kind: DeviceKind = 'pimonitor'): Grants {
  switch (role) {
    case 'device':
      return deviceGrants(name, kind);
    case 'ingest':
      return { publish: [], subscribe: [TOPIC_ROOT, `${TOPIC_ROOT}/#`] };
    case 'alerts':
      return { publish: ['pimonitor/alerts/#'], subscribe: SERVICE_READS };
    case 'reader':
      return { publish: [HA_STATUS], subscribe: SERVICE_READS };
  }
}
const SERVICE_READS = [TOPIC_ROOT, `${TOPIC_ROOT}/#`, 'homeassistant', 'homeassistant/#', 'pimonitor', 'pimonitor/#'];
type Grants = { publish: string[]; subscribe: string[] };

function deviceGrants(name: string, kind: DeviceKind): Grants {
  const nameRooted = !RESERVED_ROOTS.includes(name);
  const ownTree = nameRooted ? [`${name}/#`] : [];
  switch (kind) {
    case 'pimonitor':
      return { publish: [`${TOPIC_ROOT}/${name}/#`, ownDiscovery(name)], subscribe: [HA_STATUS] };
    case 'tasmota':
      // Tasmota's own discovery (tasmota/discovery/<MAC>/…) is keyed by MAC, not by its topic. It reads
      // cmnd/<topic>/# and the group topic cmnd/tasmotas/#.
      return {
        publish: [`tele/${name}/#`, `stat/${name}/#`, 'tasmota/discovery/#'],
        subscribe: [HA_STATUS, `cmnd/${name}/#`, 'cmnd/tasmotas/#'],
      };
    case 'zigbee2mqtt':
      // A bridge speaks for every device of its network, and its discovery names them by IEEE address.
      return { publish: nameRooted ? [`${name}/#`, 'homeassistant/#'] : [], subscribe: [HA_STATUS, ...ownTree] };
    case 'esphome':
      return { publish: nameRooted ? [`${name}/#`, ownDiscovery(name)] : [], subscribe: [HA_STATUS, ...ownTree] };
    case 'shelly':
      return { publish: nameRooted ? [`${name}/#`] : [], subscribe: [HA_STATUS, ...ownTree] };
  }
}
/** Home Assistant discovery topics of one device: homeassistant/<component>/<device>/… (node_id = device). */
const ownDiscovery = (name: string) => `homeassistant/+/${name}/#`;

/**
 * Whether the tokens of a pattern match those of a topic or subject: `one` any one token, a final
 * `many` one token or more, every other token (a wildcard of a filter included) as written. Pure; the
 * grants below use it with MQTT's + and #, the NATS export (nats-permissions.ts) with * and >.
 */
export function tokensMatch(pattern: readonly string[], tokens: readonly string[], one: string, many: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === many && i === pattern.length - 1) return tokens.length > i;
    if (i >= tokens.length || (pattern[i] !== one && pattern[i] !== tokens[i])) return false;
  }
  return pattern.length === tokens.length;
}

/** Whether grant pattern `grant` (see grantsOf) covers topic or filter `t`. Pure. */
export const grantCovers = (grant: string, t: string): boolean => tokensMatch(grant.split('/'), t.split('/'), '+', '#');

/** Each kind of device writes where its firmware does, under its own name only. */
function deviceMayPublish(name: string, kind: DeviceKind, topic: string): Decision {
  if (grantsOf(name, 'device', kind).publish.some((g) => grantCovers(g, topic))) return allow;
  switch (kind) {
    case 'pimonitor':
      return deny(`device ${name} may publish only to ${TOPIC_ROOT}/${name}/# and its own discovery topics`);
    case 'tasmota':
      return deny(`Tasmota ${name} may publish only to tele/${name}/#, stat/${name}/# and tasmota/discovery/#`);
    case 'zigbee2mqtt':
      return deny(`Zigbee2MQTT bridge ${name} may publish only to ${name}/# and homeassistant/#`);
    case 'esphome':
    case 'shelly':
      return kind === 'esphome'
        ? deny(`ESPHome ${name} may publish only to ${name}/# and its own discovery topics`)
        : deny(`Shelly ${name} may publish only to ${name}/#`);
  }
}

/** What each kind of device subscribes to: its commands, and Home Assistant's birth. */
function deviceMaySubscribe(name: string, kind: DeviceKind, filter: string, clientId: string): Decision {
  if (grantsOf(name, 'device', kind).subscribe.some((g) => grantCovers(g, filter))) return allow;
  switch (kind) {
    case 'pimonitor':
      return deny(`device ${name} may subscribe only to ${HA_STATUS}`);
    case 'tasmota':
      // Its own fallback topic cmnd/<client id>_fb/# (another Tasmota's would let it read that device's
      // commands).
      if (clientId !== '' && filter === `cmnd/${clientId}_fb/#`) return allow;
      return deny(
        `Tasmota ${name} may subscribe only to cmnd/${name}/#, cmnd/tasmotas/#, ` +
          `its own fallback topic cmnd/<client id>_fb/# and ${HA_STATUS}`,
      );
    default:
      return deny(`${kind} ${name} may subscribe only within ${name}/# and to ${HA_STATUS}`);
  }
}

/** Whether every topic filter `inner` matches is also matched by `outer`. Pure. */
export function filterWithin(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  for (let i = 0; i < b.length; i++) {
    if (b[i] === '#') return true;
    if (i >= a.length || a[i] === '#') return false;
    if (b[i] === '+') continue;
    if (a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}

/**
 * May `who` subscribe to `filter`? Service accounts read home/# and the topics of the configured
 * sources (`readable`: tele/+/SENSOR, zigbee2mqtt/#, …); alerts and readers also homeassistant/# and
 * pimonitor/#; devices only what their firmware needs. Pure.
 */
export function canSubscribe(
  who: Principal,
  filter: string,
  readable: readonly string[] = [],
  clientId = '',
): Decision {
  // Broker internals (cluster heartbeats, client ids) are for monitoring accounts only.
  if (filter.startsWith('$SYS')) {
    const reader = who.kind === 'account' && who.role === 'reader';
    return reader ? allow : deny('only a reader account may subscribe to $SYS/#');
  }
  if (who.kind === 'anonymous') return allow;
  if (who.role === 'device') return deviceMaySubscribe(who.name, who.deviceKind ?? 'pimonitor', filter, clientId);
  const granted = grantsOf(who.name, who.role).subscribe.some((grant) => grantCovers(grant, filter));
  if (granted || readable.some((sourceFilter) => filterWithin(filter, sourceFilter))) return allow;
  const alsoReads = who.role === 'ingest' ? '' : ', homeassistant/# and pimonitor/#';
  const sources = readable.length ? ` and the sources' topics (${readable.join(', ')})` : '';
  return deny(`the ${who.role} account may subscribe only within ${TOPIC_ROOT}/#${alsoReads}${sources}`);
}

/**
 * Client ids pimonitor's own processes use, and who alone may use them: a node's id names its device,
 * and the services' ids their role, so no other account can take over (or be handed) their sessions.
 * Prefixes, so a partitioned ingest (`pimonitor-ingest-2`) is covered too.
 */
export const RESERVED_CLIENT_IDS: ReadonlyArray<{ prefix: string; role: Role; what: string }> = [
  { prefix: 'pimonitor-ingest', role: 'ingest', what: "ingest's" },
  { prefix: 'pimonitor-alerts', role: 'alerts', what: "the alerts worker's" },
  { prefix: 'pimonitor-web', role: 'reader', what: "the dashboard's" },
];
export const NODE_CLIENT_ID_PREFIX = 'pimonitor-node-';

/** Why `who` may not connect with `clientId`, or null. Pure. Claims (claims.ts) cover every other id. */
export function clientIdProblem(who: Principal, clientId: string): string | null {
  if (who.kind === 'anonymous') return null;
  if (clientId.startsWith(NODE_CLIENT_ID_PREFIX)) {
    const device = clientId.slice(NODE_CLIENT_ID_PREFIX.length);
    if (who.role === 'device' && who.name === device) return null;
    return `client id ${clientId} is the pimonitor node ${device}'s; only the device account ${device} may use it`;
  }
  const reserved = RESERVED_CLIENT_IDS.find((r) => clientId.startsWith(r.prefix));
  if (reserved && who.role !== reserved.role) {
    return `client id ${clientId} is ${reserved.what}; only a ${reserved.role} account may use it`;
  }
  return null;
}

/**
 * The account a topic belongs to by its name, whoever wrote first: a device's own tree and its Home
 * Assistant discovery topics (homeassistant/<component>/<device>/…). `isAccount` says whether a name is
 * an account's. Pure.
 */
export function ownerByName(topic: string, isAccount: (name: string) => boolean): string | undefined {
  const [root, device] = topic.split('/');
  const named = root === TOPIC_ROOT ? device : discoveryNodeOf(topic);
  return named !== undefined && isAccount(named) ? named : undefined;
}
