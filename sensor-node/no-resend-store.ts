import { Store } from 'mqtt';

type Packet = Parameters<Store['put']>[0];

/**
 * An outgoing store for MQTT.js that keeps nothing to resend (issue 25, item 4). MQTT.js 5 resends
 * every unacknowledged QoS 1 PUBLISH from its outgoing store after a reconnect, even with a clean
 * session, where MQTT 5 [MQTT-4.4.0-1] allows a resend only when a session is resumed; the node's
 * outbox resends from its cursor too, so each reading in flight went out twice (seen: 64 after a
 * half-open link). The outbox is the one that resends: it survives a restart, MQTT.js's memory does
 * not. Acknowledgements still find their callbacks (MQTT.js keeps those in `outgoing`, not here).
 */
export class NoResendStore extends Store {
  override put(_packet: Packet, cb: () => void): this {
    cb();
    return this;
  }

  /** What MQTT.js deletes on an acknowledgement was never kept: it is gone, as asked. */
  override del(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this {
    cb(undefined, packet as Packet);
    return this;
  }
}
