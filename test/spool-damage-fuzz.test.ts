// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Spool } from '../shared/spool/spool.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

// Issue 25, items 1 and 7: random records, random damage (flipped bytes, truncated segments, inserted
// garbage, huge or wrong lengths); reading through never throws, never stalls, and returns every
// undamaged record exactly once, in order. A record whose own bytes were touched may be lost.

const TOPIC_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789/-_';

/** Deterministic payload bytes: a record is recognised by its content, not by where it ended up. */
function payloadOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed | 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const recordArb = fc.record({
  payloadBytes: fc.oneof(
    { weight: 40, arbitrary: fc.constant(0) },
    { weight: 200, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 60, arbitrary: fc.integer({ min: 300, max: 6000 }) },
    // Longer than a read chunk (1 MiB): read whole on its own.
    { weight: 1, arbitrary: fc.constant((1 << 20) + 1234) },
  ),
  topic: fc.array(fc.constantFrom(...TOPIC_CHARS), { minLength: 1, maxLength: 30 }).map((c) => c.join('')),
  seed: fc.integer(),
});

const damageArb = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('length' as const), record: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    value: fc.oneof(fc.constant(0x7ffffff0), fc.constant(0xffffffff), fc.nat({ max: 5000 }), fc.nat()),
  }),
  fc.record({
    kind: fc.constant('truncate' as const), segment: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    keep: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('garbage' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
);

type Damage = typeof damageArb extends fc.Arbitrary<infer T> ? T : never;

/** A segment file with, for each byte, the record it belongs to (-1: garbage). */
interface FileModel {
  path: string;
  base: number;
  bytes: Buffer;
  owner: Int32Array;
}

/** Applies one damage to the files and marks the records whose bytes it touched. */
function apply(files: FileModel[], damaged: Set<number>, d: Damage): void {
  const total = files.reduce((n, f) => n + f.bytes.length, 0);
  if (total === 0) return;
  const locate = (fraction: number) => {
    let at = Math.floor(fraction * total);
    for (const file of files) {
      if (at < file.bytes.length) return { file, offset: at };
      at -= file.bytes.length;
    }
    return { file: files.at(-1)!, offset: files.at(-1)!.bytes.length - 1 };
  };
  if (d.kind === 'flip') {
    const { file, offset } = locate(d.at);
    if (offset < 0) return;
    file.bytes[offset]! ^= d.mask;
    if (file.owner[offset]! >= 0) damaged.add(file.owner[offset]!);
  } else if (d.kind === 'length') {
    const starts: Array<{ file: FileModel; offset: number; r: number }> = [];
    for (const file of files) {
      for (let i = 0; i < file.owner.length; i++) {
        const r = file.owner[i]!;
        if (r >= 0 && (i === 0 || file.owner[i - 1] !== r)) starts.push({ file, offset: i, r });
      }
    }
    const target = starts[Math.floor(d.record * starts.length)];
    if (!target || target.file.owner[target.offset + 3] !== target.r) return;
    const old = target.file.bytes.readUInt32LE(target.offset);
    target.file.bytes.writeUInt32LE(d.value === old ? (old ^ 1) >>> 0 : d.value, target.offset);
    damaged.add(target.r);
  } else if (d.kind === 'truncate') {
    const file = files[Math.floor(d.segment * files.length)]!;
    const keep = Math.floor(d.keep * file.bytes.length);
    for (const r of file.owner.subarray(keep)) if (r >= 0) damaged.add(r);
    file.bytes = file.bytes.subarray(0, keep);
    file.owner = file.owner.slice(0, keep);
  } else {
    const { file, offset } = locate(d.at);
    const split = file.owner[offset];
    if (split !== undefined && split >= 0 && offset > 0 && file.owner[offset - 1] === split) damaged.add(split);
    file.bytes = Buffer.concat([file.bytes.subarray(0, offset), Buffer.from(d.bytes), file.bytes.subarray(offset)]);
    const owner = new Int32Array(file.owner.length + d.bytes.length).fill(-1);
    owner.set(file.owner.subarray(0, offset));
    owner.set(file.owner.subarray(offset), offset + d.bytes.length);
    file.owner = owner;
  }
}

test(
  'reading a randomly damaged spool never throws, never stalls, and returns every undamaged record once, in order',
  () => {
    const root = mkdtempSync(join(tmpdir(), 'pimonitor-spool-fuzz-'));
    let run = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 8000 }), fc.array(recordArb, { minLength: 1, maxLength: 60 }),
        fc.array(damageArb, { minLength: 0, maxLength: 6 }), fc.integer({ min: 1, max: 40 }),
        (segmentBytes, specs, damages, batch) => {
          const dir = join(root, String(run++));
          const records = specs.map((s, i) => ({
            receivedAt: i, topic: s.topic, payload: payloadOf(s.payloadBytes, s.seed),
          }));
          const { spool: writer } = Spool.open({ dir, segmentBytes });
          const ends = records.map((m) => writer.append(m));
          writer.close();

          const files: FileModel[] = readdirSync(dir)
            .filter((f) => f.endsWith('.seg'))
            .sort()
            .map((f) => ({
              path: join(dir, f), base: Number(f.slice(0, 20)), bytes: readFileSync(join(dir, f)),
              owner: new Int32Array(0),
            }));
          for (const file of files) {
            file.owner = new Int32Array(file.bytes.length).fill(-1);
            ends.forEach((end, r) => {
              const start = r === 0 ? 0 : ends[r - 1]!;
              if (start >= file.base && start < file.base + file.bytes.length)
                file.owner.fill(r, start - file.base, end - file.base);
            });
          }
          const damaged = new Set<number>();
          for (const d of damages) apply(files, damaged, d);
          for (const file of files) writeFileSync(file.path, file.bytes);

          // Undamaged and still where a reader can find it: wholly within its segment's positions (garbage
          // inserted into an earlier segment pushes its last records past the next segment's start).
          const intact = records.map(() => false);
          files.forEach((file, index) => {
            const next = files[index + 1];
            const readable = next === undefined ? file.owner.length : next.base - file.base;
            for (let i = 0; i < file.owner.length; i++) {
              const r = file.owner[i]!;
              if (r >= 0 && (i === 0 || file.owner[i - 1] !== r)) intact[r] = !damaged.has(r);
              if (r >= 0 && i >= readable) intact[r] = false;
            }
          });

          const { spool } = Spool.open({ dir, segmentBytes });
          const seen: number[] = [];
          let at = spool.start;
          let reads = 0;
          while (at < spool.head) {
            expect(++reads).toBeLessThanOrEqual(records.length + 2);
            const messages = spool.read(at, batch);
            if (messages.length === 0) break;
            for (const m of messages) {
              expect(m.end).toBeGreaterThan(at);
              const r = m.receivedAt;
              expect(Number.isInteger(r) && r >= 0 && r < records.length).toBe(true);
              expect(m.topic).toBe(records[r]!.topic);
              expect(m.payload.equals(records[r]!.payload)).toBe(true);
              seen.push(r);
              at = m.end;
            }
          }
          spool.close();
          // In order, each once, nothing undamaged missing (none left unread after a read that found nothing).
          expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
          expect(records.map((_, r) => r).filter((r) => intact[r] && !seen.includes(r))).toEqual([]);
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
    rmSync(root, { recursive: true, force: true });
  },
);
