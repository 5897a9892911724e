import type { Aedes, Client } from 'aedes';

/** Packet ids run 1..65535 (MQTT-2.3.1). */
const MAX_PACKET_ID = 65_535;
/** Client ids remembered at most; the oldest is forgotten first (its next connection scans its queue). */
const MAX_REMEMBERED_CLIENTS = 10_000;
/** A queue scan reads at most this many stored packets: with Redis each is a round trip. */
const MAX_SCANNED_PACKETS = 5_000;

/**
 * Where a reconnecting persistent session's packet ids should start: half the id space away from the
 * newest id it may still have queued, so a new id meets a queued one only with 32,768 messages in flight.
 * Pure; the broker's preConnect hook (hooks.ts) sets it on the client.
 *
 * Why: Aedes starts each connection's packet ids at a random number (lib/client.js), a persistent
 * session's stored queue keeps the ids its messages were last sent with, and a PUBACK clears whichever
 * queued message with that id comes first (aedes-persistence outgoingClearMessageId): on a collision,
 * often another, undelivered message, which would be lost.
 */
export function packetIdStart(newest: number | undefined): number | undefined {
  if (newest === undefined) return undefined;
  return ((newest - 1 + (MAX_PACKET_ID + 1) / 2) % MAX_PACKET_ID) + 1;
}

type WithNextId = Client & { _nextId?: number };
type OutgoingStore = { outgoingStream(client: { id: string }): AsyncIterable<{ messageId?: number }> };
/** The id given before `next`, Aedes's next packet id for a client. */
const newestOf = (next: number) => ((next - 2 + MAX_PACKET_ID) % MAX_PACKET_ID) + 1;

/** Remembers the newest packet id a closing connection was given, for its client id's next connection. */
export function rememberPacketId(remembered: Map<string, number>, client: WithNextId): void {
  if (!client.id || client._nextId === undefined) return;
  remembered.delete(client.id);
  remembered.set(client.id, newestOf(client._nextId));
  if (remembered.size > MAX_REMEMBERED_CLIENTS) remembered.delete(remembered.keys().next().value!);
}

/**
 * The newest packet id a reconnecting session may still have queued, cheapest source first: the
 * connection it is replacing (still registered during a takeover), the id remembered when its last
 * connection here closed, or else (a broker restarted on Redis, another broker of the cluster) the
 * last id in the head of its stored queue.
 */
export async function newestPacketId(
  aedes: Aedes,
  remembered: Map<string, number>,
  clientId: string,
): Promise<number | undefined> {
  const live = (aedes as unknown as { clients: Record<string, WithNextId | undefined> }).clients[clientId];
  if (live?._nextId !== undefined) return newestOf(live._nextId);
  const known = remembered.get(clientId);
  if (known !== undefined) return known;
  const persistence = (aedes as unknown as { persistence: OutgoingStore }).persistence;
  let newest: number | undefined;
  let scanned = 0;
  for await (const packet of persistence.outgoingStream({ id: clientId })) {
    if (packet.messageId) newest = packet.messageId;
    if (++scanned >= MAX_SCANNED_PACKETS) break;
  }
  return newest;
}
