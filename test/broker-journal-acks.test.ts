// @engine-independent: opens no database (jest.config.js)
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { replayOps, StateIndex, type MemoryStore } from '../broker/journal/apply.js';
import { FilePersistence } from '../broker/journal/persistence.js';
import { parseJournal } from '../broker/journal/read.js';
import { createLogger } from '../shared/log.js';

/**
 * What a kill -9 leaves in the broker's journal at the moment a publisher is answered (found by
 * review): the message's records are all in the file at its PUBACK (QoS 1) and at its PUBREC (QoS 2,
 * after which a resent message is only answered, never published again); and memory takes
 * operations in the file's order when a compaction ends.
 */
const log = createLogger('broker', 'silent');
const Memory = createRequire(import.meta.url)('aedes-persistence/asyncPersistence.js') as new () => MemoryStore;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Writable = { write: (...a: unknown[]) => Promise<unknown> };
/** Every write of `file` takes `ms` longer: a slow SD card. */
const slow = (file: Writable, ms: number) => {
  const real = file.write.bind(file);
  file.write = async (...a: unknown[]) => (await sleep(ms), real(...a));
  return () => void (file.write = real);
};

let broker: RunningBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

async function journalAtAnswer(qos: 1 | 2, retain: boolean) {
  const persistence = new FilePersistence({
    dir: mkdtempSync(join(tmpdir(), 'pimonitor-acks-')), log, fsyncIntervalMs: 1000, compactBytes: 64 << 20,
  });
  broker = await startBroker({ host: '127.0.0.1', port: 0, log, persistence });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const ingest = await mqtt.connectAsync(url, { clientId: 'ingest', clean: false });
  await ingest.subscribeAsync('home/#', { qos: 2 });
  await ingest.endAsync();
  const fast = slow((persistence as unknown as { writer: { file: Writable } }).writer.file, 300);
  const publisher = await mqtt.connectAsync(url, { clientId: `pub-${qos}`, clean: false });
  let atAnswer: Buffer | undefined;
  publisher.on('packetreceive', (p) => {
    if ((p.cmd === 'puback' || p.cmd === 'pubrec') && !atAnswer) atAnswer = readFileSync(persistence.path);
  });
  await publisher.publishAsync('home/a/x', 'hello', { qos, retain });
  await publisher.endAsync();
  fast();
  return atAnswer!;
}

/** The queue of ingest's session in a broker restarted on `journal`. */
async function queuedAfterRestart(journal: Buffer): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-acks-restart-'));
  writeFileSync(join(dir, 'journal.log'), journal);
  const again = new FilePersistence({ dir, log, fsyncIntervalMs: 1000, compactBytes: 64 << 20 });
  await again.setup({ id: 'restarted' });
  const queued: string[] = [];
  for await (const q of again.outgoingStream({ id: 'ingest' })) queued.push(String(q.payload));
  await again.stop();
  return queued;
}

test.each([
  [1, false],
  [1, true],
  [2, false],
] as const)(
  'QoS %i (retained: %s): at the answer the message is in the journal; restarted from it, it is queued for ingest',
  async (qos, retain) => {
    const journal = await journalAtAnswer(qos, retain);
    const ops = parseJournal(journal).ops.map((o) => o.op);
    expect(ops).toContain('enqueue');
    if (retain) expect(ops).toContain('retain');
    expect(await queuedAfterRestart(journal)).toEqual(['hello']);
  },
  20_000,
);

test('memory and journal agree on order when a compaction ends (operations that waited go first)', async () => {
  const p = new FilePersistence({
    dir: mkdtempSync(join(tmpdir(), 'pimonitor-acks-')), log, fsyncIntervalMs: 1000, compactBytes: 4096,
  });
  await p.setup({ id: 'b' });
  const hooks = p as unknown as { writeSnapshot: () => Promise<{ file: Writable }>; compacting: boolean };
  const writeSnapshot = hooks.writeSnapshot.bind(p);
  // A slow snapshot, and slow writes to the new journal: the window the review found, made wide.
  hooks.writeSnapshot = async () => {
    await sleep(100);
    const next = await writeSnapshot();
    slow(next.file, 100);
    return next;
  };
  const message = (n: number) => ({
    cmd: 'publish', topic: 'home/a/t', payload: Buffer.from(`m${n}`), qos: 1, retain: false, dup: false, brokerId: 'b',
    brokerCounter: n,
  });
  for (let i = 1000; !hooks.compacting; i++) {
    await p.storeRetained({ ...message(i), topic: `fill/${i}`, retain: true, payload: Buffer.alloc(200, 1) });
    await new Promise((r) => setImmediate(r));
  }
  await sleep(50);
  const first = p.outgoingEnqueueCombi([{ clientId: 'ingest' }], message(1)); // waits: compacting
  while (hooks.compacting) await new Promise((r) => setImmediate(r));
  const second = p.outgoingEnqueueCombi([{ clientId: 'ingest' }], message(2));
  await Promise.all([first, second]);
  const live: string[] = [];
  for await (const q of p.outgoingStream({ id: 'ingest' })) live.push(String(q.payload));
  await p.stop();
  const replayed = new Memory();
  await replayed.setup({ id: 'b' });
  await replayOps(replayed, new StateIndex(), parseJournal(readFileSync(p.path)).ops);
  const fromFile: string[] = [];
  for await (const q of replayed.outgoingStream({ id: 'ingest' }))
    fromFile.push(String((q as { payload: Buffer }).payload));
  expect(live).toEqual(['m1', 'm2']);
  expect(fromFile).toEqual(live);
}, 20_000);
