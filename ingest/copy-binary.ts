import type { ReadingRow } from './rows.js';

/**
 * readings_raw rows (series_id int4, ts timestamptz, value float8) in PostgreSQL's binary COPY format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a signature, flags and
 * header extension, then per row a field count and each field as length + big-endian bytes, then -1.
 * Pure. `seriesId` gives each reading's series; timestamps are microseconds since 2000-01-01 UTC.
 */
export function encodeCopyBinary(readings: readonly ReadingRow[], seriesId: (r: ReadingRow) => number): Buffer {
  const ROW_BYTES = 2 + (4 + 4) + (4 + 8) + (4 + 8);
  const buf = Buffer.allocUnsafe(SIGNATURE.length + 8 + readings.length * ROW_BYTES + 2);
  let o = SIGNATURE.copy(buf, 0);
  o = buf.writeInt32BE(0, o); // flags: no OIDs
  o = buf.writeInt32BE(0, o); // header extension length
  for (const r of readings) {
    o = buf.writeInt16BE(3, o);
    o = buf.writeInt32BE(4, o);
    o = buf.writeInt32BE(seriesId(r), o);
    // Microseconds since 2000 fit a double exactly until the year 287,000; readings are after 2000.
    const micros = (r.ts.getTime() - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / 2 ** 32);
    o = buf.writeInt32BE(8, o);
    o = buf.writeInt32BE(high, o);
    o = buf.writeUInt32BE(micros - high * 2 ** 32, o);
    o = buf.writeInt32BE(8, o);
    o = buf.writeDoubleBE(r.value, o);
  }
  o = buf.writeInt16BE(-1, o);
  return buf.subarray(0, o);
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
