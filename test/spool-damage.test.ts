// @engine-independent: opens no database (jest.config.js)
import { jest } from '@jest/globals';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord, HEADER_BYTES } from '../shared/spool/record.js';
import { lastValidEnd, scanRecords } from '../shared/spool/scan.js';
import { Spool, type SpoolDamage } from '../shared/spool/spool.js';

// Issue 25, item 1: the spool never stalls on what it finds on disk. Spool level; the node and ingest
// are in test/spool-damage-node.test.ts and test/spool-damage-ingest.test.ts, the property test in
// test/spool-damage-fuzz.test.ts.

const reading = (i: number) => ({
  receivedAt: 1_767_225_600_000 + i * 200,
  topic: 'home/pi-garden/dht22',
  payload: Buffer.from(
    JSON.stringify({
      ts: new Date(1_767_225_600_000 + i * 200).toISOString(), temperature: 20 + (i % 50) / 10, humidity: 55.5,
    }),
  ),
});
const newDir = () => join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-damage-')), 'spool');
const segmentFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => ({ path: join(dir, f), base: Number(f.slice(0, 20)) }));

/** A spool of `n` readings (1 MiB segments, as on the node), closed; `ends[i]` is where reading i ends. */
function backlog(n: number, segmentBytes = 1 << 20): { dir: string; ends: number[] } {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes });
  const ends = Array.from({ length: n }, (_, i) => spool.append(reading(i)));
  spool.close();
  return { dir, ends };
}

/** Changes the bytes at spool position `at` in whichever segment holds it. */
function damage(dir: string, at: number, change: (bytes: Buffer, offset: number) => void): void {
  const segment = segmentFiles(dir).findLast((s) => s.base <= at)!;
  const bytes = readFileSync(segment.path);
  change(bytes, at - segment.base);
  writeFileSync(segment.path, bytes);
}

/**
 * Reads everything from `from` as a sender does (batches of 64), returning the reading numbers and where it
 * stopped.
 */
function readThrough(spool: Spool, from = spool.start): { seqs: number[]; stoppedAt: number; reads: number } {
  const seqs: number[] = [];
  let reads = 0;
  let at = from;
  while (at < spool.head && reads < 10_000) {
    reads++;
    const batch = spool.read(at, 64);
    if (batch.length === 0) break;
    for (const m of batch) seqs.push((m.receivedAt - 1_767_225_600_000) / 200);
    at = batch.at(-1)!.end;
  }
  return { seqs, stoppedAt: at, reads };
}
const except = (n: number, ...lost: number[]) =>
  Array.from({ length: n }, (_, i) => i).filter((i) => !lost.includes(i));

test(
  '16,000 readings in two segments, one flipped payload byte in reading 5,000: the other 15,999 come out, the loss ' +
    'is counted and reported once',
  () => {
    const { dir, ends } = backlog(16_000);
    expect(segmentFiles(dir)).toHaveLength(2);
    damage(dir, ends[4999]! + 40, (b, o) => (b[o]! ^= 0x10)); // inside reading 5,000 (index 5000)'s payload
    const { spool, repair } = Spool.open({ dir, segmentBytes: 1 << 20 });
    const events: SpoolDamage[] = [];
    spool.on('damaged', (d) => events.push(d));
    expect(repair.truncatedBytes).toBe(0);

    const { seqs, stoppedAt } = readThrough(spool);
    expect(seqs).toEqual(except(16_000, 5000));
    expect(stoppedAt).toBe(spool.head);
    expect(events).toEqual([{ from: ends[4999], to: ends[5000], bytes: ends[5000]! - ends[4999]!, records: 1 }]);
    expect([spool.damagedRecords, spool.skippedBytes]).toEqual([1, ends[5000]! - ends[4999]!]);
    // Read again (a resend after a reconnect): counted and reported once.
    readThrough(spool);
    expect(events).toHaveLength(1);
    expect(spool.damagedRecords).toBe(1);
    spool.close();
  },
);

test('a huge length field (0x7ffffff0) is skipped without allocating from it', () => {
  const { dir, ends } = backlog(16_000);
  damage(dir, ends[4999]!, (b, o) => b.writeUInt32LE(0x7ffffff0, o));
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  const sizes: number[] = [];
  const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
  const spy = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
    sizes.push(size);
    if (size > 64 << 20) throw new RangeError(`test: refused to allocate ${size} bytes`);
    return allocUnsafe(size);
  });
  try {
    const { seqs, stoppedAt } = readThrough(spool);
    expect(seqs).toEqual(except(16_000, 5000));
    expect(stoppedAt).toBe(spool.head);
  } finally {
    spy.mockRestore();
  }
  expect(Math.max(...sizes)).toBeLessThanOrEqual(1 << 20);
  expect([spool.damagedRecords, spool.skippedBytes]).toEqual([1, ends[5000]! - ends[4999]!]);
  spool.close();
});

test(
  'a length that fits the segment but is wrong (a damaged length swallowing the next readings) loses only its own ' +
    'reading',
  () => {
    const { dir, ends } = backlog(3000);
    // Reading 100 claims to run 50 KB: over hundreds of the readings after it.
    damage(dir, ends[99]!, (b, o) => b.writeUInt32LE(50_000, o));
    const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
    expect(readThrough(spool).seqs).toEqual(except(3000, 100));
    expect(spool.damagedRecords).toBe(1);
    spool.close();
  },
);

test('three damaged readings in a row are one stretch, reported with about how many readings it held', () => {
  const { dir, ends } = backlog(500);
  for (const i of [100, 101, 102]) damage(dir, ends[i - 1]! + 30, (b, o) => (b[o]! ^= 0x04));
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  const events: SpoolDamage[] = [];
  spool.on('damaged', (d) => events.push(d));
  expect(readThrough(spool).seqs).toEqual(except(500, 100, 101, 102));
  expect(events).toEqual([{ from: ends[99], to: ends[102], bytes: ends[102]! - ends[99]!, records: 3 }]);
  spool.close();
});

test(
  'a read starting inside a reading (a cursor 3 bytes past a boundary) resynchronises to the next one: nothing ' +
    'earlier again, nothing later lost',
  () => {
    const { dir, ends } = backlog(2000);
    const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
    const { seqs, stoppedAt } = readThrough(spool, ends[9]! + 3);
    expect(seqs).toEqual(except(2000).slice(11));
    expect(stoppedAt).toBe(spool.head);
    expect(spool.skippedBytes).toBe(ends[10]! - ends[9]! - 3);
    spool.close();
  },
);

test(
  'damage across a segment boundary, a segment cut short and garbage at the end of a segment: reading goes on in the ' +
    'next segment',
  () => {
    const { dir, ends } = backlog(4000, 64 << 10);
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(5);
    // The end of segment 0 and the start of segment 1 overwritten with 0xff.
    const boundary = files[1]!.base;
    damage(dir, boundary - 30, (b, o) => b.fill(0xff, o));
    damage(dir, boundary, (b, o) => b.fill(0xff, o, o + 30));
    // Segment 2 cut 500 bytes short (its positions run on in segment 3).
    truncateSync(files[2]!.path, files[3]!.base - files[2]!.base - 500);
    // Segment 3 ends in random garbage after its last reading.
    const three = readFileSync(files[3]!.path);
    writeFileSync(
      files[3]!.path,
      Buffer.concat([
        three.subarray(0, three.length - 200), Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 131 + 7) & 0xff)),
      ]),
    );

    const { spool } = Spool.open({ dir, segmentBytes: 64 << 10 });
    const { seqs, stoppedAt } = readThrough(spool);
    expect(stoppedAt).toBe(spool.head);
    const lost = except(4000).filter((i) => !seqs.includes(i));
    // Only readings that overlap a damaged stretch are lost.
    const damaged = [
      [boundary - 30, boundary + 30], [files[3]!.base - 500, files[3]!.base], [files[4]!.base - 200, files[4]!.base],
    ];
    for (const i of lost) {
      const [start, end] = [i === 0 ? 0 : ends[i - 1]!, ends[i]!];
      expect(damaged.some(([from, to]) => start < to! && end > from!)).toBe(true);
    }
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(lost.length).toBeGreaterThanOrEqual(3);
    expect(lost.length).toBeLessThanOrEqual(12);
    expect(spool.damagedRecords).toBe(3);
    spool.close();
  },
);

test('damage up to the head: a read returns nothing, counts it once, and the next appended reading comes out', () => {
  const { dir, ends } = backlog(100);
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  // Damaged while open (recovery at the next open would cut it): the last two readings.
  damage(dir, ends[97]! + 20, (b, o) => (b[o]! ^= 1));
  damage(dir, ends[98]! + 20, (b, o) => (b[o]! ^= 1));
  expect(spool.read(ends[97]!, 64)).toEqual([]);
  expect(spool.read(ends[97]!, 64)).toEqual([]);
  expect([spool.damagedRecords, spool.skippedBytes]).toEqual([1, ends[99]! - ends[97]!]);
  const end = spool.append(reading(100));
  expect(spool.read(ends[97]!, 64).map((m) => m.end)).toEqual([end]);
  expect(spool.damagedRecords).toBe(1);
  spool.close();
});

test(
  'at open, damage inside the last segment is kept for reads to skip; only what follows the last valid record is cut,' +
    ' and counted',
  () => {
    const { dir, ends } = backlog(50);
    damage(dir, ends[9]! + 30, (b, o) => (b[o]! ^= 0x40));
    const [last] = segmentFiles(dir);
    appendFileSync(last!.path, encodeRecord(reading(50)).subarray(0, 25)); // torn by a power cut
    const { spool, repair } = Spool.open({ dir, segmentBytes: 1 << 20 });
    expect(repair.truncatedBytes).toBe(25);
    expect(spool.head).toBe(ends[49]);
    expect(readThrough(spool).seqs).toEqual(except(50, 10));
    expect([spool.damagedRecords, spool.skippedBytes]).toEqual([2, 25 + ends[10]! - ends[9]!]);
    spool.close();
  },
);

test(
  'scanning is pure: a damaged chunk yields the valid records around it, and the recovery end is the last valid record',
  () => {
    const records = [0, 1, 2, 3].map((i) => encodeRecord(reading(i)));
    const buffer = Buffer.concat(records);
    const damaged = Buffer.from(buffer);
    damaged[records[0]!.length + HEADER_BYTES + 3]! ^= 0xff;
    const scan = scanRecords(damaged, 1000, damaged.length, 10);
    const starts = records.map((_, i) => records.slice(0, i).reduce((n, r) => n + r.length, 0));
    expect(scan.messages.map((m) => m.start - 1000)).toEqual([starts[0], starts[2], starts[3]]);
    expect(scan.next).toBe(1000 + buffer.length);
    expect(lastValidEnd(Buffer.concat([damaged, Buffer.alloc(7, 0xee)]))).toBe(buffer.length);
    // A length longer than the buffer but within the segment asks for exactly that record to be read.
    expect(scanRecords(buffer.subarray(0, 40), 0, buffer.length, 10)).toEqual({
      messages: [], next: 0, longer: records[0]!.length,
    });
  },
);
