// @engine-independent: opens no database (jest.config.js)
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { CATCH_UP_BATCHES, batchRowsFor, isFull, nextFlush, takeBatch, type Item } from '../ingest/batcher.js';
import { Committer, StopDeadline } from '../ingest/committer.js';
import type { BatchRows } from '../ingest/rows.js';
import type { BatchStore, SpoolProgress } from '../ingest/store.js';
import type { PositionedMessage } from '../shared/spool/record.js';

// The batcher and the committer are pure or driven through BatchStore: no sockets, no database.
const policy = { batchMaxRows: 10, flushIntervalMs: 250 };

test.each([
  [
    'empty backlog waits the whole interval', { backlogMessages: 0, rowsPerMessage: 1, oldestWaitingSince: undefined },
    1000, { at: 'later', inMs: 250 },
  ],
  [
    'the oldest message has waited 100 ms', { backlogMessages: 3, rowsPerMessage: 2, oldestWaitingSince: 900 }, 1000,
    { at: 'later', inMs: 150 },
  ],
  [
    'the oldest message is overdue', { backlogMessages: 3, rowsPerMessage: 2, oldestWaitingSince: 500 }, 1000,
    { at: 'later', inMs: 0 },
  ],
  ['a full batch goes now', { backlogMessages: 5, rowsPerMessage: 2, oldestWaitingSince: 999 }, 1000, { at: 'now' }],
  [
    'a replay of unknown size goes now',
    { backlogMessages: Infinity, rowsPerMessage: 1, oldestWaitingSince: undefined }, 1000, { at: 'now' },
  ],
] as const)('nextFlush: %s', (_what, state, now, expected) => {
  expect(nextFlush(state, policy, now)).toEqual(expected);
  expect(isFull(state, policy)).toBe(expected.at === 'now');
});

const message = (i: number, payload: string, topic = 'home/a/b'): PositionedMessage => ({
  receivedAt: Date.UTC(2026, 0, 1), topic, payload: Buffer.from(payload), end: (i + 1) * 100,
});

test.each([
  ['nothing waits', 0, 1, 10],
  ['one full batch waits', 10, 1, 10],
  ['almost two', 19, 1, 10],
  ['two full batches wait: one commit takes both', 5, 4, 20],
  ['far behind: at most CATCH_UP_BATCHES', 1000, 4, 10 * CATCH_UP_BATCHES],
  ['replaying a backlog of unknown size', Infinity, 1, 10 * CATCH_UP_BATCHES],
  ['rows per message not known yet', 0, NaN, 10],
] as const)('batchRowsFor: %s', (_what, backlogMessages, rowsPerMessage, expected) => {
  expect(batchRowsFor({ backlogMessages, rowsPerMessage, oldestWaitingSince: undefined }, policy)).toBe(expected);
});

test('takeBatch: fills up to the row limit, keeps order, and always takes at least one message', () => {
  const four = JSON.stringify({ a: 1, b: 2, c: 3, d: 4 });
  const messages = [message(0, four), message(1, four), message(2, four), message(3, 'not json')];
  expect(takeBatch(messages, 10, DEFAULT_LIMITS).map((i) => i.message.end)).toEqual([100, 200]);
  expect(takeBatch(messages, 3, DEFAULT_LIMITS).map((i) => i.message.end)).toEqual([100]);
  expect(takeBatch(messages.slice(3), 10, DEFAULT_LIMITS)[0]!.entry).toMatchObject({ kind: 'rejected', code: 'json' });
});

/** A store that fails writes by a rule; it records what was committed. */
function scriptedStore(
  fail: (rows: BatchRows, call: number) => unknown,
): BatchStore & { commits: Array<{ rows: BatchRows; progress: SpoolProgress }> } {
  let call = 0;
  const commits: Array<{ rows: BatchRows; progress: SpoolProgress }> = [];
  return {
    commits,
    async write(rows, progress) {
      const err = fail(rows, ++call);
      if (err) throw err;
      commits.push({ rows, progress });
    },
    async committedPosition() {
      return null;
    },
  };
}
const items = (payloads: string[]): Item[] =>
  takeBatch(
    payloads.map((p, i) => message(i, p, `home/d${i}/s`)), 1000, DEFAULT_LIMITS,
  );
/** A recording stand-in for the committer's events. */
const recorder = () => {
  const seen = { writeFailed: [] as unknown[], isolated: [] as Array<{ topic: string; storedAs: string }> };
  return {
    seen, writeFailed: (i: unknown) => void seen.writeFailed.push(i),
    isolated: (i: { topic: string; error: string; storedAs: string }) => void seen.isolated.push(i),
  };
};
const committer = (store: BatchStore, events = recorder()) =>
  ({ events, c: new Committer({ store, worker: 'w', spoolId: () => 'spool', events, sleep: async () => {} }) });
const pgError = (code: string, message = `sqlstate ${code}`) => Object.assign(new Error(message), { code });

test('committer: a transient failure is retried until it succeeds; the position goes with the rows', async () => {
  const store = scriptedStore((_rows, call) => (call <= 2 ? pgError('08006') : null));
  const { c, events } = committer(store);
  await c.commit(items(['{"t":1}', '{"t":2}']));
  expect(events.seen.writeFailed).toHaveLength(2);
  expect(store.commits).toHaveLength(1);
  expect(store.commits[0]!.progress).toEqual({ worker: 'w', spoolId: 'spool', position: 200 });
  expect(store.commits[0]!.rows.readings).toHaveLength(2);
});

test(
  'committer: a refused message is split out of its batch and stored as a rejection; its neighbours are stored',
  async () => {
    const store = scriptedStore((rows) => (rows.readings.some((r) => r.device === 'd2') ? pgError('23514') : null));
    const { c, events } = committer(store);
    const stored = await c.commit(items(['{"t":0}', '{"t":1}', '{"t":2}', '{"t":3}', '{"t":4}']));
    expect(stored.map((i) => i.entry.kind)).toEqual(['readings', 'readings', 'rejected', 'readings', 'readings']);
    expect(events.seen.isolated).toEqual([expect.objectContaining({ topic: 'home/d2/s', storedAs: 'rejected' })]);
    expect(store.commits.at(-1)!.progress.position).toBe(500);
    expect(store.commits.flatMap((x) => x.rows.rejected.map((r) => r.reason))).toEqual([
      expect.stringMatching(/^the database refused this message: sqlstate 23514/),
    ]);
  },
);

test("committer: an exception while building the batch is the batch's fault, not a reason to retry", async () => {
  const store = scriptedStore((rows) =>
    rows.readings.some((r) => r.device === 'd1') ? new RangeError('Invalid time value') : null,
  );
  const { c, events } = committer(store);
  await c.commit(items(['{"t":0}', '{"t":1}']));
  expect(events.seen.writeFailed).toHaveLength(0);
  expect(store.commits.flatMap((x) => x.rows.rejected.map((r) => r.topic))).toEqual(['home/d1/s']);
});

test(
  'committer: when even the rejection is refused, a plain one with the topic hex-encoded; when that is refused, the ' +
    'message is skipped',
  async () => {
    const refuseTexts = scriptedStore((rows) =>
      rows.rejected.some((r) => r.topic.startsWith('home/')) ? pgError('22021') : null,
    );
    const a = committer(refuseTexts);
    await a.c.commit(items(['not json']));
    expect(refuseTexts.commits[0]!.rows.rejected[0]).toMatchObject({
      topic: `hex:${Buffer.from('home/d0/s').toString('hex')}`, code: 'json',
    });

    const refuseAll = scriptedStore((rows) =>
      rows.rejected.length + rows.readings.length > 0 ? pgError('22021') : null,
    );
    const b = committer(refuseAll);
    const stored = await b.c.commit(items(['not json', '{"t":1}']));
    expect(stored.map((i) => i.fallback)).toEqual(['skipped', 'skipped']);
    expect(refuseAll.commits.map((x) => x.progress.position)).toEqual([100, 200]);
    expect(b.events.seen.isolated).toContainEqual(expect.objectContaining({ storedAs: 'skipped' }));
  },
);

test('committer: abort() ends a retry loop with StopDeadline; the batch stays for the next start', async () => {
  const store = scriptedStore(() => pgError('57P01'));
  const events = recorder();
  const c = new Committer({
    store, worker: 'w', spoolId: () => 's', events,
    sleep: (_ms, signal) =>
      new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new StopDeadline()))),
  });
  const pending = c.commit(items(['{"t":1}']));
  setTimeout(() => c.abort(), 20);
  await expect(pending).rejects.toBeInstanceOf(StopDeadline);
  expect(store.commits).toHaveLength(0);
});
