import { Duplex } from 'node:stream';
import { OversizeFilter, type FilterEvent } from './oversize-filter.js';

type Socketish = Duplex & { remoteAddress?: string };

/**
 * A client connection as Aedes sees it: reads pass through an OversizeFilter, writes go straight to the
 * socket. Backpressure holds both ways: the socket is paused while Aedes has not read what was pushed,
 * and a write completes when the socket took it (Aedes's drain timeout still sees a frozen reader).
 */
export class FilteredConnection extends Duplex {
  readonly remoteAddress?: string;
  private readonly onBytes?: (inBytes: number, outBytes: number) => void;

  constructor(
    private readonly socket: Socketish,
    limits: { maxPayloadBytes: number; maxPacketBytes: number },
    onEvent: (event: FilterEvent) => void,
    onBytes?: (inBytes: number, outBytes: number) => void,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress;
    const filter = new OversizeFilter(limits.maxPayloadBytes, limits.maxPacketBytes);
    this.onBytes = onBytes;
    socket.on('data', (chunk: Buffer) => {
      this.onBytes?.(chunk.length, 0);
      const { pass, events } = filter.feed(chunk);
      let room = true;
      for (const buffer of pass) room = this.push(buffer) && room;
      for (const event of events) {
        onEvent(event);
        if (event.kind === 'close') return socket.destroy();
      }
      if (!room) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('connection closed'));
    this.onBytes?.(0, chunk.length);
    this.socket.write(chunk);
    this.taken(callback);
  }

  /**
   * What mqtt-packet's writeToStream corks together (a packet's header, topic and payload, and every
   * packet written to this connection in the same tick) reaches the kernel in one writev, not one socket
   * write per chunk (the cost of per-chunk writes is in docs/benchmarks.md).
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return callback(new Error('connection closed'));
    let bytes = 0;
    this.socket.cork();
    for (const { chunk } of chunks) {
      bytes += chunk.length;
      this.socket.write(chunk);
    }
    this.socket.uncork();
    this.onBytes?.(0, bytes);
    this.taken(callback);
  }

  /**
   * A write is done when the socket took it: at once while its buffer has room, else at its 'drain'
   * (so Aedes's drain timeout still sees a frozen reader). Not at the socket's write callback: a Writable
   * has one write in flight at a time, so waiting for that callback would hold every later packet to this
   * client behind the kernel's answer.
   */
  private taken(callback: (err?: Error | null) => void): void {
    if (!this.socket.writableNeedDrain) return callback();
    const done = () => {
      this.socket.off('drain', done);
      this.socket.off('close', done);
      callback(this.socket.destroyed ? new Error('connection closed') : null);
    };
    this.socket.on('drain', done);
    this.socket.on('close', done);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
