/**
 * Watches the bytes of one MQTT connection and reports the first packet whose fixed header announces
 * more than `maxBytes`, before its body arrives: Aedes buffers a whole packet before any hook sees it,
 * so without this one client could make the broker hold up to MQTT's 256 MB limit in memory.
 * Pure: it only reads the fixed header (a type byte, then the remaining length, MQTT-2.2.3).
 */
export class PacketSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxBytes: number) {}

  /** Null while every packet fits; otherwise why the connection must close. */
  feed(chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'type') {
        i++;
        [this.state, this.length, this.multiplier, this.lengthBytes] = ['length', 0, 1, 0];
      } else if (this.state === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (this.length > this.maxBytes) return `a packet of ${this.length} bytes, more than ${this.maxBytes}`;
        if (byte & 0x80) {
          // MQTT-2.2.3: at most four length bytes.
          if (this.lengthBytes === 4) return 'a malformed packet length';
          continue;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? 'type' : 'body';
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    return null;
  }
}
