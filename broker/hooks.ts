import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../shared/log.js';
import type { Authenticator } from './authenticator.js';
import { topicProblem, RateLimiter, type BrokerLimits } from './limits.js';
import { DROPPED_TOPIC } from './oversize-filter.js';
import type { Admission, Ownership, Refusal, RefusalCounter } from './ownership.js';
import { REFUSAL_COUNTERS } from './ownership.js';
import { canPublish, canSubscribe, INTERNAL_PREFIX, type Principal } from './policy.js';
import { checkStoredWill } from './stored-will.js';

export const DROP_REASONS = ['oversize', 'denied', 'rate_limit', 'frozen_subscriber', 'not_owner', 'quota'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface BrokerStats {
  failedLogins: number;
  deniedPublishes: number;
  deniedSubscriptions: number;
  disconnectedForLimits: number;
  connects: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Hooks whose dependency failed (a login check that threw): refused, logged, counted. */
  hookFailures: number;
  /** Live deliveries Aedes found already delivered by a session replay (see broker.ts); not errors. */
  staleDeliveries: number;
  dropped: Record<DropReason, number>;
  /** Connections and publishes refused for ownership or an account's quota, by what was refused. */
  refused: Record<RefusalCounter, number>;
  /** Stored wills (Redis) found, when due, to be messages their client may not publish: not published. */
  droppedWills: number;
}

export const newStats = (): BrokerStats => ({
  failedLogins: 0,
  deniedPublishes: 0,
  deniedSubscriptions: 0,
  disconnectedForLimits: 0,
  connects: 0,
  messagesIn: 0,
  messagesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  hookFailures: 0,
  staleDeliveries: 0,
  dropped: { oversize: 0, denied: 0, rate_limit: 0, frozen_subscriber: 0, not_owner: 0, quota: 0 },
  refused: Object.fromEntries(REFUSAL_COUNTERS.map((c) => [c, 0])) as Record<RefusalCounter, number>,
  droppedWills: 0,
});

/** Marks errors the broker's own policy raised: already logged once, so Aedes's clientError is not logged again. */
export const POLICY = Symbol('pimonitor policy');
const policyError = <T extends object>(message: string, extra?: T): Error & T => Object.assign(new Error(message), { [POLICY]: true }, extra) as Error & T;

export const remoteAddress = (client: Client) => (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;

export interface HookContext {
  auth: Authenticator;
  limits: BrokerLimits;
  log: Logger;
  stats: BrokerStats;
  principals: WeakMap<Client, Principal>;
  /** Oversize messages the connection's filter replaced with a stand-in, in arrival order. */
  drops: WeakMap<Client, Array<{ topic: string; bytes: number }>>;
  /** The newest packet id a reconnecting session may still have queued, if any (see preConnect). */
  newestPacketId(clientId: string): Promise<number | undefined>;
  /** Filters of the configured sources, which service accounts may read besides home/#. */
  readable?: readonly string[];
  /** Client ids, sessions, retained topics and source devices by account, and the accounts' quotas. */
  ownership: Ownership;
  /** The client connected here with this id, if any. */
  live(clientId: string): Client | undefined;
}

/** Packet ids run 1..65535 (MQTT-2.3.1). */
const MAX_PACKET_ID = 65_535;

/**
 * Where a reconnecting persistent session's packet ids should start: half the id space away from the
 * newest id it may still have queued. Pure. See preConnect below.
 */
export function packetIdStart(newest: number | undefined): number | undefined {
  if (newest === undefined) return undefined;
  return ((newest - 1 + (MAX_PACKET_ID + 1) / 2) % MAX_PACKET_ID) + 1;
}

/**
 * The broker's policy as Aedes hooks, deny by default. No hook throws or rejects out into Aedes: a hook
 * whose dependency fails (the account store, a password hash that cannot be checked) refuses, logs
 * and counts (Aedes has no handler around a hook's promise, and one rejection would end the process).
 */
export function createHooks({ auth, limits, log, stats, principals, drops, newestPacketId, readable = [], ownership, live }: HookContext): Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  // The publish rate is an account's, shared by all its connections (more connections give no more);
  // anonymous clients (loopback, before any account exists) each have their own.
  const rates = new WeakMap<Client, RateLimiter>();
  const accountRates = new Map<string, RateLimiter>();
  const rateFor = (who: Principal) => {
    if (who.kind === 'anonymous') return new RateLimiter(limits.maxPublishesPerSecond);
    const rate = accountRates.get(who.name) ?? new RateLimiter(limits.maxPublishesPerSecond);
    accountRates.set(who.name, rate);
    return rate;
  };
  // Refusals for ownership and quotas: counted each time, logged once per account and kind (the first
  // reason is the example), so varying topics cannot fill the set; bounded by the number of accounts.
  const refusedOnce = new Set<string>();
  const refused = (client: Client, who: Principal, refusal: Refusal, what: string) => {
    stats.refused[refusal.counter]++;
    const account = who.kind === 'account' ? who.name : 'anonymous';
    const key = `${account}\0${refusal.counter}`;
    if (!refusedOnce.has(key)) {
      refusedOnce.add(key);
      log.warn({ clientId: client.id, account, address: remoteAddress(client), refused: refusal.counter, reason: refusal.reason }, `${what} refused (logged once per account and kind; counted in pimonitor_broker_refused_total)`);
    }
  };
  // Each CONNECT packet until its login is decided: a session taken over from a revoked account starts clean.
  const connectPackets = new WeakMap<Client, { clean?: boolean }>();
  // Denials are logged once per client and topic, not per message.
  const logged = new WeakMap<Client, Set<string>>();
  const once = (client: Client, key: string) => {
    const seen = logged.get(client) ?? new Set<string>();
    logged.set(client, seen);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const principalOf = (client: Client): Principal => principals.get(client) ?? { kind: 'anonymous' };
  const failed = (hook: string, client: Client | null, err: unknown) => {
    stats.hookFailures++;
    log.error({ hook, clientId: client?.id, err: (err as Error)?.message ?? String(err) }, 'a broker hook failed; refusing');
  };

  const storedWill = checkStoredWill({ auth, ownership, stats, log });

  return {
    /**
     * Aedes starts each connection's packet ids at a random number (lib/client.js), and a persistent
     * session's stored queue keeps the ids its messages were last sent with. When a new id equals one
     * still queued, the subscriber's PUBACK clears whichever comes first in the queue (aedes-persistence
     * outgoingClearMessageId): often the other, not yet delivered message, which is then lost. This
     * lost readings when ingest was killed with -9 under load (151 to 200 of 100,000 in the runs that hit it).
     * So a reconnecting persistent session starts its ids half the id space away from the newest id
     * still queued: a collision would take 32,768 messages in flight.
     */
    preConnect(client, packet, done) {
      connectPackets.set(client, packet);
      if (packet.clean || !packet.clientId) return done(null, true);
      newestPacketId(packet.clientId).then(
        (newest) => {
          const start = packetIdStart(newest);
          if (start !== undefined) (client as unknown as { _nextId: number })._nextId = start;
          done(null, true);
        },
        (err: unknown) => {
          failed('preConnect', client, err);
          done(null, true);
        },
      );
    },

    authenticate(client, username, password, done) {
      const refuse = (reason: string, returnCode: 2 | 4 | 5) => done(policyError(reason, { returnCode }), false);
      let check: Promise<Awaited<ReturnType<Authenticator['authenticate']>>>;
      try {
        check = auth.authenticate(username, password, remoteAddress(client));
      } catch (err) {
        failed('authenticate', client, err);
        return refuse('the login could not be checked', 5);
      }
      check.then(
        (result) => {
          if (result.ok) {
            // A client id, a will or a connection count that is another account's (ownership.ts).
            const admitted = (admission: Admission) => {
              if (!admission.ok) {
                refused(client, result.principal, admission.refusal, 'connection');
                return refuse(admission.refusal.reason, admission.refusal.returnCode ?? 5);
              }
              const who = result.principal;
              // Revoked while its client id was being claimed.
              if (who.kind === 'account' && !auth.has(who.name)) {
                ownership.left(client, who);
                return refuse('the account was revoked', 4);
              }
              if (admission.freshSession) {
                // As if it asked for a clean session: the CONNACK says none was present (MQTT-3.2.2-1)
                // and Aedes drops the stored subscriptions and queue. Once connected, a client that
                // asked for a persistent session has one again, its own from now on.
                const packet = connectPackets.get(client);
                const persistent = packet?.clean === false;
                if (packet) packet.clean = true;
                client.clean = true;
                if (persistent) client.once('connected', () => (client.clean = false));
              }
              principals.set(client, result.principal);
              rates.set(client, rateFor(result.principal));
              done(null, true);
            };
            const admission = ownership.admit(client, result.principal, live);
            if (!(admission instanceof Promise)) return admitted(admission);
            return admission.then(admitted, (err: unknown) => {
              failed('authenticate', client, err);
              refuse('the client id could not be checked', 5);
            });
          }
          stats.failedLogins++;
          log.warn({ clientId: client.id, address: remoteAddress(client), reason: result.reason }, 'login refused');
          refuse(result.reason, result.returnCode);
        },
        (err: unknown) => {
          stats.failedLogins++;
          failed('authenticate', client, err);
          refuse('the login could not be checked', 5);
        },
      );
    },

    authorizePublish(client, packet, done) {
      try {
        if (!client) return storedWill(packet, done); // the broker's own publishes ($SYS, wills it replays)
        if (packet.topic === DROPPED_TOPIC) {
          const drop = drops.get(client)?.shift();
          if (drop) {
            // The stand-in for an oversize message: acknowledged by Aedes, forwarded to nobody.
            stats.dropped.oversize++;
            if (once(client, `oversize ${drop.topic}`)) {
              log.warn({ clientId: client.id, topic: drop.topic.slice(0, 100), bytes: drop.bytes, limit: limits.maxPayloadBytes }, 'message over the size limit dropped; the client stays connected (logged once per client and topic)');
            }
            return done(null);
          }
        }
        const rateLimited = rates.get(client)?.take() === false;
        const problem = topicProblem(packet.topic, limits) ?? (rateLimited ? `more than ${limits.maxPublishesPerSecond} publishes a second` : null);
        if (problem) {
          // MQTT 3.1.1 has no way to refuse one PUBLISH: the connection is closed (MQTT-3.3.5-2).
          stats.disconnectedForLimits++;
          stats.dropped[rateLimited ? 'rate_limit' : 'denied']++;
          log.warn({ clientId: client.id, topic: packet.topic.slice(0, 100), reason: problem }, 'client disconnected: over a limit');
          return done(policyError(problem));
        }
        const who = principalOf(client);
        const decision = canPublish(who, packet.topic);
        if (decision.ok) {
          // Beyond the topic: another account's retained topic or device, the account's quotas.
          const owned = (refusal: Refusal | null) => {
            if (!refusal) return done(null);
            refused(client, who, refusal, 'publish');
            stats.deniedPublishes++;
            stats.dropped[refusal.counter === 'retained_quota' || refusal.counter === 'device_quota' ? 'quota' : 'not_owner']++;
            done(policyError(refusal.reason));
          };
          const ownedAnswer = ownership.publishProblem(who, packet);
          if (!(ownedAnswer instanceof Promise)) return owned(ownedAnswer);
          return void ownedAnswer.then(owned, (err: unknown) => {
            failed('authorizePublish', client, err);
            done(policyError('the publish could not be checked'));
          });
        }
        stats.deniedPublishes++;
        stats.dropped.denied++;
        if (once(client, `publish ${packet.topic}`)) log.warn({ clientId: client.id, topic: packet.topic.slice(0, 100), reason: decision.reason }, 'publish denied');
        done(policyError(decision.reason));
      } catch (err) {
        failed('authorizePublish', client, err);
        done(policyError('the publish could not be checked'));
      }
    },

    authorizeSubscribe(client, subscription, done) {
      try {
        const overLimit = topicProblem(subscription.topic, limits);
        const decision = overLimit ? { ok: false as const, reason: overLimit } : canSubscribe(principalOf(client), subscription.topic, readable, client.id);
        if (decision.ok) return done(null, subscription);
        stats.deniedSubscriptions++;
        if (once(client, `subscribe ${subscription.topic}`)) log.warn({ clientId: client.id, topic: subscription.topic.slice(0, 100), reason: decision.reason }, 'subscribe denied');
        done(null, null); // a failure code in the SUBACK; the client stays connected
      } catch (err) {
        failed('authorizeSubscribe', client, err);
        done(null, null);
      }
    },

    authorizeForward(_client, packet) {
      // The broker's own topics (stand-ins for dropped messages, what the brokers tell each other) go
      // to nobody, live or from a persistent session's queue.
      if (packet.topic.startsWith(INTERNAL_PREFIX)) return null;
      stats.messagesOut++;
      return packet;
    },
  };
}
