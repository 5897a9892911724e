import type { RefusalCounter } from './ownership.js';
import { REFUSAL_COUNTERS } from './ownership.js';

export const DROP_REASONS = ['oversize', 'denied', 'rate_limit', 'frozen_subscriber', 'not_owner', 'quota'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The broker's counters, which its hooks and connections raise and /metrics reads (metrics.ts). */
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
  refused: Object.fromEntries(REFUSAL_COUNTERS.map((counter) => [counter, 0])) as Record<RefusalCounter, number>,
  droppedWills: 0,
});
