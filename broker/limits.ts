import { DEFAULT_BROKER_LIMITS } from '../config/broker.js';

/** Broker limits; each breach is refused with a reason, or the client disconnected. */
export interface BrokerLimits {
  maxPayloadBytes: number;
  maxTopicLength: number;
  maxTopicLevels: number;
  maxConnections: number;
  /** Publishes per second one client may send (averaged over a burst of as many); more is a flood. */
  maxPublishesPerSecond: number;
  /** A subscriber whose socket has not drained for this long is disconnected, so it cannot stall others. */
  drainTimeoutMs: number;
  /** QoS 2 messages one client may have awaiting PUBREL; past it the client is disconnected. */
  maxInflight: number;
  /** Connections one account may have open at once (on one broker); more are refused. */
  maxConnectionsPerAccount: number;
  /** Retained topics one account may hold; a retained message to one more disconnects it. */
  maxRetainedPerAccount: number;
  /** Bytes of retained payloads one account may hold. */
  maxRetainedBytesPerAccount: number;
  /** Devices one source account's messages may map to (shared/sources); one more disconnects it. */
  maxDevicesPerAccount: number;
}

export const DEFAULT_LIMITS: BrokerLimits = DEFAULT_BROKER_LIMITS;

/** Why a topic breaks the limits, or null. Pure. */
export function topicProblem(topic: string, limits: BrokerLimits): string | null {
  if (topic.length > limits.maxTopicLength) {
    return `topic is ${topic.length} characters, more than ${limits.maxTopicLength}`;
  }
  if (topic.split('/').length > limits.maxTopicLevels) return `topic has more than ${limits.maxTopicLevels} levels`;
  return null;
}

/** A token bucket per client: refills at `ratePerSecond`, holds a burst of as many. Pure but for the clock. */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = ratePerSecond;
    this.last = now();
  }

  take(): boolean {
    const nowMs = this.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((nowMs - this.last) / 1000) * this.ratePerSecond);
    this.last = nowMs;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
