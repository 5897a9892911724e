// @engine-independent: opens no database (jest.config.js)
import { spawn } from 'node:child_process';
import { bootId, startTicksOf } from '../shared/pid-lock.js';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecords, encodeRecord } from '../shared/spool/record.js';
import { Spool } from '../shared/spool/spool.js';
import { killWhenFileEnds } from './support/processes.js';

const message = (i: number, payloadBytes = 20) => ({
  receivedAt: 1_767_225_600_000 + i,
  topic: `home/dev${i % 3}/dht22`,
  payload: Buffer.from(JSON.stringify({ seq: i }).padEnd(payloadBytes, ' ')),
});
const newDir = () => join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 'spool');
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

test('records round-trip, and decoding stops at an incomplete one', () => {
  const a = encodeRecord(message(1));
  const b = encodeRecord({ receivedAt: 5, topic: 'home/ü/x', payload: Buffer.alloc(0) });
  const both = Buffer.concat([a, b]);
  const decoded = decodeRecords(both, 100);
  expect(decoded.messages.map((m) => [m.topic, m.receivedAt, m.end])).toEqual([
    ['home/dev1/dht22', message(1).receivedAt, 100 + a.length],
    ['home/ü/x', 5, 100 + both.length],
  ]);
  expect(decodeRecords(both.subarray(0, both.length - 1), 0)).toMatchObject({ validBytes: a.length, corrupt: false });
  const flipped = Buffer.from(both);
  flipped[a.length + 12]! ^= 0xff;
  expect(decodeRecords(flipped, 0)).toMatchObject({ validBytes: a.length, corrupt: true });
});

test('appends read back in order across segments; committed segments are deleted', () => {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes: 1000 });
  const ends = Array.from({ length: 100 }, (_, i) => spool.append(message(i)));
  expect(spool.head).toBe(ends.at(-1));
  expect(segments(dir).length).toBeGreaterThan(3);

  const seen: number[] = [];
  for (let from = spool.start; from < spool.head; ) {
    const batch = spool.read(from, 7);
    expect(batch.length).toBeGreaterThan(0);
    seen.push(...batch.map((m) => JSON.parse(m.payload.toString()).seq));
    from = batch.at(-1)!.end;
  }
  expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  expect(spool.read(ends[49]!, 1)[0]!.payload.toString()).toContain('"seq":50');

  const before = segments(dir).length;
  spool.release(ends[49]!);
  expect(segments(dir).length).toBeLessThan(before);
  expect(spool.start).toBeLessThanOrEqual(ends[49]!);
  expect(spool.read(ends[49]!, 1)[0]!.payload.toString()).toContain('"seq":50');
  spool.close();
});

test('a torn record at the tail (power cut) is cut off on open; whole records survive', () => {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  for (let i = 0; i < 10; i++) spool.append(message(i));
  const head = spool.head;
  spool.close();
  const last = join(dir, segments(dir).at(-1)!);
  appendFileSync(last, encodeRecord(message(10)).subarray(0, 15));

  const { spool: reopened, repair } = Spool.open({ dir, segmentBytes: 1 << 20 });
  expect(repair.truncatedBytes).toBe(15);
  expect(reopened.head).toBe(head);
  expect(statSync(last).size).toBe(head);
  expect(reopened.read(0, 100)).toHaveLength(10);
  reopened.append(message(11));
  expect(reopened.read(head, 10).map((m) => m.topic)).toEqual([message(11).topic]);
  reopened.close();
});

test('a corrupt record in the last segment is skipped on read; the valid records after it are kept (issue 25)', () => {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  const ends = Array.from({ length: 5 }, (_, i) => spool.append(message(i)));
  spool.close();
  const path = join(dir, segments(dir)[0]!);
  const bytes = readFileSync(path);
  bytes[ends[2]! + 20]! ^= 0x01;
  writeFileSync(path, bytes);
  const { spool: reopened, repair } = Spool.open({ dir, segmentBytes: 1 << 20 });
  expect(reopened.head).toBe(ends[4]);
  expect(repair.truncatedBytes).toBe(0);
  expect(reopened.read(0, 10).map((m) => m.end)).toEqual([ends[0], ends[1], ends[2], ends[4]]);
  expect([reopened.damagedRecords, reopened.skippedBytes]).toEqual([1, ends[3]! - ends[2]!]);
  reopened.close();
});

test('positions keep growing after skipTo, and the id and positions survive a reopen', () => {
  const dir = newDir();
  const first = Spool.open({ dir, segmentBytes: 1 << 20 }).spool;
  const id = first.id;
  first.append(message(0));
  first.skipTo(10_000);
  expect(first.head).toBe(10_000);
  const end = first.append(message(1));
  first.close();
  const { spool } = Spool.open({ dir, segmentBytes: 1 << 20 });
  expect(spool.id).toBe(id);
  expect(spool.head).toBe(end);
  expect(spool.start).toBe(10_000);
  expect(spool.read(10_000, 5).map((m) => m.receivedAt)).toEqual([message(1).receivedAt]);
  spool.close();
});

test('a record larger than one read chunk still reads back', () => {
  const { spool } = Spool.open({ dir: newDir(), segmentBytes: 8 << 20 });
  spool.append(message(0, 3 << 20));
  const [big] = spool.read(0, 10);
  expect(big!.payload.length).toBe(3 << 20);
  spool.close();
});

test('a second process cannot open the same spool', async () => {
  const dir = newDir();
  mkdirSync(dir, { recursive: true });
  // Another live pimonitor (a Node process) holds it, named as a lock names its holder (shared/pid-lock.ts).
  const idle = ['-e', 'setTimeout(() => {}, 30000)'];
  const other = killWhenFileEnds(spawn(process.execPath, idle, { stdio: 'ignore' }));
  try {
    await new Promise((resolve) => other.once('spawn', resolve));
    writeFileSync(
      join(dir, 'lock'), JSON.stringify({ pid: other.pid, bootId: bootId(), startTicks: startTicksOf(other.pid!) }),
    );
    expect(() => Spool.open({ dir, segmentBytes: 1000 })).toThrow(`spool ${dir} is in use by process ${other.pid}`);
  } finally {
    other.kill('SIGKILL');
  }
});

test('the same process cannot open one spool twice; closing the first frees it, and a second close is harmless', () => {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes: 1000 });
  expect(() => Spool.open({ dir, segmentBytes: 1000 })).toThrow(`spool ${dir} is already open in this process`);
  spool.close();
  spool.close();
  const again = Spool.open({ dir, segmentBytes: 1000 }).spool;
  again.close();
});

test('a lock left with our own pid by an earlier process (pid 1 in a container) is taken over', () => {
  const dir = newDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lock'), String(process.pid));
  const { spool } = Spool.open({ dir, segmentBytes: 1000 });
  spool.close();
});

test('sync() racing rotation and close never closes a descriptor under an fsync', async () => {
  const dir = newDir();
  const { spool } = Spool.open({ dir, segmentBytes: 64 });
  const syncs: Array<Promise<void>> = [];
  for (let i = 0; i < 200; i++) {
    spool.append({ receivedAt: i, topic: 'home/a/b', payload: Buffer.from(`{"v":${i}}`) });
    syncs.push(spool.sync());
  }
  spool.close();
  await Promise.all(syncs);
  const reopened = Spool.open({ dir, segmentBytes: 64 }).spool;
  let count = 0;
  for (let at = reopened.start; at < reopened.head; ) {
    const got = reopened.read(at, 1000);
    count += got.length;
    at = got.at(-1)!.end;
  }
  expect(count).toBe(200);
  reopened.close();
});
