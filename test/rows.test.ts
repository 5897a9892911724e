// @engine-independent: opens no database (jest.config.js)
import { classify } from '../ingest/entries.js';
import { REJECTED_PAYLOAD_KEEP_BYTES, toRows } from '../ingest/rows.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const entry = (topic: string, payload: string, minute: number) =>
  classify(topic, Buffer.from(payload), at(minute), DEFAULT_LIMITS);

test('series and devices fold to one row per key with the widest times', () => {
  const rows = toRows([
    entry('home/a/dht22', `{"temperature": 1, "ts": "${at(5).toISOString()}"}`, 10),
    entry('home/a/dht22', `{"temperature": 2, "ts": "${at(3).toISOString()}"}`, 11),
    entry('home/a/status', 'online', 12),
    entry('home/a/status', 'offline', 9),
  ]);
  expect(rows.readings.map((r) => r.value)).toEqual([1, 2]);
  // The newest reading's value, whatever order the batch holds them in.
  expect(rows.series).toEqual([
    { device: 'a', sensor: 'dht22', metric: 'temperature', unit: '°C', first_ts: at(3), last_ts: at(5), last_value: 1 },
  ]);
  // The later status wins even though it came earlier in the batch.
  expect(rows.devices).toEqual([
    { device: 'a', first_seen: at(9), last_seen: at(12), status: 'online', status_changed_at: at(12) },
  ]);
});

test('a rejected payload keeps its size but only its first 4 KiB', () => {
  const rows = toRows([entry('home/a/b', 'x'.repeat(10_000), 0)]);
  expect(rows.rejected).toHaveLength(1);
  expect(rows.rejected[0]).toMatchObject({ topic: 'home/a/b', payload_bytes: 10_000, reason: 'payload is not JSON' });
  expect(rows.rejected[0]!.payload.length).toBe(REJECTED_PAYLOAD_KEEP_BYTES);
  expect(rows.devices).toEqual([]);
});
