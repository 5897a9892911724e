import type { Client } from 'aedes';

type Deliver = (packet: object, cb: () => void) => void;
type Delivering = Client & { deliverQoS: Deliver; deliver0: Deliver; duplicates: Record<string, number> };

/**
 * Aedes skips a delivery as a duplicate when its broker counter is not above the highest this client
 * was given (lib/client.js dedupe: `duplicates[brokerId] < brokerCounter`). That is meant for one
 * message matching two of a client's subscriptions, but it also drops a message that merely reaches
 * the emitter after a later one: the counter is taken when a publish starts, and publishes finish in
 * the order their persistence calls do. With the PUBACK after the store (ack-after-store.ts), a
 * node's retained `online` (stored first) lost the race to its readings and reached no subscriber
 * (test/cli.test.ts). Here a duplicate is what it is meant to be: the same message object handed to
 * this client again by the same emit; the counter check is then left nothing to refuse.
 */
export function exactDedupe(client: Client): void {
  const c = client as Delivering;
  const seen = new WeakSet<object>();
  const deliverQoS = c.deliverQoS;
  const deliver0 = c.deliver0;
  const once = (original: Deliver): Deliver => (packet, cb) => {
    if (seen.has(packet)) return void setImmediate(cb);
    seen.add(packet);
    const id = (packet as { brokerId?: string }).brokerId;
    if (id !== undefined) delete c.duplicates[id];
    original(packet, cb);
  };
  const qos0 = once(deliver0);
  const qos = once(deliverQoS);
  c.deliver0 = qos0;
  // A QoS 0 message to a QoS 1 subscription goes through deliver0 inside deliverQoS: checked once.
  c.deliverQoS = (packet, cb) => ((packet as { qos?: number }).qos === 0 ? qos0(packet, cb) : qos(packet, cb));
}
