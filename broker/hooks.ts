import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../shared/log.js';
import type { Authenticator } from './authenticator.js';
import { topicProblem, RateLimiter, type BrokerLimits } from './limits.js';
import { DROPPED_TOPIC } from './oversize-filter.js';
import type { Admission, Ownership, Refusal } from './ownership.js';
import { canPublish, canSubscribe, INTERNAL_PREFIX, type Principal } from './policy.js';
import type { BrokerStats } from './stats.js';
import { checkStoredWill } from './stored-will.js';
import { packetIdStart } from './packet-ids.js';

export { packetIdStart } from './packet-ids.js';
export { DROP_REASONS, newStats, type BrokerStats, type DropReason } from './stats.js';

/**
 * Marks errors the broker's own policy raised: already logged once, so Aedes's clientError is not logged
 * again.
 */
export const POLICY = Symbol('pimonitor policy');
const policyError = <T extends object>(message: string, extra?: T): Error & T =>
  Object.assign(new Error(message), { [POLICY]: true }, extra) as Error & T;

export const remoteAddress = (client: Client) =>
  (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;

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

type BrokerHooks = Pick<
  AedesOptions,
  'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'
>;

/**
 * The broker's policy as Aedes hooks, deny by default. No hook throws or rejects out into Aedes: a hook
 * whose dependency fails (the account store, a password hash that cannot be checked) refuses, logs
 * and counts (Aedes has no handler around a hook's promise, and one rejection would end the process).
 */
export function createHooks(context: HookContext): BrokerHooks {
  const { auth, limits, log, stats, principals, drops, newestPacketId, readable = [], ownership, live } = context;
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
      log.warn(
        {
          clientId: client.id,
          account,
          address: remoteAddress(client),
          refused: refusal.counter,
          reason: refusal.reason,
        },
        `${what} refused (logged once per account and kind; counted in pimonitor_broker_refused_total)`,
      );
    }
  };
  // Each CONNECT packet until its login is decided: a session taken over from a revoked account starts
  // clean.
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
    const message = (err as Error)?.message ?? String(err);
    log.error({ hook, clientId: client?.id, err: message }, 'a broker hook failed; refusing');
  };

  const storedWill = checkStoredWill({ auth, ownership, stats, log });

  return {
    /** A reconnecting persistent session's packet ids start away from those still queued (packet-ids.ts). */
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
      const refuse = (reason: string, returnCode: 2 | 4 | 5) =>
        done(policyError(reason, { returnCode }), false);
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
          log.warn(
            { clientId: client.id, address: remoteAddress(client), reason: result.reason },
            'login refused',
          );
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
              log.warn(
                {
                  clientId: client.id,
                  topic: drop.topic.slice(0, 100),
                  bytes: drop.bytes,
                  limit: limits.maxPayloadBytes,
                },
                'message over the size limit dropped; the client stays connected (logged once per client and topic)',
              );
            }
            return done(null);
          }
        }
        const rateLimited = rates.get(client)?.take() === false;
        const rateProblem = rateLimited ? `more than ${limits.maxPublishesPerSecond} publishes a second` : null;
        const problem = topicProblem(packet.topic, limits) ?? rateProblem;
        if (problem) {
          // MQTT 3.1.1 has no way to refuse one PUBLISH: the connection is closed (MQTT-3.3.5-2).
          stats.disconnectedForLimits++;
          stats.dropped[rateLimited ? 'rate_limit' : 'denied']++;
          log.warn(
            { clientId: client.id, topic: packet.topic.slice(0, 100), reason: problem },
            'client disconnected: over a limit',
          );
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
            const overQuota = refusal.counter === 'retained_quota' || refusal.counter === 'device_quota';
            stats.dropped[overQuota ? 'quota' : 'not_owner']++;
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
        if (once(client, `publish ${packet.topic}`)) {
          log.warn(
            { clientId: client.id, topic: packet.topic.slice(0, 100), reason: decision.reason },
            'publish denied',
          );
        }
        done(policyError(decision.reason));
      } catch (err) {
        failed('authorizePublish', client, err);
        done(policyError('the publish could not be checked'));
      }
    },

    authorizeSubscribe(client, subscription, done) {
      try {
        const overLimit = topicProblem(subscription.topic, limits);
        const decision = overLimit
          ? { ok: false as const, reason: overLimit }
          : canSubscribe(principalOf(client), subscription.topic, readable, client.id);
        if (decision.ok) return done(null, subscription);
        stats.deniedSubscriptions++;
        if (once(client, `subscribe ${subscription.topic}`)) {
          log.warn(
            { clientId: client.id, topic: subscription.topic.slice(0, 100), reason: decision.reason },
            'subscribe denied',
          );
        }
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
