import { INTERNAL_PREFIX } from './policy.js';

/**
 * Watches the bytes of one MQTT connection before Aedes parses them, and handles an oversize PUBLISH as
 * Mosquitto's `message_size_limit` does: the body is read and discarded as it streams in (never
 * buffered), and Aedes is handed a stand-in PUBLISH with the same QoS and packet id on DROPPED_TOPIC
 * and no payload, so the QoS flow completes (PUBACK, or PUBREC/PUBREL/PUBCOMP) and the client stays
 * connected. Without this, Aedes buffers a whole packet (up to MQTT's 256 MB) before any hook sees it,
 * and closing the connection instead traps an MQTT.js client: it reconnects and resends the same
 * packet forever. Any other packet over the limit, or a malformed length, closes the connection.
 *
 * Pure: a state machine over the fixed header (MQTT-2.2: a type byte, then the remaining length in at
 * most four bytes) and, for an oversize PUBLISH, its variable header (MQTT-3.3.2: topic length, topic,
 * packet id when QoS > 0). MQTT 3.1.1 only, as Aedes.
 */
export const DROPPED_TOPIC = `${INTERNAL_PREFIX}dropped`;

const PUBLISH = 3;
const MAX_LENGTH_BYTES = 4;
const marker = Buffer.from(DROPPED_TOPIC);

export type FilterEvent =
  | { kind: 'dropped'; topic: string; qos: number; bytes: number }
  | { kind: 'close'; reason: string };

export interface Filtered {
  /** Bytes for Aedes, in order. */
  pass: Buffer[];
  events: FilterEvent[];
}

type State = 'header' | 'body' | 'variable-header' | 'discard' | 'closed';

export class OversizeFilter {
  private state: State = 'header';
  private header: number[] = [];
  private length = 0;
  private multiplier = 1;
  private remaining = 0;
  private variable: number[] = [];
  private variableNeeded = 2;

  /**
   * @param maxPayloadBytes a PUBLISH whose payload is larger is dropped
   * @param maxPacketBytes any other packet larger than this closes the connection
   */
  constructor(private readonly maxPayloadBytes: number, private readonly maxPacketBytes: number) {}

  feed(chunk: Buffer): Filtered {
    const out: Filtered = { pass: [], events: [] };
    let passFrom = -1; // start of a run of chunk bytes passed through unchanged
    const flushRun = (end: number) => {
      const run = passFrom >= 0 && end > passFrom;
      if (run) out.pass.push(passFrom === 0 && end === chunk.length ? chunk : chunk.subarray(passFrom, end));
      passFrom = -1;
    };
    let i = 0;
    while (i < chunk.length && this.state !== 'closed') {
      switch (this.state) {
        case 'header': {
          const byte = chunk[i++]!;
          this.header.push(byte);
          if (this.header.length === 1) {
            [this.length, this.multiplier] = [0, 1];
            break;
          }
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          if (byte & 0x80) {
            if (this.header.length - 1 === MAX_LENGTH_BYTES) this.close(out, 'a malformed packet length (MQTT-2.2.3)');
            break;
          }
          const isPublish = this.header[0]! >> 4 === PUBLISH;
          // A PUBLISH that may carry more than maxPayloadBytes is looked into; anything else that fits passes.
          if (isPublish ? this.length <= this.maxPayloadBytes : this.length <= this.maxPacketBytes) {
            out.pass.push(Buffer.from(this.header));
            this.header = [];
            this.remaining = this.length;
            this.state = this.remaining === 0 ? 'header' : 'body';
            if (this.state === 'body') passFrom = i;
          } else if (isPublish) {
            this.state = 'variable-header';
            [this.variable, this.variableNeeded, this.remaining] = [[], 2, this.length];
          } else {
            this.close(out, `a packet of ${this.length} bytes, more than ${this.maxPacketBytes}`);
          }
          break;
        }
        case 'body': {
          if (passFrom < 0) passFrom = i;
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            flushRun(i);
            this.state = 'header';
            this.header = [];
          }
          break;
        }
        case 'variable-header': {
          this.variable.push(chunk[i++]!);
          this.remaining--;
          if (this.variable.length === 2) {
            const qos = (this.header[0]! >> 1) & 3;
            this.variableNeeded = 2 + ((this.variable[0]! << 8) | this.variable[1]!) + (qos > 0 ? 2 : 0);
          }
          if (this.variable.length === this.variableNeeded) {
            if (this.length - this.variableNeeded <= this.maxPayloadBytes) {
              // A long topic, not a large payload: the packet passes as it is.
              out.pass.push(Buffer.from(this.header), Buffer.from(this.variable));
              this.header = [];
              this.state = this.remaining === 0 ? 'header' : 'body';
              if (this.state === 'body') passFrom = i;
            } else {
              this.standIn(out);
            }
          }
          else if (this.remaining === 0) this.close(out, 'a malformed PUBLISH (its topic is longer than the packet)');
          break;
        }
        case 'discard': {
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = 'header';
            this.header = [];
          }
          break;
        }
      }
    }
    if (this.state === 'body') flushRun(i);
    return out;
  }

  /** Emits the stand-in PUBLISH for the oversize one whose variable header is complete; discards its body. */
  private standIn(out: Filtered): void {
    const first = this.header[0]!;
    const qos = (first >> 1) & 3;
    if (qos === 3) return this.close(out, 'a PUBLISH with QoS 3 (MQTT-3.3.1-4)');
    const topicLength = (this.variable[0]! << 8) | this.variable[1]!;
    const topic = Buffer.from(this.variable.slice(2, 2 + topicLength)).toString('utf8');
    const packetId = qos > 0 ? this.variable.slice(2 + topicLength) : [];
    const remainingLength = 2 + marker.length + packetId.length;
    // DUP and QoS kept, RETAIN cleared: the stand-in must never replace a retained message.
    const topicLengthBytes = [marker.length >> 8, marker.length & 0xff];
    out.pass.push(Buffer.from([first & 0b1111_1110, remainingLength, ...topicLengthBytes, ...marker, ...packetId]));
    out.events.push({ kind: 'dropped', topic, qos, bytes: this.length });
    this.state = this.remaining === 0 ? 'header' : 'discard';
    this.header = [];
  }

  private close(out: Filtered, reason: string): void {
    this.state = 'closed';
    out.events.push({ kind: 'close', reason });
  }
}
