import type { Client } from 'aedes';

type Deliver = (packet: object, cb: () => void) => void;
type Delivering = Client & { deliverQoS: Deliver; deliver0: Deliver; duplicates: Record<string, number> };

/**
 * Deliveries remembered per client: copies of one message for overlapping subscriptions arrive within one
 * emit.
 */
const WINDOW = 1024;

/**
 * Aedes skips a delivery as a duplicate when its broker counter is not above the highest this client
 * was given (lib/client.js dedupe: `duplicates[brokerId] < brokerCounter`). That is meant for one
 * message matching two of a client's subscriptions (each subscription hands over its own copy,
 * lib/handlers/subscribe.js), but it also drops a message that merely reaches the emitter after a
 * later one: the counter is taken when a publish starts, and publishes finish in the order their
 * persistence calls do (a retained message makes one more), so a node's retained `online` after
 * connect could reach no subscriber (test/cli.test.ts, test/broker-exact-dedupe.test.ts). Here a
 * duplicate is what it is meant to be: a message (broker id and counter) this client was handed among
 * its last WINDOW deliveries; Aedes's counter check is then left nothing to refuse.
 */
export function exactDedupe(client: Client): void {
  const delivering = client as Delivering;
  const seen = new Set<string>();
  const order: string[] = [];
  const deliverQoS = delivering.deliverQoS;
  const deliver0 = delivering.deliver0;
  const once = (original: Deliver): Deliver => (packet, cb) => {
    const { brokerId, brokerCounter } = packet as { brokerId?: string | null; brokerCounter?: number };
    if (brokerId && brokerCounter !== undefined) {
      const key = `${brokerId}:${brokerCounter}`;
      if (seen.has(key)) return void setImmediate(cb);
      seen.add(key);
      order.push(key);
      if (order.length > WINDOW) seen.delete(order.shift()!);
      delete delivering.duplicates[brokerId];
    }
    original(packet, cb);
  };
  const qos0 = once(deliver0);
  const qos = once(deliverQoS);
  delivering.deliver0 = qos0;
  // A QoS 0 message to a QoS 1 subscription goes through deliver0 inside deliverQoS: checked once.
  delivering.deliverQoS = (packet, cb) =>
    (packet as { qos?: number }).qos === 0 ? qos0(packet, cb) : qos(packet, cb);
}
