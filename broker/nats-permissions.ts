import { canSubscribe, grantsOf, tokensMatch, type DeviceKind, type Role } from './policy.js';

/**
 * The embedded broker's policy (policy.ts) as NATS user permissions, for nats-server's MQTT listener
 * (2.9, Debian's): what `pimonitor device export --nats` writes. Pure.
 *
 * What nats-server does with an MQTT client, from its source (server/mqtt.go at v2.9.10) and tried on
 * 2.9.10 itself (test/nats-accounts.test.ts):
 * - a topic is a subject level for level, `/` → `.`, `+` → `*`, `#` → `>`, an empty level the token `/`
 *   (mqttToNATSSubjectConversion); a topic with `.` or ` ` is refused and the client disconnected;
 * - a filter ending in `/#` is two subscriptions, `x.>` and `x` (mqttNeedSubForLevelUp), and both must be
 *   permitted or the SUBACK says failure;
 * - permissions are checked as NATS checks a subscription: the subject's tokens are matched as written
 *   against the allow list (a filter's `*` is matched by `*` or by a `*` of the permission, not by a name);
 * - a QoS 1 subscription is a JetStream consumer delivering on `$MQTT.sub.<nuid>`, which the client
 *   subscribes to itself (processJSConsumer): it needs `$MQTT.sub.>`. Nothing else: acknowledgements,
 *   retained messages, sessions and wills go through the server's internal clients, and a will or a
 *   retained message is checked against the user's publish permissions like any publish. MQTT clients may
 *   not subscribe to `$MQTT.sub.…` themselves (the server refuses the filter), so the grant gives them
 *   nothing else; a NATS-protocol client could, which is why every exported user is MQTT-only
 *   (allowed_connection_types);
 * - a publish outside the permissions is dropped (logged as a Publish Violation); a QoS 1 publish is still
 *   acknowledged, and the client stays connected;
 * - an empty or missing allow list allows everything: an account that may publish nothing gets `deny: [">"]`.
 */

/** The subscription a QoS 1 MQTT subscriber needs besides its topics (see above). */
export const MQTT_QOS1_DELIVERY = '$MQTT.sub.>';

export interface NatsPermissions {
  publish: { allow: string[] } | { deny: string[] };
  subscribe: { allow: string[]; deny?: string[] };
  /** Where the export is stricter than the embedded broker, said in the output. */
  notes: string[];
  /**
   * Filters it may subscribe to on the embedded broker that it may not on NATS (a client asking for one gets
   * SUBACK 0x80).
   */
  refused: string[];
}

/**
 * The NATS subject nats-server 2.9 uses for an MQTT topic or filter, or null where it refuses the topic
 * (`.` or whitespace in it), the config file could not carry it (a quote, a backslash) or it is no valid
 * MQTT filter (a wildcard inside a level, # before the end).
 * mqttToNATSSubjectConversion works byte by byte; per level it amounts to this (each empty level is the
 * token `/`): test/nats-permissions.test.ts checks the two against each other.
 */
export function natsSubjectOf(mqtt: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (mqtt === '' || /[.\s"\\\u0000-\u001f\u007f]/.test(mqtt)) return null;
  const levels = mqtt.split('/');
  // A wildcard is a whole level, and # the last (MQTT-4.7.1): anything else is no topic or filter.
  if (levels.some((l, i) => (/[+#]/.test(l) && l.length > 1) || (l === '#' && i < levels.length - 1))) return null;
  return levels.map((level) => (level === '' ? '/' : level === '+' ? '*' : level === '#' ? '>' : level)).join('.');
}

/** The subjects nats-server subscribes to for `filter`: its own, and `x` for `x/#` (mqttNeedSubForLevelUp). */
export function natsSubscriptionsOf(filter: string): string[] | null {
  const subject = natsSubjectOf(filter);
  if (subject === null) return null;
  return subject.length >= 3 && subject.endsWith('.>') ? [subject, subject.slice(0, -2)] : [subject];
}

/**
 * Whether NATS permission subject `pattern` matches `subject`, as nats-server's sublist does for a
 * permission check: `*` any one token, a final `>` one token or more, the subject's own tokens (a `*` or
 * `>` of a wildcard subscription included) compared as written.
 */
export const natsMatches = (pattern: string, subject: string): boolean =>
  tokensMatch(pattern.split('.'), subject.split('.'), '*', '>');

const unique = (xs: string[]) => [...new Set(xs)];

/**
 * The permissions of one account: its grants (policy.ts grantsOf) in subject form, the configured
 * sources' filters (`readable`) for service accounts, `$SYS` for readers, and `$MQTT.sub.>`. Where NATS
 * cannot say what the policy says, stricter, with a note.
 */
export function natsPermissionsOf(
  account: { name: string; role: Role; kind?: DeviceKind },
  readable: readonly string[] = [],
): NatsPermissions {
  const { name, role } = account;
  const kind = role === 'device' ? account.kind ?? 'pimonitor' : undefined;
  const grants = grantsOf(name, role, kind);
  const notes: string[] = [];
  const refused: string[] = [];
  const subjects = (patterns: readonly string[], what: string, expand: (pattern: string) => string[] | null) =>
    patterns.flatMap((pattern) => {
      const expanded = expand(pattern);
      if (expanded === null) {
        notes.push(`${what} ${pattern} is not exported: nats-server cannot map it to a subject`);
        if (what === 'subscribing to') refused.push(pattern);
      }
      return expanded ?? [];
    });

  const publish = unique(subjects(grants.publish, 'publishing to', (p) => {
    const subject = natsSubjectOf(p);
    return subject === null ? null : [subject];
  }));
  // A grant x/# covers what is strictly below x (as `>` does); NATS also subscribes `x` for the filter
  // x/#, so `x` is allowed too: the filter `x` then passes, which reads nothing x/# does not.
  const reads = [...grants.subscribe];
  if (role !== 'device') reads.push(...readable.filter((r) => !r.startsWith('$SYS')));
  if (role === 'reader') reads.push('$SYS', '$SYS/#');
  let subscribe = unique(subjects(reads, 'subscribing to', natsSubscriptionsOf));

  // A permission p.* also matches a subscription's `>` (tokens compared as written): with some x under p
  // permitted too (p itself, or a pattern that meets it), the filter x/# would pass, reading all below x
  // where the policy gives one level. Stricter: leave p/+ out.
  const principal = { kind: 'account' as const, name, role, deviceKind: kind };
  for (const oneLevel of subscribe.filter((subject) => subject.endsWith('.*'))) {
    const parent = oneLevel.slice(0, -2).split('.');
    const widened = subscribe.some((other) => {
      const otherTokens = other.split('.');
      if (otherTokens.length !== parent.length || otherTokens.includes('>')) return false;
      const meet = parent.map((token, i) => {
        if (token === '*') return otherTokens[i]!;
        return otherTokens[i] === '*' || otherTokens[i] === token ? token : null;
      });
      return !meet.includes(null) && !canSubscribe(principal, `${mqttOf(meet.join('.'))}/#`, readable).ok;
    });
    if (widened) {
      subscribe = subscribe.filter((subject) => subject !== oneLevel);
      notes.push(
        `subscribing to ${mqttOf(oneLevel)} is not exported: NATS would then also allow subscribing to ` +
          `everything below ${mqttOf(parent.join('.'))}/, which the embedded broker refuses`,
      );
      refused.push(mqttOf(oneLevel));
    }
  }
  if (kind === 'tasmota') {
    notes.push(
      'its fallback topic cmnd/<client id>_fb/# is not exported: NATS permissions cannot name the client id, ' +
        'so that subscription is refused',
    );
  }
  // A pattern starting with `*` (a source's +/status) matches $SYS/status as written: only readers read $SYS.
  // It also matches what nats-server publishes in the users' account (checked on 2.9.10: a reader given a
  // source's +/+/+ received every client's session record on $MQTT.sess.<hash>): denied, each as the part
  // of the pattern that meets it, so nats-server checks each message such a subscription would get.
  const wild = subscribe.filter((subject) => subject.startsWith('*') || subject === '>');
  const deniedRoots = SERVER_ROOTS.filter((root) => role !== 'reader' || root !== '$SYS');
  const serverSubjects = wild
    .flatMap((subject) => deniedRoots.flatMap((root) => [natsMeet(subject, root), natsMeet(subject, `${root}.>`)]))
    .filter((met): met is string => met !== null);
  const deny = unique([...(role !== 'reader' && wild.length > 0 ? ['$SYS', '$SYS.>'] : []), ...serverSubjects]);
  return {
    publish: publish.length > 0 ? { allow: publish } : { deny: ['>'] },
    subscribe: { allow: [...subscribe, MQTT_QOS1_DELIVERY], ...(deny.length > 0 ? { deny } : {}) },
    notes,
    refused,
  };
}

/**
 * Subject roots nats-server 2.9 publishes on in the account of its MQTT users (sessions, stored QoS 1 and
 * retained messages, its JetStream requests and API), none of which an MQTT client may read on the embedded
 * broker (no account may publish a topic starting with $). Not $MQTT.sub: a QoS 1 subscriber's own
 * deliveries, which it must be allowed to subscribe to.
 */
export const SERVER_ROOTS = [
  '$MQTT.sess',
  '$MQTT.msgs',
  '$MQTT.rmsgs',
  '$MQTT.JSA',
  '$MQTT.JSC',
  '$JS',
  '$JSC',
  '$KV',
  '$O',
  '$NRG',
  '$SYS',
];

/** The subjects two permission patterns both match, as one pattern, or null if none. Pure. */
export function natsMeet(a: string, b: string): string | null {
  const x = a.split('.');
  const y = b.split('.');
  const out: string[] = [];
  for (let i = 0; ; i++) {
    // A final > stands for one token or more: what is left of the other pattern, if anything is.
    if (x[i] === '>' && i === x.length - 1) return i < y.length ? [...out, ...y.slice(i)].join('.') : null;
    if (y[i] === '>' && i === y.length - 1) return i < x.length ? [...out, ...x.slice(i)].join('.') : null;
    if (i === x.length || i === y.length) return x.length === y.length ? out.join('.') : null;
    if (x[i] === '*') out.push(y[i]!);
    else if (y[i] === '*' || y[i] === x[i]) out.push(x[i]!);
    else return null;
  }
}

/** The MQTT form of a subject this module wrote (for notes and checks). */
function mqttOf(subject: string): string {
  return subject
    .split('.')
    .map((t) => (t === '/' ? '' : t === '*' ? '+' : t === '>' ? '#' : t))
    .join('/');
}
