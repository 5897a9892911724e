import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestMetrics } from '../ingest/metrics.js';
import { startBroker } from '../broker/broker.js';
import { createLogger } from '../shared/log.js';
import { createTestDatabase } from './helpers/database.js';
import { startIngestProcess } from './helpers/ingest-process.js';
import { encodeReading, readingTopic } from '../shared/contract.js';
import { Spool, type SpoolDamage } from '../shared/spool/spool.js';
import { eventually, freePort } from './helpers/net.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

// Issue 25, item 1, in ingest: the same damage in ingest's spool does not stall it. A spool left with
// 6,000 messages the database does not have yet (three segments), one with a flipped byte and one
// with a huge length field; at start ingest replays the rest, counts the loss in /metrics and goes on
// with live messages.

const MESSAGES = 6000;
const SEGMENT_BYTES = 256 << 10;

function damagedSpool(dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-ingest-damage-')), 'spool')): {
  dir: string; ends: number[];
} {
  const { spool } = Spool.open({ dir, segmentBytes: SEGMENT_BYTES });
  const now = Date.now();
  const ends = Array.from({ length: MESSAGES }, (_, i) =>
    spool.append({
      receivedAt: now, topic: readingTopic('spooled', 'dht22'),
      payload: encodeReading({ temperature: 20, humidity: i / 100 }, new Date(now - (MESSAGES - i) * 1000)),
    }),
  );
  spool.close();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();
  expect(files.length).toBeGreaterThanOrEqual(3);
  const change = (at: number, how: (bytes: Buffer, offset: number) => void) => {
    const file = files.findLast((f) => Number(f.slice(0, 20)) <= at)!;
    const bytes = readFileSync(join(dir, file));
    how(bytes, at - Number(file.slice(0, 20)));
    writeFileSync(join(dir, file), bytes);
  };
  change(ends[1999]! + 50, (b, o) => (b[o]! ^= 0x20)); // message 2,000's payload
  change(ends[3999]!, (b, o) => b.writeUInt32LE(0x7ffffff0, o)); // message 4,000's length
  return { dir, ends };
}

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

test(
  'a damaged spool at start: ingest writes every undamaged message, counts the two damaged ones in /metrics, and ' +
    'goes on with live ones',
  async () => {
    const { dir, ends } = damagedSpool();
    const { spool } = Spool.open({ dir, segmentBytes: SEGMENT_BYTES });
    const events: SpoolDamage[] = [];
    spool.on('damaged', (d) => events.push(d));
    p = await startPipeline({ spool });
    const { db } = p.database;
    const humidities = () =>
      db.map(
        "SELECT value FROM readings WHERE device = 'spooled' AND metric = 'humidity' ORDER BY ts", [],
        (r: { value: number }) => Math.round(r.value * 100),
      );
    await eventually(
      'the spooled messages', async () => ((await humidities()).length >= MESSAGES - 2 ? true : undefined), 120_000,
    );
    expect(await humidities()).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => i !== 2000 && i !== 4000),
    );
    expect(events).toEqual([
      { from: ends[1999], to: ends[2000], bytes: ends[2000]! - ends[1999]!, records: 1 },
      { from: ends[3999], to: ends[4000], bytes: ends[4000]! - ends[3999]!, records: 1 },
    ]);

    // Live messages after the replay are written too.
    for (let i = 0; i < 5; i++) {
      await p.publisher.publishAsync(
        readingTopic('live', 'dht22'), encodeReading({ temperature: 21 + i }, new Date(Date.now() - 5000 + i * 1000)),
        { qos: 1 },
      );
    }
    await eventually(
      'live messages',
      async () =>
        (await db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'live'")).n === 5 ? true : undefined,
      30_000,
    );

    const text = await createIngestMetrics(p.worker).metrics();
    const skipped = ends[2000]! - ends[1999]! + ends[4000]! - ends[3999]!;
    expect(text).toContain('pimonitor_ingest_spool_damaged_records_total 2\n');
    expect(text).toContain(`pimonitor_ingest_spool_skipped_bytes_total ${skipped}\n`);
    expect(p.worker.spoolDamage).toEqual({ records: 2, bytes: skipped });
    expect(p.worker.backlogBytes).toBe(0);
  },
  180_000,
);

test(
  'pimonitor ingest (the process) on a damaged spool: one log line at once, the counts in /metrics, every undamaged ' +
    'message written',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pimonitor-ingest-damage-'));
    // Where `pimonitor ingest` keeps its spool: DATA_DIR/spool/<INGEST_CLIENT_ID>.
    const { ends } = damagedSpool(join(dataDir, 'spool', 'pimonitor-ingest'));
    const t = await createTestDatabase();
    const broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    const ingest = await startIngestProcess({
      databaseUrl: t.url, mqttUrl: broker.url, dataDir,
      env: { INGEST_SPOOL_SEGMENT_BYTES: String(SEGMENT_BYTES), INGEST_HTTP_PORT: String(await freePort()) },
    });
    try {
      await eventually(
        'the spooled messages',
        async () =>
          (await t.db.one("SELECT count(*)::int AS n FROM readings WHERE device = 'spooled' AND metric = 'humidity'"))
            .n >=
          MESSAGES - 2
            ? true
            : undefined,
        120_000,
      );
      const lines = ingest.output().split('\n').filter((l) => l.includes('skipped damaged records of the spool'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ stretches: 1, messages: 1, bytes: ends[2000]! - ends[1999]! });
      const url = /"metrics":"(http:[^"]+)"/.exec(ingest.output())![1]!;
      const text = await (await fetch(url)).text();
      expect(text).toContain('pimonitor_ingest_spool_damaged_records_total 2\n');
      expect(text).toContain(
        `pimonitor_ingest_spool_skipped_bytes_total ${ends[2000]! - ends[1999]! + ends[4000]! - ends[3999]!}\n`,
      );
    } finally {
      ingest.child.kill('SIGTERM');
      expect((await ingest.exited).code).toBe(0);
      await broker.stop();
      await t.stop();
    }
  },
  180_000,
);
