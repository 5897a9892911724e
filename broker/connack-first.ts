import type { Aedes, Client } from 'aedes';

type Deliver = (packet: object, cb: (err?: Error | null) => void) => void;
type Delivering = Client & { deliverQoS: Deliver; deliver0: Deliver };

/**
 * Nothing reaches a client before its CONNACK (MQTT 3.1.1 [MQTT-3.2.0-1]: the first packet the server
 * sends is a CONNACK). Aedes 1.2 restores a persistent session's subscriptions during the CONNECT
 * (lib/handlers/connect.js restoreSubs), a few persistence round trips before it writes the CONNACK
 * (storeWill, registerClient, cleanIncoming, doConnack), and lib/write.js writes to a client that is
 * still `connecting`: a message published meanwhile went out first. moscajs/aedes issue 80 is the same
 * order for retained messages (fixed there for those only). MQTT.js 5 then handles that PUBLISH before
 * the CONNACK: its PUBACK is queued until connected (lib/client.js _sendPacket → _storePacket, with the
 * packet handler's callback), so the client handles no further packet, the CONNACK behind it included,
 * until its connack timeout (30 s) closes the connection (mqttjs/MQTT.js issue 1001 is this stall
 * with mosca). With BROKER_PERSISTENCE=redis, ingest reconnecting to a restarted broker while the
 * publishers resend is such a client: its whole queue would wait 30 s for its next connection (issue 27).
 *
 * So a delivery to a client without its CONNACK yet is held, in order, and made once the CONNACK is
 * written; if the connection closes first, the held deliveries are dropped (their callbacks called):
 * only a persistent session has subscriptions before its CONNACK, and its QoS 1 messages are in its
 * stored queue, replayed at its next connection.
 */
export function connackFirst(aedes: Aedes): (client: Client) => void {
  const waiting = new WeakMap<Client, (sent: boolean) => void>();
  aedes.on('connackSent', (connack, client) => waiting.get(client)?.(connack.returnCode === 0));
  return (client) => {
    const delivering = client as Delivering;
    let held: Array<(sent: boolean) => void> | undefined = [];
    const release = (sent: boolean) => {
      const now = held;
      held = undefined;
      waiting.delete(client);
      for (const run of now ?? []) run(sent);
    };
    waiting.set(client, release);
    delivering.conn.once('close', () => release(false));
    const gate = (original: Deliver): Deliver => (packet, cb) => {
      if (!held) return original(packet, cb);
      held.push((sent) => (sent ? original(packet, cb) : setImmediate(cb)));
    };
    const [deliverQoS, deliver0] = [delivering.deliverQoS, delivering.deliver0];
    delivering.deliverQoS = gate(deliverQoS);
    delivering.deliver0 = gate(deliver0);
  };
}
