import { planArchive, runArchive } from '../storage/archive.js';
import { applyStorageSettings } from '../storage/settings.js';
import { history } from '../web/queries.js';
import type { HistoryQuery } from '../web/params.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { emptyStorage, writeBatch } from './helpers/storage.js';

// Issue 30's archive, from its hostile review: the dashboard's raw tier reads archived days too, and a
// month is moved by its UTC bounds whatever the session's time zone (PostgreSQL takes the server's).
let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
  await applyStorageSettings(t.db, { rawKeepDays: 0, rollupTimeZone: 'UTC' });
}, 60_000);
afterAll(async () => t?.stop());
beforeEach(async () => emptyStorage(t.db));

const OCT = Date.UTC(2026, 9, 1);
const NOV = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);

test('/api/history of a few hours of an archived day shows the readings it showed before archiving', async () => {
  await writeBatch(t.db, Array.from({ length: 288 }, (_, i) => ({ device: 'attic', ts: at(OCT + DAY + i * 300_000), value: i })));
  const q = { device: 'attic', sensor: 'dht22', metric: 'temperature', from: at(OCT + DAY), to: at(OCT + DAY + 3 * 3_600_000) } as HistoryQuery;
  const before = await history(t.db, q);
  await runArchive(t.db, await planArchive(t.db, at(NOV)));
  expect((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings_raw')).n).toBe(0);
  const after = await history(t.db, q);
  expect(after.tier).toBe('raw');
  expect(after.series).toEqual(before.series);
  expect(after.series[0]?.t).toHaveLength(36);
});

for (const zone of ['America/New_York', 'Europe/Berlin']) {
  test(`a month is moved by its UTC bounds in a session in ${zone}: the last day stays in, the next month's first hour out`, async () => {
    await writeBatch(t.db, [
      { device: 'attic', ts: at(OCT + 30 * DAY + 12 * 3_600_000), value: 1 },
      { device: 'attic', ts: at(OCT + 30 * DAY + 23.5 * 3_600_000), value: 2 },
      { device: 'attic', ts: at(NOV + 1_800_000), value: 3 },
    ]);
    const { id } = await t.db.one<{ id: number }>("SELECT id FROM series WHERE device = 'attic'");
    const moved = await t.db.tx(async (x) => {
      await x.one('SELECT set_config($1, $2, true)', ['TimeZone', zone]);
      return (await x.one<{ moved: number }>('SELECT pimonitor_archive_series_month($1, $2) AS moved', [id, at(OCT)])).moved;
    });
    expect(moved).toBe(2);
    const raw = await t.db.map('SELECT ts FROM readings_raw ORDER BY ts', [], (r: { ts: Date }) => r.ts.getTime());
    expect(raw).toEqual([NOV + 1_800_000]);
    expect((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM readings')).n).toBe(3);
  });
}
