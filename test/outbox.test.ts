// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../sensor-node/outbox.js';

const open = (dir: string, maxBytes = 1 << 20) => Outbox.open({ dir, maxBytes, segmentBytes: 1000 });
/** Everything pending; a read stops at a segment boundary, as the node's sender expects. */
const readAll = (outbox: Outbox) => {
  const all = [];
  for (let batch = outbox.read(outbox.cursor, 1000); batch.length > 0; batch = outbox.read(batch.at(-1)!.end, 1000))
    all.push(...batch);
  return all;
};
const add = (outbox: Outbox, n: number, from = 0) => {
  for (let i = from; i < from + n; i++) outbox.add(`home/pi/s${i}`, Buffer.from(JSON.stringify({ temperature: i })));
};

test('unacknowledged readings survive a reopen, in order; acknowledged ones are not sent again', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'o');
  const first = open(dir);
  add(first, 10);
  const sent = first.read(first.cursor, 4);
  first.ack(sent.at(-1)!.end);
  first.close();
  const second = open(dir);
  expect(readAll(second).map((m) => m.topic)).toEqual([4, 5, 6, 7, 8, 9].map((i) => `home/pi/s${i}`));
  expect(second.read(second.cursor, 0)).toEqual([]);
  second.close();
});

test('acknowledgements are saved to disk at most once a second, and always on close', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'o');
  const outbox = open(dir);
  add(outbox, 5);
  const messages = outbox.read(outbox.cursor, 5);
  outbox.ack(messages[0]!.end);
  const savedFirst = readFileSync(join(dir, 'cursor'), 'utf8');
  for (const m of messages.slice(1)) outbox.ack(m.end);
  expect(readFileSync(join(dir, 'cursor'), 'utf8')).toBe(savedFirst);
  outbox.close();
  expect(Number(readFileSync(join(dir, 'cursor'), 'utf8'))).toBe(messages.at(-1)!.end);
});

test('a full outbox drops the oldest readings, whole segments at a time, and counts them', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'o');
  const outbox = open(dir, 3000);
  add(outbox, 200);
  expect(outbox.pendingBytes).toBeLessThanOrEqual(3000);
  expect(outbox.dropped).toBeGreaterThan(0);
  const left = readAll(outbox).map((m) => Number(m.topic.slice('home/pi/s'.length)));
  expect(left.at(-1)).toBe(199);
  expect(left).toEqual(Array.from({ length: left.length }, (_, i) => 200 - left.length + i));
  outbox.close();
});
