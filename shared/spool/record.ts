import { crc32 } from 'node:zlib';

/**
 * One spooled MQTT message on disk:
 *
 *   u32 body length | u32 CRC-32 of body | body = f64 receivedAt ms | u16 topic length | topic | payload
 *
 * The CRC finds a record torn by a power cut, so recovery keeps every whole record and nothing else.
 */
export interface SpooledMessage {
  receivedAt: number;
  topic: string;
  payload: Buffer;
}

/** A record read back, with the spool position just past it (what a commit records). */
export interface PositionedMessage extends SpooledMessage {
  end: number;
}

export const HEADER_BYTES = 8;
const FIXED_BODY_BYTES = 10;

export function encodeRecord({ receivedAt, topic, payload }: SpooledMessage): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const bodyLength = FIXED_BODY_BYTES + topicBytes + payload.length;
  const record = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  record.writeUInt32LE(bodyLength, 0);
  record.writeDoubleLE(receivedAt, 8);
  record.writeUInt16LE(topicBytes, 16);
  record.write(topic, 18);
  payload.copy(record, 18 + topicBytes);
  record.writeUInt32LE(crc32(record.subarray(HEADER_BYTES)), 4);
  return record;
}

export interface Decoded {
  messages: PositionedMessage[];
  /** Bytes of `buffer` taken by whole, valid records; anything after is incomplete or corrupt. */
  validBytes: number;
  /** True when decoding stopped at a corrupt record rather than at the end or an incomplete one. */
  corrupt: boolean;
}

/** Decodes whole records from `buffer`, which starts at spool position `base`. Pure. */
export function decodeRecords(buffer: Buffer, base: number, maxMessages = Infinity): Decoded {
  const messages: PositionedMessage[] = [];
  let offset = 0;
  while (messages.length < maxMessages && offset + HEADER_BYTES <= buffer.length) {
    const bodyLength = buffer.readUInt32LE(offset);
    const end = offset + HEADER_BYTES + bodyLength;
    if (bodyLength < FIXED_BODY_BYTES) return { messages, validBytes: offset, corrupt: true };
    if (end > buffer.length) break;
    const body = buffer.subarray(offset + HEADER_BYTES, end);
    if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { messages, validBytes: offset, corrupt: true };
    const topicBytes = body.readUInt16LE(8);
    if (FIXED_BODY_BYTES + topicBytes > bodyLength) return { messages, validBytes: offset, corrupt: true };
    messages.push({
      receivedAt: body.readDoubleLE(0),
      topic: body.toString('utf8', FIXED_BODY_BYTES, FIXED_BODY_BYTES + topicBytes),
      // A copy, so a batch does not pin the whole read buffer in memory.
      payload: Buffer.from(body.subarray(FIXED_BODY_BYTES + topicBytes)),
      end: base + end,
    });
    offset = end;
  }
  return { messages, validBytes: offset, corrupt: false };
}
