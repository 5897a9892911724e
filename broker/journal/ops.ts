import { encodeRecord, type SpooledMessage } from '../../shared/spool/record.js';

/**
 * What the broker's journal records: one operation on Aedes's persistence per record, in the spool's
 * record format (shared/spool/record.ts: length, CRC-32, body), with the operation's name where a
 * spooled message has its topic and its arguments as JSON where it has its payload. Only what
 * changes the state is recorded; replaying the operations in order rebuilds it (apply.ts). Pure.
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
  | { op: 'clear'; clientId: string; messageId: number }
  | { op: 'incoming'; clientId: string; packet: StoredPacket }
  | { op: 'incomingDel'; clientId: string; messageId: number }
  | { op: 'cleanIncoming'; clientId: string }
  | { op: 'will'; clientId: string; packet: StoredPacket }
  | { op: 'delWill'; clientId: string };

export const OP_NAMES: ReadonlySet<string> = new Set(['retain', 'subscribe', 'unsubscribe', 'cleanSubscriptions', 'enqueue', 'update', 'clear', 'incoming', 'incomingDel', 'cleanIncoming', 'will', 'delWill']);

type Loose = Partial<StoredPacket> & { payload?: Buffer | Uint8Array | string };

/** The persisted fields of a packet, payload always a Buffer. */
export function storedPacket(p: Loose): StoredPacket {
  const payload = p.payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload as Uint8Array | string);
  const out: StoredPacket = { cmd: p.cmd ?? 'publish', topic: p.topic ?? '', payload, qos: p.qos ?? 0, retain: p.retain ?? false, dup: p.dup ?? false };
  if (p.brokerId !== undefined) out.brokerId = p.brokerId;
  if (p.brokerCounter !== undefined) out.brokerCounter = p.brokerCounter;
  if (p.messageId !== undefined && p.messageId !== null) out.messageId = p.messageId;
  if (p.clientId !== undefined) out.clientId = p.clientId;
  if (p.messageExpiry !== undefined) out.messageExpiry = p.messageExpiry;
  if (p.properties !== undefined) out.properties = p.properties;
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

/** JSON of an operation's arguments: a packet's payload as base64 (`payload64`). */
function argsJson(op: Op): string {
  const { op: _name, ...args } = op;
  const packet = 'packet' in args ? args.packet : undefined;
  if (!packet) return JSON.stringify(args);
  const { payload, ...rest } = packet;
  return JSON.stringify({ ...args, packet: { ...rest, payload64: payload.toString('base64') } });
}

/** One operation as one record. `at` is when it was journaled (ms), kept in the record's time field. */
export function encodeOp(op: Op, at: number): Buffer {
  return encodeRecord({ receivedAt: at, topic: op.op, payload: Buffer.from(argsJson(op)) });
}

/**
 * The operation a valid record holds, or undefined when its name or arguments are not one (a record
 * whose CRC matched by chance, or written by a later version): the caller counts it as damage.
 */
export function decodeOp(record: Pick<SpooledMessage, 'topic' | 'payload'>): Op | undefined {
  if (!OP_NAMES.has(record.topic)) return undefined;
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(record.payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!args || typeof args !== 'object') return undefined;
  const op = { ...args, op: record.topic } as Record<string, unknown>;
  if ('packet' in op) {
    const packet = op.packet as { payload64?: unknown; topic?: unknown } | null;
    if (!packet || typeof packet !== 'object' || typeof packet.payload64 !== 'string' || typeof packet.topic !== 'string') return undefined;
    const { payload64, ...rest } = packet as { payload64: string };
    op.packet = { ...rest, payload: Buffer.from(payload64, 'base64') };
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
      return isId(op.clientId) && Array.isArray(op.subs) && op.subs.every((s) => s && typeof s.topic === 'string' && Number.isInteger(s.qos));
    case 'unsubscribe':
      return isId(op.clientId) && Array.isArray(op.topics) && op.topics.every((t) => typeof t === 'string');
    case 'enqueue':
      return Array.isArray(op.clientIds) && op.clientIds.every(isId);
    case 'update':
    case 'incoming':
    case 'will':
      return isId(op.clientId);
    case 'clear':
    case 'incomingDel':
      return isId(op.clientId) && isMessageId(op.messageId);
    default:
      return isId(op.clientId);
  }
}
