import type { NatsCluster } from '../support/nats.js';

/**
 * What the NATS failover tests (test/nats-failover.test.ts, test/nats-failover-raw.test.ts) share: the
 * load's size and nats-server's known loss at a node's death, and the kill itself.
 *
 * nats-server 2.9.10 (Debian's) loses 1-17 acknowledged messages in about two runs of three when a node
 * dies: acknowledged to their publisher within a second or two of the kill (before it or after), held by
 * the stream, counted delivered and acknowledged by the consumer whose leader moved, never sent (plain
 * MQTT.js subscribers too, test/nats-failover-raw.test.ts; consumers of one replica lose none but stall
 * until their node is back). nats-server pull request 6469 ("stuck consumer after leader change",
 * 2.10.26/2.11) is the nearest upstream fix; docs/scale-out.md, "Measured". So by default the tests run
 * and hold pimonitor to everything it owns (the failover, both partitions, nothing stored twice) and
 * allow that loss only in its bounds: at most
 * KNOWN_LOSS readings, none acknowledged more than LOSS_BEFORE_KILL_MS before the kill (seen: 284 ms
 * before it to 2.6 s after). NATS_FAILOVER_TEST=1 is strict (0 lost), for a
 * nats-server that keeps them (NATS_SERVER=<path>).
 * NATS_FAILOVER_MESSAGES (default 6,000) and NATS_FAILOVER_RATE (msg/s, default 1,500) size the run.
 */
export const PUBLISHERS = 10;
const strict = process.env.NATS_FAILOVER_TEST === '1';
// Seen: up to 17 of 6,000 (one or two per publisher) in 16 runs, 8 of them with both cores busy.
export const KNOWN_LOSS = strict ? 0 : 5 * PUBLISHERS;
/**
 * How long before the kill (by the publisher's PUBACK) a reading nats-server lost may have been acknowledged;
 * after it, any.
 */
export const LOSS_BEFORE_KILL_MS = 2000;
export const TOTAL = Number(process.env.NATS_FAILOVER_MESSAGES ?? 6000);
export const RATE = Number(process.env.NATS_FAILOVER_RATE ?? 1500);

/**
 * Kills `node` with -9 once a third of the readings are acknowledged (mid-stream: two thirds still to
 * come), and tells how long before or after the kill each reading was acknowledged.
 */
export function killAtAThird(node: NatsCluster['nodes'][0]) {
  let acked = 0;
  let killedAt = 0;
  let killed: Promise<void> | undefined;
  const ackedAt = new Map<number, number>();
  const fromKill = (seq: number) => ackedAt.get(seq)! - killedAt;
  return {
    onAck(seq: number, at: number): void {
      ackedAt.set(seq, at);
      if (++acked !== Math.floor(TOTAL / 3)) return;
      killedAt = Date.now();
      killed = node.kill9();
    },
    isKilled: () => killed !== undefined,
    killed: () => killed,
    fromKill,
    /**
     * Lost readings nats-server's known loss does not explain: acknowledged more than LOSS_BEFORE_KILL_MS
     * before the kill.
     */
    unexplained: (seqs: number[]) => seqs.filter((seq) => fromKill(seq) < -LOSS_BEFORE_KILL_MS),
  };
}
