// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import type { Item } from '../ingest/batcher.js';
import { classify } from '../ingest/entries.js';
import { toRows } from '../ingest/rows.js';
import { SeriesQuota, SERIES_QUOTA_SETTING, SERIES_QUOTA_WINDOW_MS } from '../ingest/series-quota.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const HOUR = SERIES_QUOTA_WINDOW_MS;
const T0 = Date.UTC(2026, 0, 1, 12);

/** One message of `device` with the given metrics, received at `at` (ms): the spooled message and what it became. */
function message(device: string, metrics: Record<string, number>, at: number, sensor = 'node'): Item {
  const topic = `home/${device}/${sensor}`;
  const payload = Buffer.from(JSON.stringify(metrics));
  return {
    message: { receivedAt: at, topic, payload, end: 0 }, entry: classify(topic, payload, new Date(at), DEFAULT_LIMITS),
  };
}
const metrics = (names: string[]) => Object.fromEntries(names.map((n) => [n, 1]));
const range = (from: number, to: number, prefix = 'm') =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
const storedMetrics = (item: Item) =>
  item.entry.kind === 'readings' ? item.entry.readings.flatMap((r) => r.metrics.map((m) => m.metric)) : [];

test(
  'a device creates up to the limit in an hour; the next new series is refused and named, its known series still pass',
  () => {
    const quota = new SeriesQuota(5);
    const first = quota.admit(message('kitchen', metrics(range(0, 5)), T0));
    expect(first).toMatchObject({ created: 5, refused: 0 });
    expect(first.item.entry.kind).toBe('readings');

    const over = quota.admit(message('kitchen', metrics(['foo_63']), T0 + 10 * 60_000));
    expect(over).toMatchObject({ created: 0, refused: 1, reached: { device: 'kitchen', until: new Date(T0 + HOUR) } });
    expect(over.item.entry).toMatchObject({ kind: 'rejected', code: 'quota', topic: 'home/kitchen/node' });
    const reason = (over.item.entry as { reason: string }).reason;
    expect(reason).toBe(
      `device kitchen created 5 new series in the last hour (${SERIES_QUOTA_SETTING}=5); "node/foo_63" is refused ` +
        `until ${new Date(T0 + HOUR).toISOString()}; the series the device already has are still stored`,
    );

    // Known series cost nothing and are never refused, however full the hour.
    const known = quota.admit(message('kitchen', metrics(range(0, 5)), T0 + 11 * 60_000));
    expect(known).toMatchObject({ created: 0, refused: 0 });
    expect(storedMetrics(known.item)).toEqual(range(0, 5));
    // Another device has its own hour.
    expect(quota.admit(message('garage', metrics(range(0, 5)), T0 + 11 * 60_000))).toMatchObject({
      created: 5, refused: 0,
    });
  },
);

test('a message with known and refused series stores the known ones and is kept as a rejection too', () => {
  const quota = new SeriesQuota(3);
  quota.admit(message('attic', metrics(['temperature', 'humidity']), T0));
  const mixed = quota.admit(
    message('attic', { temperature: 20, extra_1: 1, humidity: 50, extra_2: 2, extra_3: 3 }, T0 + 1000),
  );
  expect(mixed).toMatchObject({ created: 1, refused: 2 });
  expect(storedMetrics(mixed.item)).toEqual(['temperature', 'extra_1', 'humidity']);
  const rows = toRows([mixed.item.entry]);
  expect(rows.readings.map((r) => r.metric)).toEqual(['temperature', 'extra_1', 'humidity']);
  expect(rows.rejected).toHaveLength(1);
  expect(rows.rejected[0]).toMatchObject({ topic: 'home/attic/node', code: 'quota' });
  expect(rows.rejected[0]!.reason).toContain('"node/extra_2", "node/extra_3" are refused until');
  expect(rows.rejected[0]!.reason).toContain(
    'the rest of this message and the series the device already has are stored',
  );
});

test('the hour rolls: a slot frees exactly an hour after the series that took it, in receive time', () => {
  const quota = new SeriesQuota(2);
  quota.admit(message('d', metrics(['a']), T0));
  quota.admit(message('d', metrics(['b']), T0 + 20 * 60_000));
  expect(quota.admit(message('d', metrics(['c']), T0 + HOUR - 1)).refused).toBe(1);
  // The refusal says when: T0 + 1 h, when a's slot frees; b's still counts.
  const atHour = quota.admit(message('d', metrics(['c']), T0 + HOUR));
  expect(atHour).toMatchObject({ created: 1, refused: 0 });
  expect(quota.admit(message('d', metrics(['e']), T0 + HOUR + 1))).toMatchObject({
    refused: 1, reached: { until: new Date(T0 + 20 * 60_000 + HOUR) },
  });
  expect(quota.admit(message('d', metrics(['e']), T0 + 20 * 60_000 + HOUR)).created).toBe(1);
});

test('reaching the quota is reported once per episode, not per message', () => {
  const quota = new SeriesQuota(1);
  quota.admit(message('d', metrics(['a']), T0));
  expect(quota.admit(message('d', metrics(['b']), T0 + 1)).reached).toBeDefined();
  expect(quota.admit(message('d', metrics(['c']), T0 + 2)).reached).toBeUndefined();
  expect(quota.admit(message('d', metrics(['b']), T0 + HOUR)).created).toBe(1);
  expect(quota.admit(message('d', metrics(['c']), T0 + HOUR + 1)).reached).toEqual({
    device: 'd', until: new Date(T0 + 2 * HOUR),
  });
});

test('seeded from the database: its series are known, and those of the last hour count by their age', () => {
  const quota = new SeriesQuota(3);
  quota.seed([
    { device: 'd', sensor: 'node', metric: 'old', ageMs: null }, // before schema version 9
    { device: 'd', sensor: 'node', metric: 'hour_ago', ageMs: HOUR },
    { device: 'd', sensor: 'node', metric: 'recent_1', ageMs: 30 * 60_000 },
    { device: 'd', sensor: 'node', metric: 'recent_2', ageMs: 10 * 60_000 },
  ], T0);
  expect(quota.knownSeries).toBe(4);
  expect(quota.admit(message('d', metrics(['old', 'hour_ago', 'recent_1']), T0)).created).toBe(0);
  expect(quota.admit(message('d', metrics(['new_1', 'new_2']), T0))).toMatchObject({
    created: 1, refused: 1, reached: { until: new Date(T0 + 30 * 60_000) },
  });
  expect(quota.admit(message('d', metrics(['new_2']), T0 + 30 * 60_000)).created).toBe(1);
});

test('other entries pass untouched', () => {
  const quota = new SeriesQuota(1);
  const status = {
    message: { receivedAt: T0, topic: 'home/d/status', payload: Buffer.from('online'), end: 0 },
    entry: classify('home/d/status', Buffer.from('online'), new Date(T0), DEFAULT_LIMITS),
  };
  expect(quota.admit(status).item).toBe(status);
  expect(() => new SeriesQuota(0)).toThrow('at least 1');
});

/**
 * Property: against a plain model (a list of every creation), for any stream of messages with
 * non-decreasing receive times: a series is created exactly when it is unknown and its device created
 * fewer than `limit` in the hour before; known series always pass; no hour ever holds more than `limit`.
 */
test('property: the quota equals the sliding-hour model at every boundary', () => {
  const step = fc.oneof(
    fc.constant(0), fc.constant(1), fc.constant(HOUR - 1), fc.constant(HOUR), fc.integer({ min: 0, max: HOUR }),
  );
  const msg = fc.record({
    device: fc.constantFrom('a', 'b', 'c'),
    names: fc.uniqueArray(fc.constantFrom(...range(0, 12)), { minLength: 1, maxLength: 5 }), step,
  });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(msg, { maxLength: 60 }), (limit, messages) => {
      const quota = new SeriesQuota(limit);
      const created: Array<{ device: string; at: number }> = [];
      const known = new Set<string>();
      let at = T0;
      for (const { device, names, step: dt } of messages) {
        at += dt;
        const result = quota.admit(message(device, metrics(names), at));
        const kept = storedMetrics(result.item);
        let expectedCreated = 0;
        const expectedKept: string[] = [];
        for (const name of names) {
          const key = `${device}/${name}`;
          if (known.has(key)) expectedKept.push(name);
          else if (created.filter((c) => c.device === device && c.at > at - HOUR).length < limit) {
            created.push({ device, at });
            known.add(key);
            expectedCreated++;
            expectedKept.push(name);
          }
        }
        if (result.created !== expectedCreated || result.refused !== names.length - expectedKept.length) return false;
        if (kept.join() !== expectedKept.join()) return false;
        if (
          result.refused > 0 !==
          (result.item.entry.kind === 'rejected' ||
            (result.item.entry.kind === 'readings' && result.item.entry.refused !== undefined))
        )
          return false;
      }
      // No window of an hour holds more than `limit` creations of one device.
      return created.every(
        (c) => created.filter((o) => o.device === c.device && o.at >= c.at && o.at < c.at + HOUR).length <= limit,
      );
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(500) },
  );
});
