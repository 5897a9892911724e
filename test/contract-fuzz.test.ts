// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { DEFAULT_LIMITS, MAX_REASON_CHARS, parseDiag, parseDiagTopic } from '../shared/contract.js';
import { classify } from '../ingest/entries.js';
import { toRows } from '../ingest/rows.js';
import { formatReadingsInsert } from '../ingest/store.js';
import { anyTopic, FUZZ_SEED, fuzzRuns, hostilePayload } from './support/hostile.js';

// Property: whatever arrives, the contract and the row builder return a value and never throw; a
// rejection carries a readable reason; every text headed for PostgreSQL is storable.
// A longer run: FUZZ_RUNS=200000 npm run test:fuzz
const storable = (s: string) => !/\u0000/.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s;

test(
  'arbitrary topics, payloads and receive times: never a throw, always a reading, a status or one readable rejection',
  () => {
    const receivedAt = fc.oneof(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      fc.date({ noInvalidDate: false }),
    );
    fc.assert(
      fc.property(anyTopic, hostilePayload, receivedAt, (topic, payload, at) => {
        const entry = classify(topic, payload, at, DEFAULT_LIMITS);
        expect(entry.kind === 'rejected' ? entry.code : 'ok').not.toBe('unexpected');
        const rows = toRows([entry]);
        if (entry.kind === 'rejected') {
          expect(entry.reason.length).toBeGreaterThan(5);
          expect(entry.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 1);
          expect(rows.rejected).toHaveLength(1);
          expect(storable(rows.rejected[0]!.reason)).toBe(true);
          expect(storable(rows.rejected[0]!.topic)).toBe(true);
        } else if (entry.kind === 'readings') {
          // The write path's own conversions must hold for what validation accepted.
          expect(() => formatReadingsInsert(rows.readings)).not.toThrow();
          for (const r of rows.readings) {
            expect(Number.isFinite(r.value)).toBe(true);
            expect(r.ts.getTime()).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
          }
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(5_000) },
    );
  },
);

test(
  'arbitrary diag topics and payloads (what the alerts worker reads): never a throw; counts only when whole and ' +
    'consistent',
  () => {
    const diagLike = fc
      .record({
        attempts: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
        readings: fc.oneof(fc.integer(), fc.double(), fc.constant(undefined)),
      })
      .map((o) => Buffer.from(JSON.stringify(o)));
    const diagTopic = fc.oneof(anyTopic, anyTopic.map((t) => `${t}/diag`));
    fc.assert(
      fc.property(diagTopic, fc.oneof(hostilePayload, diagLike), (topic, payload) => {
        const where = parseDiagTopic(topic);
        if (where) expect(topic).toBe(`home/${where.device}/${where.sensor}/diag`);
        const diag = parseDiag(payload);
        if (diag.ok) {
          expect(Number.isSafeInteger(diag.diag.attempts) && Number.isSafeInteger(diag.diag.readings)).toBe(true);
          expect(diag.diag.readings).toBeLessThanOrEqual(diag.diag.attempts);
        } else {
          expect(diag.reason.length).toBeGreaterThan(5);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(5_000) },
    );
  },
);

test.each([
  ['a ts far outside what a Date holds', '{"temperature":20,"ts":1e300}', 'timestamp'],
  ['a negative ts far outside what a Date holds', '{"temperature":20,"ts":-8640000000000001}', 'clock'],
  ['a NUL in ts', '{"temperature":20,"ts":"\\u0000"}', 'timestamp'],
  ['a NUL in a metric name', '{"te\\u0000mp":20}', 'metric'],
  ['a lone surrogate in a metric name', '{"\\ud800":20}', 'metric'],
])('%s is rejected with a storable reason', (_what, payload, code) => {
  const entry = classify('home/fuzz/dht22', Buffer.from(payload), new Date('2026-01-01T00:00:00Z'), DEFAULT_LIMITS);
  expect(entry).toMatchObject({ kind: 'rejected', code });
  if (entry.kind === 'rejected') expect(storable(entry.reason)).toBe(true);
});
