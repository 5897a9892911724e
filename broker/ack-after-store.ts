import type { Aedes, AedesOptions, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { POLICY } from './hooks.js';

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

/**
 * A persistence that applies a message's operations at once and says when they are written
 * (journal/persistence.ts).
 */
interface Journaled {
  mark?(): number;
  settled?(from: number): Promise<void>;
}

/**
 * A QoS 1 PUBACK only once the message is stored. Aedes 1.2 writes the PUBACK first and only then
 * publishes (node_modules/aedes/lib/handlers/publish.js:92-96: `write(client, new PubAck(packet), …
 * client.broker.publish(packet, client, done))`), and publishing is what queues the message for
 * persistent sessions (aedes.js:384 publishFuncsQoS: storeRetained, enqueueOffline →
 * persistence.outgoingEnqueueCombi, emitPacket). So a publisher is told "stored" while the message is
 * still on its way to the persistence: a crash in between loses an acknowledged message, whatever the
 * persistence (with Redis, the round trip is the window: issue 27).
 *
 * Here the publish runs inside authorizePublish, after the policy allowed it: the handler's PUBACK
 * then leaves once storeRetained, the queueing and the delivery to connected subscribers are done,
 * and its own call of broker.publish for the same packet is answered at once (it was published). With
 * the broker's journal, publishing does not wait for the disk: the PUBACK waits until everything
 * journaled since the publish began is in the file (`settled`), while the topic's next message is
 * published, so the messages of a tick are written together (written one step at a time, the journal
 * would cost much of the broker's ceiling: docs/benchmarks.md). If a write among them failed, the
 * publish is refused as below; subscribers may have had the message already, and get it again when the
 * publisher resends it (ingest stores a reading once: its key). A publish that fails (the journal cannot be written:
 * a full disk) fails the handler: no PUBACK, the client is disconnected and resends its message when
 * it reconnects. The journal said so once; the client's error is not logged again at each of its tries.
 *
 * Aedes's connect handler deletes the client's stored will with `persistence.delWill(client).finally(…)`
 * (lib/handlers/connect.js:217), so a delWill that fails (the journal on a full disk) would be an
 * unhandled rejection, ending the broker at the first reconnect of a refused publisher
 * (test/broker-full-disk.test.ts). Here it resolves instead: the will stays stored as it was, and the
 * connect goes on (the client's will, if any, is stored next, and fails the connect).
 */
export function ackAfterStore(aedes: Aedes): void {
  const hooked = aedes as unknown as { authorizePublish: AuthorizePublish };
  const authorize = hooked.authorizePublish;
  type WillStore = { delWill(client: unknown): Promise<unknown> };
  const persistence = (aedes as unknown as { persistence: Journaled & WillStore }).persistence;
  const delWill = persistence.delWill.bind(persistence);
  persistence.delWill = (client) => delWill(client).catch(() => undefined);
  const published = new WeakSet<object>();
  // A client's publishes to one topic are published in the order they arrived (MQTT 3.1.1 §4.6: a topic's
  // messages reach subscribers in the order their publisher sent them). Aedes hands a whole socket read
  // to its handlers at once, authorization may answer later for one message than for the next (an
  // ownership look-up), and a retained message takes one more store step than a plain one: without a
  // turn each, a plain message could overtake a retained one before it. Other topics of the same client go
  // on meanwhile.
  const turns = new WeakMap<Client, Map<string, Promise<void>>>();
  type Publish = (
    packet: AedesPublishPacket | PublishPacket,
    client: Client | null,
    done: (err?: Error | null) => void,
  ) => void;
  const publish = aedes.publish.bind(aedes) as unknown as Publish;
  (aedes as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
    if (typeof client !== 'function' && published.delete(packet)) return done?.(null);
    // QoS 2: Aedes stores the message as received, publishes it and sends PUBREC from the publish's
    // callback (lib/handlers/publish.js:79-84); a resent one is then only answered. So the PUBREC too
    // waits until what publishing journaled is written: else a crash could lose a message the client
    // was told it could forget.
    const from = client && typeof client !== 'function' && packet.qos === 2 ? persistence.mark?.() : undefined;
    if (from === undefined) return publish(packet, client, done);
    return publish(packet, client, (err) =>
      err ? done(err) : persistence.settled!(from).then(() => done(null), done),
    );
  };
  hooked.authorizePublish = (client, packet, done) => {
    // QoS 0 is published by Aedes's handler as before; MQTT orders a topic's messages per QoS.
    if (!client || packet.qos !== 1) return authorize(client, packet, done);
    // The turn is taken on arrival, before authorizing, so a slow authorization cannot be overtaken.
    const mineByTopic = turns.get(client) ?? new Map<string, Promise<void>>();
    turns.set(client, mineByTopic);
    const previous = mineByTopic.get(packet.topic) ?? Promise.resolve();
    let finished!: () => void;
    const mine = new Promise<void>((resolve) => (finished = resolve));
    mineByTopic.set(packet.topic, mine);
    const next = () => {
      finished();
      if (mineByTopic.get(packet.topic) === mine) mineByTopic.delete(packet.topic);
    };
    authorize(client, packet, (err?: Error | null) => {
      if (err) {
        // Refused: nothing to publish, and the client is closed at once, as before (a flooder is
        // disconnected once, not once per message still in its socket read).
        void previous.then(next);
        return done(err);
      }
      void previous.then(() => {
        const from = persistence.mark?.();
        publish(packet, client, (failed) => {
          // The next message of the topic goes on; this one's PUBACK waits for what its publishing journaled.
          next();
          const refuse = (err: Error) => done(Object.assign(new Error(err.message), { [POLICY]: true }));
          if (failed) return refuse(failed);
          const stored = from === undefined ? undefined : persistence.settled!(from);
          if (!stored) return acknowledge();
          stored.then(acknowledge, refuse);
        });
      });
      const acknowledge = () => {
        published.add(packet);
        done(null);
      };
    });
  };
}
