// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';
import { applyOp, replayOps, snapshotOps, StateIndex, type MemoryStore } from '../broker/journal/apply.js';
import { assignOf, encodeOp, type Op, type StoredPacket } from '../broker/journal/ops.js';
import { parseJournal } from '../broker/journal/read.js';
import { encodeRecord } from '../shared/spool/record.js';
import { FilePersistence } from '../broker/journal/persistence.js';
import { createLogger } from '../shared/log.js';
import { eventually } from './helpers/net.js';

const Memory = createRequire(import.meta.url)('aedes-persistence/asyncPersistence.js') as new () => MemoryStore;
const broker = { id: 'broker-a' };
const fresh = async () => {
  const store = new Memory();
  await store.setup(broker);
  return store;
};

/** Everything a store holds, for comparing two: the state the journal must give back. */
async function stateOf(store: MemoryStore, clients: Iterable<string>) {
  const retained: unknown[] = [];
  for await (const p of store.createRetainedStream('#')) retained.push(p);
  const perClient: Record<string, unknown> = {};
  for (const id of [...new Set(clients)].sort()) {
    const queue: unknown[] = [];
    for await (const p of store.outgoingStream({ id }))
      queue.push({ ...p, payload: Buffer.from(p.payload).toString('hex') });
    const incoming = [];
    for (let m = 1; m <= 4; m++)
      incoming.push(
        await store.incomingGetPacket({ id }, { messageId: m }).then(
          (p) => (p as StoredPacket).topic, () => null,
        ),
      );
    perClient[id] = {
      subs: await store.subscriptionsByClient({ id }), queue, incoming, will: await store.getWill({ id }),
    };
  }
  return {
    retained: retained.map((p) => ({
      ...(p as object), payload: Buffer.from((p as StoredPacket).payload).toString('hex'),
    })),
    perClient,
  };
}

const clientId = fc.constantFrom('ingest', 'ha', 'node-1');
const topic = fc.constantFrom('home/a/dht22', 'home/b/bme280', 'home/a/status', '$SYS/x');
const messageId = fc.integer({ min: 1, max: 4 });
// A packet is named by the broker and counter that published it, as in Aedes: one name, one content.
const topics = ['home/a/dht22', 'home/b/bme280', 'home/a/status', '$SYS/x'];
const packet = fc
  .record({
    brokerId: fc.constantFrom('broker-a', 'broker-b'), brokerCounter: fc.integer({ min: 1, max: 6 }),
    messageId: fc.option(messageId, { nil: undefined }),
  })
  .map(({ brokerId, brokerCounter, messageId: id }): StoredPacket => ({
    cmd: 'publish',
    topic: topics[(brokerCounter + brokerId.length) % topics.length]!,
    payload: Buffer.from(`${brokerId}:${brokerCounter}`),
    qos: brokerCounter % 3,
    retain: brokerCounter % 2 === 0,
    dup: false,
    brokerId,
    brokerCounter,
    ...(id === undefined ? {} : { messageId: id }),
  }));
const op: fc.Arbitrary<Op> = fc.oneof(
  packet.map((p) => ({ op: 'retain' as const, packet: p })),
  fc.record({
    op: fc.constant('subscribe' as const), clientId,
    subs: fc.array(
      fc.record({ topic: fc.constantFrom('home/#', 'home/+/dht22', '$SYS/#'), qos: fc.constantFrom(0, 1, 2) }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    op: fc.constant('unsubscribe' as const), clientId,
    topics: fc.array(fc.constantFrom('home/#', 'home/+/dht22'), { maxLength: 2 }),
  }),
  fc.record({ op: fc.constant('cleanSubscriptions' as const), clientId }),
  fc.record({ op: fc.constant('enqueue' as const), clientIds: fc.array(clientId, { maxLength: 3 }), packet }),
  fc.record({ op: fc.constant('update' as const), clientId, packet }),
  fc.record({ op: fc.constant('clear' as const), clientId, messageId }),
  fc.record({
    op: fc.constant('incoming' as const), clientId, packet: packet.map((p) => ({ ...p, messageId: p.messageId ?? 1 })),
  }),
  fc.record({ op: fc.constant('incomingDel' as const), clientId, messageId }),
  fc.record({ op: fc.constant('cleanIncoming' as const), clientId }),
  fc.record({ op: fc.constant('will' as const), clientId, packet }),
  fc.record({ op: fc.constant('delWill' as const), clientId }),
);
/**
 * As Aedes calls them: a packet is updated (sent with an id) only once it was queued. The journal
 * records such an update as an assign (ops.ts assignOf), which replay reads with the queued packet.
 */
const realistic = (ops: Op[]): Op[] => {
  const queued = new Set<string>();
  return ops.filter((o) => {
    if (o.op === 'enqueue') queued.add(`${o.packet.brokerId}:${o.packet.brokerCounter}`);
    return o.op !== 'update' || queued.has(`${o.packet.brokerId}:${o.packet.brokerCounter}`);
  });
};
const journaled = (o: Op): Op => (o.op === 'update' ? assignOf(o.clientId, o.packet) : o);
const clientsOf = (ops: Op[]) =>
  ops.flatMap((o) => ('clientIds' in o ? o.clientIds : 'clientId' in o ? [o.clientId] : []));

/** Applies ops as the live broker does (each refused one refused alike); returns the store. */
async function live(ops: Op[]) {
  const store = await fresh();
  for (const o of ops) await applyOp(store, o).catch(() => {});
  return store;
}

test(
  'replaying the journal of any sequence of operations gives the same state as making them; so does its snapshot',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }).map(realistic), async (ops) => {
        const expected = await stateOf(await live(ops), clientsOf(ops));
        const bytes = Buffer.concat(ops.map((o) => encodeOp(journaled(o), 1)));
        const parsed = parseJournal(bytes);
        expect(parsed).toMatchObject({ validEnd: bytes.length, damagedBytes: 0, unreadable: 0 });
        const replayed = await fresh();
        const index = new StateIndex();
        await replayOps(replayed, index, parsed.ops);
        expect(await stateOf(replayed, clientsOf(ops))).toEqual(expected);
        const fromSnapshot = await fresh();
        await replayOps(
          fromSnapshot, new StateIndex(),
          parseJournal(Buffer.concat((await snapshotOps(replayed, index)).map((o) => encodeOp(o, 2)))).ops,
        );
        const snapshot = await stateOf(fromSnapshot, clientsOf(ops));
        // A snapshot keeps each queued packet's id; only the order of fields may differ.
        expect(JSON.parse(JSON.stringify(snapshot))).toEqual(JSON.parse(JSON.stringify(expected)));
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  },
);

test('a torn last record is cut off; a damaged record is skipped and counted, and those after it kept', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 3, maxLength: 20 }), fc.nat(), fc.nat(),
      async (ops, tearAt, damageAt) => {
        const records = ops.map((o) => encodeOp(o, 1));
        const whole = Buffer.concat(records);
        const lastStart = whole.length - records.at(-1)!.length;
        const torn = whole.subarray(0, lastStart + (tearAt % (records.at(-1)!.length - 1)) + 1);
        const parsedTorn = parseJournal(torn);
        expect(parsedTorn).toMatchObject({ validEnd: lastStart, damagedBytes: 0 });
        expect(parsedTorn.ops).toHaveLength(ops.length - 1);

        const victim = damageAt % (records.length - 1);
        const damaged = Buffer.from(whole);
        const victimStart = records.slice(0, victim).reduce((n, r) => n + r.length, 0);
        const flip = victimStart + 8 + (damageAt % (records[victim]!.length - 8));
        damaged.writeUInt8(damaged.readUInt8(flip) ^ 0xff, flip);
        const parsed = parseJournal(damaged);
        expect(parsed.ops).toHaveLength(ops.length - 1);
        expect(parsed.damagedBytes).toBe(records[victim]!.length);
        expect(parsed.validEnd).toBe(whole.length);
      },
    ),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
  );
});

const log = createLogger('broker', 'silent');
const persistenceIn = (dir: string) =>
  new FilePersistence({ dir, log, fsyncIntervalMs: 1000, compactBytes: 64 * 1024 });
const message = (n: number) => ({
  cmd: 'publish', topic: 'home/a/dht22', payload: Buffer.from(`{"n":${n}}`), qos: 1, retain: false, dup: false,
  brokerId: 'broker-a', brokerCounter: n,
});

test(
  'FilePersistence: what resolved is there after a restart (a torn tail cut off), and the journal is compacted at ' +
    'start and as it grows',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pimonitor-journal-'));
    const first = persistenceIn(dir);
    await first.setup(broker);
    await first.addSubscriptions({ id: 'ingest' }, [{ topic: 'home/#', qos: 1 }]);
    // 2,000 messages queued 200 at a time and delivered and acknowledged, all but the last 10: the
    // journal outgrows 64 KiB again and again, and is compacted each time to what is still queued.
    for (let round = 0; round < 10; round++) {
      const first200 = round * 200 + 1;
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          first.outgoingEnqueueCombi([{ clientId: 'ingest' }], message(first200 + i)),
        ),
      );
      for (let i = first200; i < first200 + 200 && i <= 1990; i++) {
        await first.outgoingUpdate({ id: 'ingest' }, { ...message(i), messageId: (i % 60_000) + 1 });
        await first.outgoingClearMessageId({ id: 'ingest' }, { messageId: (i % 60_000) + 1 });
      }
    }
    // Compaction runs beside the writes: the last one may still be under way.
    await eventually('the journal compacted', async () => statSync(first.path).size < 2 * 64 * 1024 || undefined, 5000);
    // Everything resolved is in the file, as after a crash; stop() only lets this process open it again.
    await first.stop();
    // Then a record torn halfway, as a crash mid-write leaves it.
    const record = encodeOp({ op: 'clear', clientId: 'ingest', messageId: 1992 }, 1);
    appendFileSync(first.path, record.subarray(0, 10));
    const second = persistenceIn(dir);
    await second.setup(broker);
    const queued: number[] = [];
    for await (const p of second.outgoingStream({ id: 'ingest' })) queued.push(p.brokerCounter as number);
    expect(queued).toEqual(Array.from({ length: 10 }, (_, i) => 1991 + i));
    expect(await second.subscriptionsByClient({ id: 'ingest' })).toEqual([{ topic: 'home/#', qos: 1 }]);
    // The restart's compaction left a whole journal: the torn bytes are gone.
    expect(parseJournal(readFileSync(second.path))).toMatchObject({ validEnd: statSync(second.path).size });
    await second.stop();
    await second.stop();
  },
);

test(
  'FilePersistence: a journal that cannot be written refuses the PUBACK (settled rejects) and is not left torn; a ' +
    'subscription fails at once',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pimonitor-journal-'));
    const p = persistenceIn(dir);
    await p.setup(broker);
    await p.addSubscriptions({ id: 'ingest' }, [{ topic: 'home/#', qos: 1 }]);
    // A full disk, as the writer meets it: its next write throws ENOSPC.
    const writer = (p as unknown as { writer: { file: { write: () => Promise<never> } } }).writer;
    const realWrite = writer.file.write.bind(writer.file);
    writer.file.write = () =>
      Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    // A message's way through is applied at once; what its PUBACK waits for fails.
    const before = p.mark();
    await p.outgoingEnqueueCombi([{ clientId: 'ingest' }], message(1));
    await expect(p.settled(before)).rejects.toThrow('ENOSPC');
    // What a client is answered for at once fails at once.
    await expect(p.addSubscriptions({ id: 'ha' }, [{ topic: 'home/#', qos: 1 }])).rejects.toThrow('ENOSPC');
    writer.file.write = realWrite;
    const after = p.mark();
    await p.outgoingEnqueueCombi([{ clientId: 'ingest' }], message(2));
    await expect(p.settled(after)).resolves.toBeUndefined();
    await p.stop();
    const parsed = parseJournal(readFileSync(p.path));
    expect(parsed).toMatchObject({ validEnd: statSync(p.path).size, damagedBytes: 0 });
    // Message 1 was never journaled: its publisher, refused, sends it again.
    expect(
      parsed.ops.filter((o) => o.op === 'enqueue').map((o) => (o as { packet: StoredPacket }).packet.brokerCounter),
    ).toEqual([2]);
  },
);

test(
  'a journal written before version 1 (payload in base64 inside JSON) is still read, and a message costs its payload ' +
    'once',
  async () => {
    const p = message(7);
    const legacy = encodeRecord({
      receivedAt: 1, topic: 'enqueue',
      payload: Buffer.from(
        JSON.stringify({
          clientIds: ['ingest'], packet: { ...p, payload: undefined, payload64: p.payload.toString('base64') },
        }),
      ),
    });
    const assign = encodeOp(assignOf('ingest', { ...p, messageId: 42 }), 2);
    const store = await fresh();
    const { ops } = parseJournal(Buffer.concat([legacy, assign]));
    expect(await replayOps(store, new StateIndex(), ops)).toEqual({ applied: 2, refused: 0 });
    const queued: StoredPacket[] = [];
    for await (const q of store.outgoingStream({ id: 'ingest' })) queued.push(q as StoredPacket);
    expect(queued).toMatchObject([{ topic: 'home/a/dht22', brokerCounter: 7, messageId: 42 }]);
    expect(Buffer.from(queued[0]!.payload).toString()).toBe('{"n":7}');
    // Queued, sent, acknowledged: the payload is in the first record only, as raw bytes.
    const big = { ...p, payload: Buffer.alloc(1000, 'x') };
    const records = [
      encodeOp({ op: 'enqueue', clientIds: ['ingest'], packet: big }, 1),
      encodeOp(assignOf('ingest', { ...big, messageId: 9 }), 1),
      encodeOp({ op: 'clear', clientId: 'ingest', messageId: 9 }, 1),
    ];
    expect(records[0]!.length).toBeLessThan(1000 + 200);
    expect(records[1]!.length + records[2]!.length).toBeLessThan(200);
  },
);
