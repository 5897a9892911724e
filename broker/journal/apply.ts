import type { Readable } from 'node:stream';
import {
  assignOf,
  storedPacket,
  storedSubscription,
  type Op,
  type StoredPacket,
  type StoredSubscription,
} from './ops.js';

/** The part of Aedes's in-memory persistence (aedes-persistence asyncPersistence.js) the journal drives. */
export interface MemoryStore {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: object): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  addSubscriptions(client: { id: string }, subs: object[]): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  subscriptionsByClient(client: { id: string }): Promise<StoredSubscription[]>;
  cleanSubscriptions(client: { id: string }): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
  outgoingStream(client: { id: string }): Readable;
  incomingStorePacket(client: { id: string }, packet: object): Promise<void>;
  incomingGetPacket(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
  incomingDelPacket(client: { id: string }, packet: { messageId?: number }): Promise<void>;
  cleanIncoming(client: { id: string }): Promise<void>;
  putWill(client: { id: string }, packet: object): Promise<void>;
  getWill(client: { id: string }): Promise<object | undefined>;
  delWill(client: { id: string }): Promise<unknown>;
}

/**
 * Which clients have state and which QoS 2 message ids they sent are stored: the in-memory store has
 * no way to list them, and a snapshot needs both. Updated for every operation applied.
 */
export class StateIndex {
  readonly clients = new Set<string>();
  readonly incoming = new Map<string, Set<number>>();

  track(op: Op): void {
    if (op.op === 'retain') return;
    if (op.op === 'enqueue') {
      for (const id of op.clientIds) this.clients.add(id);
      return;
    }
    this.clients.add(op.clientId);
    if (op.op === 'incoming' && op.packet.messageId !== undefined) {
      const ids = this.incoming.get(op.clientId) ?? new Set<number>();
      ids.add(op.packet.messageId);
      this.incoming.set(op.clientId, ids);
    } else if (op.op === 'incomingDel') {
      this.incoming.get(op.clientId)?.delete(op.messageId);
    } else if (op.op === 'cleanIncoming') {
      this.incoming.delete(op.clientId);
    }
  }
}

/**
 * Applies one operation to the store, as Aedes's call did. Resolves with what the store returned;
 * rejects as the store does (an update of a packet no longer queued: "no such packet").
 */
export async function applyOp(store: MemoryStore, op: Op): Promise<unknown> {
  switch (op.op) {
    case 'retain':
      return store.storeRetained({ ...op.packet });
    case 'subscribe':
      return store.addSubscriptions({ id: op.clientId }, op.subs.map((s) => ({ ...s })));
    case 'unsubscribe':
      return store.removeSubscriptions({ id: op.clientId }, op.topics);
    case 'cleanSubscriptions':
      return store.cleanSubscriptions({ id: op.clientId });
    case 'enqueue':
      return store.outgoingEnqueueCombi(op.clientIds.map((clientId) => ({ clientId })), { ...op.packet });
    case 'update':
      return store.outgoingUpdate({ id: op.clientId }, { ...op.packet });
    case 'assign':
      // Only replay knows the packet an assign names (QueuedPackets); applied here, it is refused.
      throw new Error('an assign is replayed with the packet it names');
    case 'clear':
      return store.outgoingClearMessageId({ id: op.clientId }, { messageId: op.messageId });
    case 'incoming':
      return store.incomingStorePacket({ id: op.clientId }, { ...op.packet });
    case 'incomingDel':
      return store.incomingDelPacket({ id: op.clientId }, { messageId: op.messageId });
    case 'cleanIncoming':
      return store.cleanIncoming({ id: op.clientId });
    case 'will': {
      // putWill stamps this broker's id on the packet; a will replayed keeps the id it was stored with,
      // so Aedes treats it as a dead broker's will (published) rather than a live client's.
      const packet: StoredPacket = { ...op.packet };
      await store.putWill({ id: op.clientId }, packet);
      if (op.packet.brokerId !== undefined) packet.brokerId = op.packet.brokerId;
      return undefined;
    }
    case 'delWill':
      return store.delWill({ id: op.clientId });
  }
}

/**
 * The packets queued during a replay, by the broker and counter they were queued with, for the assigns
 * that name them (ops.ts assignOf). Kept until the replay ends, cleared ones too: an update of a packet
 * Aedes took off one queue can still land in another (aedes-persistence asyncPersistence.js
 * outgoingUpdate puts it in place of a packet of another broker with the same id). What it holds is at
 * most the journal read at start, which compaction bounds.
 */
class QueuedPackets {
  private readonly byName = new Map<string, StoredPacket>();

  /** The operation to apply for `op`: an assign as the update it stands for, undefined if it names no packet. */
  track(op: Op): Op | undefined {
    if (op.op === 'enqueue' && op.packet.brokerId !== undefined && op.packet.brokerCounter !== undefined) {
      this.byName.set(`${op.packet.brokerId}:${op.packet.brokerCounter}`, op.packet);
    } else if (op.op === 'assign') {
      const packet = this.byName.get(`${op.brokerId}:${op.brokerCounter}`);
      return packet && { op: 'update', clientId: op.clientId, packet: { ...packet, messageId: op.messageId } };
    }
    return op;
  }
}

/** Replays operations into the store; an operation the store refuses is counted, never fatal. */
export async function replayOps(
  store: MemoryStore,
  index: StateIndex,
  ops: Iterable<Op>,
): Promise<{ applied: number; refused: number }> {
  const queued = new QueuedPackets();
  let applied = 0;
  let refused = 0;
  for (const op of ops) {
    index.track(op);
    const full = queued.track(op);
    try {
      if (!full) throw new Error('an assign names no queued packet');
      await applyOp(store, full);
      applied++;
    } catch {
      refused++;
    }
  }
  return { applied, refused };
}

/**
 * The operations that rebuild the store's live state from nothing: retained messages, then per client
 * its subscriptions, queue (each entry with its packet id, if it was given one), QoS 2 messages it
 * sent and will. Replaying them gives the state back (test/broker-journal.test.ts).
 */
export async function snapshotOps(store: MemoryStore, index: StateIndex): Promise<Op[]> {
  const ops: Op[] = [];
  for await (const packet of store.createRetainedStream('#')) ops.push({ op: 'retain', packet: storedPacket(packet) });
  for (const clientId of index.clients) {
    const client = { id: clientId };
    const subs = await store.subscriptionsByClient(client);
    if (subs.length > 0) ops.push({ op: 'subscribe', clientId, subs: subs.map(storedSubscription) });
    for await (const queued of store.outgoingStream(client)) {
      const packet = storedPacket(queued);
      ops.push({ op: 'enqueue', clientIds: [clientId], packet });
      if (packet.messageId !== undefined) ops.push(assignOf(clientId, packet));
    }
    for (const messageId of index.incoming.get(clientId) ?? []) {
      const packet = await store.incomingGetPacket(client, { messageId }).catch(() => undefined);
      if (packet) ops.push({ op: 'incoming', clientId, packet: storedPacket(packet) });
    }
    const will = await store.getWill(client);
    if (will) ops.push({ op: 'will', clientId, packet: storedPacket(will) });
  }
  return ops;
}

/** Forgets clients with no state left, so the index does not grow with every client id ever seen. */
export async function pruneIndex(store: MemoryStore, index: StateIndex): Promise<void> {
  for (const clientId of [...index.clients]) {
    const client = { id: clientId };
    if ((await store.subscriptionsByClient(client)).length > 0) continue;
    if (index.incoming.get(clientId)?.size) continue;
    if (await store.getWill(client)) continue;
    let queued = false;
    for await (const _ of store.outgoingStream(client)) {
      queued = true;
      break;
    }
    if (!queued) index.clients.delete(clientId);
  }
}
