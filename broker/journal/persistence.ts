import { mkdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { acquirePidLock } from '../../shared/pid-lock.js';
import { applyOp, pruneIndex, replayOps, StateIndex } from './apply.js';
import { assignOf, encodeOp, storedPacket, storedSubscription, type Op } from './ops.js';
import { parseJournal } from './read.js';
import { ReadThrough } from './read-through.js';
import { writeSnapshot } from './snapshot.js';
import { JournalWriter } from './writer.js';

export interface FilePersistenceOptions {
  /** Directory of the journal (DATA_DIR/broker). */
  dir: string;
  log: Logger;
  /** fsync cadence: a power cut loses at most this window; a crash of the process loses nothing. */
  fsyncIntervalMs: number;
  /** The journal is compacted (rewritten as a snapshot of the live state) when it grows past this. */
  compactBytes: number;
}

type Client = { id: string };
type PacketLike = Parameters<typeof storedPacket>[0];

/**
 * Aedes's in-memory persistence, with every change journaled to an append-only file: a message's
 * operations take effect at once and its PUBACK waits until they are in the file (`mark`/`settled`,
 * used by ack-after-store.ts); the others resolve once written (see `record`). Reads are served from
 * memory (read-through.ts). At setup the journal is replayed (a torn last record cut off, damage
 * skipped and counted) and compacted; it is compacted again whenever it outgrows `compactBytes`.
 */
export class FilePersistence extends ReadThrough {
  private readonly index = new StateIndex();
  private writer: JournalWriter | undefined;
  private compacting = false;
  /** Operations handed to the journal and not yet applied to memory (waiting for their write). */
  private waiting = 0;
  private compactFailed = false;
  private compactAt: number;
  private stopping: Promise<void> | undefined;
  private releaseLock: (() => void) | undefined;
  readonly path: string;

  constructor(private readonly options: FilePersistenceOptions) {
    super();
    this.path = join(options.dir, 'journal.log');
    this.compactAt = options.compactBytes;
  }

  get broker(): unknown {
    return (this.memory as unknown as { broker: unknown }).broker;
  }

  /** Called by Aedes at start (must be an async function): replays the journal, then compacts it. */
  async setup(broker: unknown): Promise<void> {
    const started = Date.now();
    await this.memory.setup(broker);
    await mkdir(this.options.dir, { recursive: true });
    // Two brokers on one journal would each replay the other's records.
    const log = this.options.log;
    this.releaseLock = acquirePidLock(join(this.options.dir, 'lock'), `broker journal ${this.options.dir}`, (reason) =>
      log.info({ journal: this.path, reason }, 'took over the lock of a broker that is gone'));
    const bytes = await readFile(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const parsed = parseJournal(bytes);
    const replayed = await replayOps(this.memory, this.index, parsed.ops);
    await pruneIndex(this.memory, this.index);
    const size = await this.compactAtStart(bytes.length, parsed.validEnd);
    this.writer = await JournalWriter.open(this.path, {
      fsyncIntervalMs: this.options.fsyncIntervalMs,
      onFailure: (err) =>
        log.error(
          { journal: this.path, err: err.message },
          'cannot write the broker journal (disk full?): publishes are not acknowledged until it can be written ' +
            '(logged once)',
        ),
      onRecovery: () => log.info({ journal: this.path }, 'the broker journal can be written again'),
    });
    this.writer.size = size;
    this.compactAt = Math.max(this.options.compactBytes, 2 * size);
    const fields = {
      journal: this.path,
      bytes: bytes.length,
      operations: parsed.ops.length,
      refused: replayed.refused,
      clients: this.index.clients.size,
      snapshotBytes: size,
      ms: Date.now() - started,
    };
    if (parsed.damagedBytes > 0 || parsed.unreadable > 0) {
      const damage = { damagedBytes: parsed.damagedBytes, unreadable: parsed.unreadable };
      log.warn({ ...fields, ...damage }, 'broker journal had damaged records: skipped');
    }
    if (bytes.length > parsed.validEnd) {
      const torn = { tornBytes: bytes.length - parsed.validEnd };
      log.warn({ ...fields, ...torn }, 'broker journal ended in a torn record (a crash mid-write): cut off');
    }
    log.info(fields, 'broker journal replayed');
  }

  /**
   * The journal rewritten as a snapshot of what was replayed; its size. If the snapshot cannot be
   * written (a full disk), the broker goes on with the journal as it is, its torn tail cut off, rather
   * than failing every start until there is room (test/broker-full-disk.test.ts).
   */
  private async compactAtStart(bytes: number, validEnd: number): Promise<number> {
    try {
      const { size, file } = await this.writeSnapshot();
      await file.close();
      return size;
    } catch (err) {
      this.compactFailed = true;
      this.options.log.error(
        { journal: this.path, err: (err as Error).message, bytes: validEnd },
        'could not compact the broker journal at start (disk full?): going on with it as it is',
      );
      if (bytes > validEnd) await truncate(this.path, validEnd);
      return validEnd;
    }
  }

  private writeSnapshot() {
    return writeSnapshot(this.memory, this.index, { path: this.path, dir: this.options.dir, log: this.options.log });
  }

  private compact(): void {
    if (this.compacting || !this.writer) return;
    this.compacting = true;
    this.writer
      .between(async (old, oldSize) => {
        await pruneIndex(this.memory, this.index);
        try {
          const next = await this.writeSnapshot();
          await old.close().catch(() => {});
          this.compactAt = Math.max(this.options.compactBytes, 2 * next.size);
          if (this.compactFailed) this.options.log.info({ journal: this.path }, 'the broker journal compacts again');
          this.compactFailed = false;
          return next;
        } catch (err) {
          // Not again at the next record (each try rewrites the whole state): when it has grown as much again.
          this.compactAt = 2 * oldSize;
          if (!this.compactFailed) {
            this.options.log.error(
              { journal: this.path, err: (err as Error).message, retryAtBytes: this.compactAt },
              'could not compact the broker journal; it grows until the next attempt (logged once until one succeeds)',
            );
          }
          this.compactFailed = true;
          return { file: old, size: oldSize };
        }
      })
      .catch((err: Error) =>
        this.options.log.error({ journal: this.path, err: err.message }, 'could not compact the broker journal'),
      )
      .finally(() => {
        this.compacting = false;
      });
  }

  /**
   * Journals `op`, then applies it to memory (`applied` when what is journaled is shorter: an assign
   * for the update Aedes made); resolves with what memory returned. What a client is answered for at
   * once (a subscription, a will, a QoS 2 message) resolves once it is in the file. The operations of
   * a message's way through (retain, queue, send, clear) are applied at once, in the order they came:
   * what they are for, the publisher's PUBACK, waits for `settled` (ack-after-store.ts), so the
   * journal writes whatever came meanwhile together instead of one step at a time. While the journal
   * is being compacted (the snapshot must not see an operation twice), or while another operation
   * waits for its write (memory must take them in the file's order), every operation waits for its own.
   */
  private async record(op: Op, applied: Op = op, quick = false): Promise<never> {
    if (!this.writer) throw new Error('the broker journal is not open');
    const bytes = encodeOp(op, Date.now());
    // Memory takes operations in the journal's order: none goes ahead while one waits for its write.
    if (quick && !this.compacting && this.waiting === 0) this.writer.appendQuietly(bytes);
    else {
      this.waiting++;
      try {
        await this.writer.append(bytes);
      } finally {
        this.waiting--;
      }
    }
    this.index.track(op);
    const result = applyOp(this.memory, applied);
    if (this.writer.size > this.compactAt) this.compact();
    return result as Promise<never>;
  }

  /** False while the journal cannot be written (a full disk): publishes are not acknowledged. */
  get writable(): boolean {
    return this.writer?.writable ?? true;
  }

  /** The journal's mark now; `settled(mark)` resolves once all handed in since is written. */
  mark(): number {
    return this.writer?.mark ?? 0;
  }

  settled(from: number): Promise<void> {
    return this.writer ? this.writer.settled(from) : Promise.resolve();
  }

  storeRetained(packet: PacketLike) {
    return this.record({ op: 'retain', packet: storedPacket(packet) }, undefined, true);
  }
  addSubscriptions(client: Client, subs: Parameters<typeof storedSubscription>[0][]) {
    return this.record({ op: 'subscribe', clientId: client.id, subs: subs.map(storedSubscription) });
  }
  removeSubscriptions(client: Client, topics: string[]) {
    return this.record({ op: 'unsubscribe', clientId: client.id, topics: [...topics] });
  }
  cleanSubscriptions(client: Client) {
    return this.record({ op: 'cleanSubscriptions', clientId: client.id });
  }
  async outgoingEnqueue(sub: { clientId: string }, packet: PacketLike) {
    return this.outgoingEnqueueCombi([sub], packet);
  }
  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: PacketLike) {
    // Most messages have no persistent session to queue for: nothing to journal.
    if (subs.length === 0) return;
    const op: Op = { op: 'enqueue', clientIds: subs.map((sub) => sub.clientId), packet: storedPacket(packet) };
    return this.record(op, undefined, true);
  }
  outgoingUpdate(client: Client, packet: PacketLike) {
    const stored = storedPacket(packet);
    // A PUBREL (QoS 2 to a subscriber) is written before it is sent: after a crash, PUBREL again, not the
    // message.
    const update: Op = { op: 'update', clientId: client.id, packet: stored };
    return this.record(assignOf(client.id, stored), update, stored.cmd === 'publish');
  }
  async outgoingClearMessageId(client: Client, packet: { messageId?: number }) {
    if (!packet.messageId) return this.memory.outgoingClearMessageId(client, packet);
    return this.record({ op: 'clear', clientId: client.id, messageId: packet.messageId }, undefined, true);
  }
  incomingStorePacket(client: Client, packet: PacketLike) {
    return this.record({ op: 'incoming', clientId: client.id, packet: storedPacket(packet) });
  }
  async incomingDelPacket(client: Client, packet: { messageId?: number }) {
    if (!packet.messageId) return this.memory.incomingDelPacket(client, packet);
    return this.record({ op: 'incomingDel', clientId: client.id, messageId: packet.messageId });
  }
  cleanIncoming(client: Client) {
    return this.record({ op: 'cleanIncoming', clientId: client.id });
  }
  async putWill(client: Client, packet: PacketLike & { brokerId?: string }) {
    // As the in-memory store does: the will is stamped with this broker and client.
    const broker = this.broker as { id?: string } | undefined;
    packet.brokerId = broker?.id;
    (packet as { clientId?: string }).clientId = client.id;
    return this.record({ op: 'will', clientId: client.id, packet: storedPacket(packet) });
  }
  delWill(client: Client) {
    return this.record({ op: 'delWill', clientId: client.id });
  }

  /** Writes what is pending, fsyncs and closes the journal, within `timeoutMs`; safe to call twice. */
  stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.writer) return this.releaseLock?.();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.options.log.warn(
            { journal: this.path, timeoutMs },
            'the broker journal did not close in time; its last writes may not be fsynced',
          );
          resolve();
        }, timeoutMs);
      });
      await Promise.race([this.writer.close(), late]);
      clearTimeout(timer);
      this.releaseLock?.();
    })();
    return this.stopping;
  }

  /** Aedes's name for stop(). */
  destroy(): Promise<void> {
    return this.stop();
  }
}
