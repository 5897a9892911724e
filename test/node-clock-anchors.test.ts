// @engine-independent: opens no database (jest.config.js)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { HeldDating } from '../sensor-node/held.js';
import { WallClock } from '../sensor-node/wall-clock.js';
import { EARLIEST_TIMESTAMP_MS } from '../shared/timestamp.js';
import { killWhenFileEnds } from './support/processes.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

/**
 * Review of 285cdc4: clock-anchors.json is outside input (a damaged card, a foreign file). Whatever it
 * holds, opening it must neither throw nor stall start-up, and dating a held reading from it must
 * neither throw (an Invalid Date crashed the node in pump(), at every restart) nor give a time ingest
 * refuses (before 2000, or in the future) as if it were the reading's.
 */

const dirOf = () => mkdtempSync(join(tmpdir(), 'pimonitor-anchors-'));
const synced = () => new WallClock({ syncFile: '' });
const held = (boot: string | null, bootMs = 1000) => ({
  topic: 'pimonitor/x/s', sensor: 's', boot, bootMs, readings: { temperature: 20 },
});

const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    1e300, -1e300, 8.64e15, -8.64e15, 8.64e15 + 1, 1.7e12, 4e12, -1e12, 0, Date.now(), Date.now() + 86_400_000,
  ),
  fc.string({ maxLength: 5 }),
  fc.constant(null),
);
const hostileBoot = fc.oneof(
  fc.constantFrom('b1', 'b2', 'me'),
  fc.string({ maxLength: 80 }),
  fc.integer(),
  fc.constant(null),
);
const anchorsFile = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .array(fc.oneof(fc.record({ boot: hostileBoot, offsetMs: hostileNumber }), fc.jsonValue({ maxDepth: 2 })), {
      maxLength: 40,
    })
    .map((a) => Buffer.from(JSON.stringify(a))),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
);

test(
  'whatever clock-anchors.json holds, nothing throws and no held reading is dated before 2000 or more than a day ahead',
  () => {
    fc.assert(
      fc.property(
        anchorsFile,
        fc.array(
          fc.oneof(
            hostileBoot.filter((b): b is string => typeof b === 'string'), fc.constant(null),
          ),
          { maxLength: 5 },
        ),
        fc.double({ min: 0, max: 1e12, noNaN: true }),
        (file, boots, bootMs) => {
          const dir = dirOf();
          writeFileSync(join(dir, 'clock-anchors.json'), file);
          const dating = new HeldDating(synced(), dir, 'me');
          for (const boot of [...boots, 'b1', 'b2', 'me']) {
            const dated = dating.date(held(boot, bootMs));
            if (dated.kind !== 'dated') continue;
            expect(dated.ts.getTime()).toBeGreaterThanOrEqual(EARLIEST_TIMESTAMP_MS);
            expect(dated.ts.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  },
);

test(
  'an earlier boot whose anchor is absurd (1e300, a century ahead, before 2000): its held readings are dropped as ' +
    'such, not sent or thrown',
  () => {
    const dir = dirOf();
    writeFileSync(
      join(dir, 'clock-anchors.json'),
      JSON.stringify([
        { boot: 'inf', offsetMs: 1e300 }, { boot: 'ahead', offsetMs: 4e12 }, { boot: 'old', offsetMs: -1e12 },
        { boot: 'good', offsetMs: Date.now() - 5_000_000 },
      ]),
    );
    const dating = new HeldDating(synced(), dir, 'me');
    // 1e300 is no offset at all (not kept from the file); the others are told as a damaged file.
    expect(dating.date(held('inf')).kind).toBe('undatable');
    for (const boot of ['ahead', 'old'])
      expect(dating.date(held(boot))).toEqual({ kind: 'undatable', why: expect.stringMatching(/clock-anchors/) });
    expect(dating.date(held('good')).kind).toBe('dated');
  },
);

test('a huge clock-anchors.json (1.5 GB) does not stall start-up: it is not read', () => {
  const dir = dirOf();
  const file = join(dir, 'clock-anchors.json');
  writeFileSync(file, '');
  truncateSync(file, 1500 << 20);
  const started = performance.now();
  const dating = new HeldDating(synced(), dir, 'me');
  expect(performance.now() - started).toBeLessThan(1000);
  expect(dating.date(held('b1')).kind).toBe('undatable');
});

test('clock-anchors.json that is a FIFO does not block start-up waiting for a writer', () => {
  const dir = dirOf();
  const file = join(dir, 'clock-anchors.json');
  expect(spawnSync('mkfifo', [file]).status).toBe(0);
  // Without this writer the old code blocked forever; with it, for 3 s.
  const script = `sleep 3; echo '[]' > '${file}'`;
  const writer = killWhenFileEnds(spawn('sh', ['-c', script], { stdio: 'ignore' }));
  try {
    const started = performance.now();
    new HeldDating(synced(), dir, 'me');
    expect(performance.now() - started).toBeLessThan(1000);
  } finally {
    writer.kill();
  }
});

test(
  'readings held in a boot whose clock synchronised can still be dated after 20 more boots (power cuts while the ' +
    'broker is away)',
  () => {
    const dir = dirOf();
    // Each boot takes its anchor once its clock is synchronised (pump does so every second, broker or not).
    for (let boot = 0; boot <= 20; boot++) new HeldDating(synced(), dir, `boot-${boot}`).anchor();
    const dating = new HeldDating(synced(), dir, 'boot-21');
    expect(dating.date(held('boot-0')).kind).toBe('dated');
  },
);

const isRoot = process.getuid?.() === 0;
(isRoot ? test : test.skip)(
  'a card that fills while the anchors are saved keeps the anchors it had (a short write is not kept as the file)',
  () => {
    const card = mkdtempSync(join(tmpdir(), 'pimonitor-anchor-card-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', card]);
    try {
      for (let boot = 0; boot < 200; boot++)
        new HeldDating(synced(), card, `0a1b2c3d-0000-4000-8000-${String(boot).padStart(12, '0')}`).anchor();
      const kept = statSync(join(card, 'clock-anchors.json')).size;
      expect(kept).toBeGreaterThan(8192);
      // Fill the card to within one page: the next save writes the first page and then meets ENOSPC.
      const fill = openSync(join(card, 'filler'), 'w');
      try {
        for (;;) writeSync(fill, Buffer.alloc(1024));
      } catch {
        // full
      }
      closeSync(fill);
      truncateSync(join(card, 'filler'), statSync(join(card, 'filler')).size - 4096);
      new HeldDating(synced(), card, 'a-boot-on-a-full-card').anchor();
      expect(
        new HeldDating(synced(), card, 'the-next-boot').date(held('0a1b2c3d-0000-4000-8000-000000000000')).kind,
      ).toBe('dated');
    } finally {
      execFileSync('umount', ['-l', card]);
    }
  },
);
