import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../shared/log.js';
import type { Authenticator } from './authenticator.js';
import { topicProblem, RateLimiter, type BrokerLimits } from './limits.js';
import { DROPPED_TOPIC } from './oversize-filter.js';
import { canPublish, canSubscribe, type Principal } from './policy.js';

export const DROP_REASONS = ['oversize', 'denied', 'rate_limit', 'frozen_subscriber'] as const;
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
  dropped: { oversize: 0, denied: 0, rate_limit: 0, frozen_subscriber: 0 },
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
export function createHooks({ auth, limits, log, stats, principals, drops, newestPacketId, readable = [] }: HookContext): Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const rates = new WeakMap<Client, RateLimiter>();
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
      const refuse = (reason: string, returnCode: 4 | 5) => done(policyError(reason, { returnCode }), false);
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
            principals.set(client, result.principal);
            rates.set(client, new RateLimiter(limits.maxPublishesPerSecond));
            return done(null, true);
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
        if (!client) return done(null); // the broker's own publishes ($SYS, wills it replays)
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
        const decision = canPublish(principalOf(client), packet.topic);
        if (decision.ok) return done(null);
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
        const decision = overLimit ? { ok: false as const, reason: overLimit } : canSubscribe(principalOf(client), subscription.topic, readable);
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
      // Stand-ins for dropped messages go to nobody, live or from a persistent session's queue.
      if (packet.topic === DROPPED_TOPIC) return null;
      stats.messagesOut++;
      return packet;
    },
  };
}
