import type { ServerResponse } from 'node:http';

/** Event streams open at once, in all. */
export const MAX_STREAMS = 100;
/** Event streams of one client address (a browser with a few tabs); ./doors.ts clientOf names the client. */
export const MAX_STREAMS_PER_CLIENT = 6;
/**
 * A reader whose unsent frames exceed this has stopped reading, and is dropped (it reconnects when it reads
 * again).
 */
export const MAX_BUFFERED_BYTES = 256 * 1024;

export interface OpenStream { id: number; client: string }

/**
 * Which stream must close for a new one of `client` to open. Pure. A new stream is always admitted:
 * the page asking now is the one someone is looking at, and EventSource reconnects a dropped one by
 * itself. What goes is the client's own oldest stream when the client is at its cap (a closed laptop's
 * leftover, or one address flooding), else, when all streams are taken, the oldest stream of the client
 * holding the most. So no client, however many streams it opens, keeps another out; the dashboard's
 * own page always gets its stream (issue 23, item 5). `open` is in the order the streams opened.
 */
export function streamToDrop(open: readonly OpenStream[], client: string,
  limits = { total: MAX_STREAMS, perClient: MAX_STREAMS_PER_CLIENT }): number | null {
  const own = open.filter((stream) => stream.client === client);
  if (own.length >= limits.perClient) return own[0]!.id;
  if (open.length < limits.total) return null;
  const counts = new Map<string, number>();
  for (const stream of open) counts.set(stream.client, (counts.get(stream.client) ?? 0) + 1);
  const most = Math.max(...counts.values());
  return open.find((stream) => counts.get(stream.client) === most)!.id;
}

export interface StreamStats { opened: number; replaced: number; droppedSlow: number }

/** The open event streams: admission by streamToDrop, frames to each, a stalled reader dropped. */
export class EventStreams {
  private readonly open = new Map<number, { client: string; res: ServerResponse }>();
  private nextId = 1;
  readonly stats: StreamStats = { opened: 0, replaced: 0, droppedSlow: 0 };

  constructor(private readonly limits = {
    total: MAX_STREAMS, perClient: MAX_STREAMS_PER_CLIENT, maxBufferedBytes: MAX_BUFFERED_BYTES,
  }) {}

  get size(): number {
    return this.open.size;
  }

  /** Takes over a response as an event stream, closing the one streamToDrop names first. */
  add(res: ServerResponse, client: string, greeting: string): void {
    const open = [...this.open].map(([id, stream]) => ({ id, client: stream.client }));
    const drop = streamToDrop(open, client, this.limits);
    if (drop !== null) {
      this.stats.replaced++;
      this.close(drop);
    }
    const id = this.nextId++;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(greeting);
    this.open.set(id, { client, res });
    this.stats.opened++;
    res.on('close', () => this.open.delete(id));
  }

  /** Writes a frame to every stream; a stream with more than the bound unsent is dropped instead. */
  send(frame: string): void {
    for (const [id, { res }] of this.open) {
      if (res.writableLength > this.limits.maxBufferedBytes) {
        this.stats.droppedSlow++;
        this.open.delete(id);
        res.destroy();
      } else {
        res.write(frame);
      }
    }
  }

  private close(id: number): void {
    const stream = this.open.get(id);
    this.open.delete(id);
    if (!stream) return;
    // Ended, and the connection with it (keep-alive would hold it open); not reading, it is cut.
    if (stream.res.writableLength > 0) return void stream.res.destroy();
    stream.res.end();
    stream.res.socket?.end();
  }

  closeAll(): void {
    for (const { res } of this.open.values()) res.end();
    this.open.clear();
  }
}
