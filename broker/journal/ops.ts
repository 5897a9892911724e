import { encodeRecord, type SpooledMessage } from '../../shared/spool/record.js';

/**
 * What the broker's journal records: one operation on Aedes's persistence per record, in the spool's
 * record format (shared/spool/record.ts: length, CRC-32, body), with the operation's name where a
 * spooled message has its topic. Where it has its payload: a version byte (1), the u32 length of the
 * operation's arguments as JSON, that JSON (a packet without its payload) and the packet's payload as
 * raw bytes. The first journals (before version 1) held only the JSON, the payload in base64: they
 * start with `{` and are still read. Only what changes the state is recorded; replaying the
 * operations in order rebuilds it (apply.ts). Pure.
 */

/** The fields of a stored packet that matter; a delivery's packet also carries its client and callbacks. */
export interface StoredPacket {
  cmd: string;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  clientId?: string;
  messageExpiry?: number;
  properties?: unknown;
}

export interface StoredSubscription {
  topic: string;
  qos: number;
  rh?: number;
  rap?: number;
  nl?: boolean | number;
  subscriptionIdentifier?: number;
}

export type Op =
  | { op: 'retain'; packet: StoredPacket }
  | { op: 'subscribe'; clientId: string; subs: StoredSubscription[] }
  | { op: 'unsubscribe'; clientId: string; topics: string[] }
  | { op: 'cleanSubscriptions'; clientId: string }
  | { op: 'enqueue'; clientIds: string[]; packet: StoredPacket }
  | { op: 'update'; clientId: string; packet: StoredPacket }
  // An update that only gives a queued packet its id, named by the broker and counter it was queued
  // with: the packet is not written again (it was, when it was queued). See assignOf.
  | { op: 'assign'; clientId: string; brokerId: string; brokerCounter: number; messageId: number }
  | { op: 'clear'; clientId: string; messageId: number }
  | { op: 'incoming'; clientId: string; packet: StoredPacket }
  | { op: 'incomingDel'; clientId: string; messageId: number }
  | { op: 'cleanIncoming'; clientId: string }
  | { op: 'will'; clientId: string; packet: StoredPacket }
  | { op: 'delWill'; clientId: string };

export const OP_NAMES: ReadonlySet<string> = new Set([
  'retain',
  'subscribe',
  'unsubscribe',
  'cleanSubscriptions',
  'enqueue',
  'update',
  'assign',
  'clear',
  'incoming',
  'incomingDel',
  'cleanIncoming',
  'will',
  'delWill',
]);

type Loose = Partial<StoredPacket> & { payload?: Buffer | Uint8Array | string };

/** The persisted fields of a packet, payload always a Buffer. */
export function storedPacket(packet: Loose): StoredPacket {
  const given = packet.payload;
  const payload =
    given === undefined ? Buffer.alloc(0) : Buffer.isBuffer(given) ? given : Buffer.from(given as Uint8Array | string);
  const out: StoredPacket = {
    cmd: packet.cmd ?? 'publish',
    topic: packet.topic ?? '',
    payload,
    qos: packet.qos ?? 0,
    retain: packet.retain ?? false,
    dup: packet.dup ?? false,
  };
  if (packet.brokerId !== undefined) out.brokerId = packet.brokerId;
  if (packet.brokerCounter !== undefined) out.brokerCounter = packet.brokerCounter;
  if (packet.messageId !== undefined && packet.messageId !== null) out.messageId = packet.messageId;
  if (packet.clientId !== undefined) out.clientId = packet.clientId;
  if (packet.messageExpiry !== undefined) out.messageExpiry = packet.messageExpiry;
  if (packet.properties !== undefined) out.properties = packet.properties;
  return out;
}

export function storedSubscription(s: StoredSubscription): StoredSubscription {
  const out: StoredSubscription = { topic: s.topic, qos: s.qos };
  if (s.rh !== undefined) out.rh = s.rh;
  if (s.rap !== undefined) out.rap = s.rap;
  if (s.nl !== undefined) out.nl = s.nl;
  if (s.subscriptionIdentifier !== undefined) out.subscriptionIdentifier = s.subscriptionIdentifier;
  return out;
}

/**
 * The journal's form of Aedes's `outgoingUpdate(client, packet)`: Aedes calls it when it sends a queued
 * packet, with that packet and the id it now has; the id is all that changes (aedes-persistence
 * asyncPersistence.js outgoingUpdate matches the queued packet by brokerId and brokerCounter). Replay
 * takes the packet from the operation that queued it (apply.ts). A packet without both names is
 * journaled whole.
 */
export function assignOf(clientId: string, packet: StoredPacket): Op {
  const { brokerId, brokerCounter, messageId } = packet;
  const named = brokerId !== undefined && brokerCounter !== undefined && messageId !== undefined;
  if (!named) return { op: 'update', clientId, packet };
  return { op: 'assign', clientId, brokerId, brokerCounter, messageId };
}

const VERSION = 1;
const EMPTY: Buffer = Buffer.alloc(0);

/** One operation as one record. `at` is when it was journaled (ms), kept in the record's time field. */
export function encodeOp(op: Op, at: number): Buffer {
  const { op: name, ...args } = op;
  let raw = EMPTY;
  let json: string;
  if ('packet' in args) {
    const { payload, ...rest } = args.packet;
    raw = payload;
    json = JSON.stringify({ ...args, packet: rest });
  } else {
    json = JSON.stringify(args);
  }
  const jsonBytes = Buffer.byteLength(json);
  const body = Buffer.allocUnsafe(5 + jsonBytes + raw.length);
  body.writeUInt8(VERSION, 0);
  body.writeUInt32LE(jsonBytes, 1);
  body.write(json, 5);
  raw.copy(body, 5 + jsonBytes);
  return encodeRecord({ receivedAt: at, topic: name, payload: body });
}

/** The arguments' JSON and the packet's payload of a record's body, in either form; undefined if neither. */
function split(body: Buffer): { json: string; raw: Buffer | undefined } | undefined {
  if (body[0] === 0x7b) return { json: body.toString('utf8'), raw: undefined }; // '{': before version 1
  if (body.length < 5 || body[0] !== VERSION) return undefined;
  const end = 5 + body.readUInt32LE(1);
  if (end > body.length) return undefined;
  return { json: body.toString('utf8', 5, end), raw: body.subarray(end) };
}

/**
 * The operation a valid record holds, or undefined when its name or arguments are not one (a record
 * whose CRC matched by chance, or written by a later version): the caller counts it as damage.
 */
export function decodeOp(record: Pick<SpooledMessage, 'topic' | 'payload'>): Op | undefined {
  if (!OP_NAMES.has(record.topic)) return undefined;
  const parts = split(record.payload);
  if (!parts) return undefined;
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(parts.json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!args || typeof args !== 'object') return undefined;
  const op = { ...args, op: record.topic } as Record<string, unknown>;
  if ('packet' in op) {
    const packet = op.packet as { payload64?: unknown; topic?: unknown } | null;
    if (!packet || typeof packet !== 'object' || typeof packet.topic !== 'string') return undefined;
    const { payload64, ...rest } = packet;
    if (parts.raw === undefined && typeof payload64 !== 'string') return undefined;
    // A copy: a packet kept in the queue must not pin the whole journal read at start.
    const payload = parts.raw === undefined ? Buffer.from(payload64 as string, 'base64') : Buffer.from(parts.raw);
    op.packet = { ...rest, payload };
  }
  return valid(op) ? (op as Op) : undefined;
}

const isId = (v: unknown) => typeof v === 'string';
const isMessageId = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 65_535;

function valid(op: Record<string, unknown>): boolean {
  switch (op.op) {
    case 'retain':
      return true;
    case 'subscribe':
      return (
        isId(op.clientId) &&
        Array.isArray(op.subs) &&
        op.subs.every((sub) => sub && typeof sub.topic === 'string' && Number.isInteger(sub.qos))
      );
    case 'unsubscribe':
      return isId(op.clientId) && Array.isArray(op.topics) && op.topics.every((t) => typeof t === 'string');
    case 'enqueue':
      return Array.isArray(op.clientIds) && op.clientIds.every(isId);
    case 'update':
    case 'incoming':
    case 'will':
      return isId(op.clientId);
    case 'assign':
      return isId(op.clientId) && isId(op.brokerId) && Number.isInteger(op.brokerCounter) && isMessageId(op.messageId);
    case 'clear':
    case 'incomingDel':
      return isId(op.clientId) && isMessageId(op.messageId);
    default:
      return isId(op.clientId);
  }
}
