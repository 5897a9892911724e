import { connect, disconnect } from '../shared/db.js';
import { Maintenance, type MaintenanceEvents } from '../storage/maintenance.js';
import { listPartitions } from '../storage/partitions.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';
import { emptyStorage, writeBatch, writeThroughView } from './helpers/storage.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

const retention = { rawDays: 0, fiveMinuteDays: 0, hourDays: 0, dayDays: 0, rejectedDays: 30 };

function record(m: Maintenance) {
  const events: Array<[keyof MaintenanceEvents, unknown]> = [];
  const names = ['rolledUp', 'retained', 'compacted', 'partitionsCreated', 'settingsApplied', 'failed'] as const;
  for (const name of names) m.on(name, (e: unknown) => events.push([name, e]));
  return events;
}

test(
  'one round applies the settings, makes partitions ahead, compacts past months and rolls up; ' +
    'the next skips the hourly work',
  async () => {
    await emptyStorage(t.db);
    let now = Date.UTC(2026, 10, 25, 12);
    const m = new Maintenance(t.db, {
      settings: { rawKeepDays: 0, rollupTimeZone: 'Europe/Berlin' },
      retention,
      intervalMs: 60_000,
      compactAfterDays: 3,
      now: () => now,
    });
    const events = record(m);
    const samples = Array.from({ length: 50 }, (_, i) => ({
      device: 'loft',
      ts: new Date(Date.UTC(2026, 9, 30) + i * 60_000),
      value: i,
    }));
    await writeBatch(t.db, samples);
    await m.runOnce();
    expect(events.filter(([name]) => name === 'failed')).toEqual([]);
    const settings = await t.db.one('SELECT rollup_time_zone FROM storage_settings');
    expect(settings).toEqual({ rollup_time_zone: 'Europe/Berlin' });
    expect((await listPartitions(t.db)).map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'readings_raw_2026_10',
        'readings_raw_2026_11',
        'readings_raw_2026_12',
        'rollup_5m_2026_11',
        'rollup_5m_2026_12',
      ]),
    );
    expect(events.find(([name]) => name === 'compacted')?.[1]).toMatchObject({ name: 'readings_raw_2026_10' });
    expect(await t.db.one('SELECT count(*)::int AS n FROM rollup_dirty')).toEqual({ n: 0 });
    expect(await t.db.one('SELECT sum(count)::int AS n FROM rollup_1d')).toEqual({ n: 50 });

    events.length = 0;
    now += 60_000;
    // Ingest merges its batch into the rollups itself; a reading written through the readings view (an
    // import) is the job's.
    await writeBatch(t.db, [{ device: 'loft', ts: new Date(Date.UTC(2026, 9, 30, 23)), value: 7 }]);
    expect(await t.db.one('SELECT sum(count)::int AS n FROM rollup_1d')).toEqual({ n: 51 });
    await writeThroughView(t.db, [{ device: 'loft', ts: new Date(Date.UTC(2026, 9, 30, 23, 30)), value: 8 }]);
    await m.runOnce();
    expect(events.map(([name]) => name)).toEqual(['rolledUp']);
    expect(await t.db.one('SELECT sum(count)::int AS n FROM rollup_1d')).toEqual({ n: 52 });
    await m.stop();
    await m.stop();
  },
);

test('a database that is away makes each step report a failure; runOnce and stop never reject', async () => {
  const away = connect('postgres://postgres@127.0.0.1:1/none', { poolSize: 1, connectTimeoutMs: 500 });
  const m = new Maintenance(away, {
    settings: { rawKeepDays: 90, rollupTimeZone: 'UTC' },
    retention,
    intervalMs: 60_000,
    compactAfterDays: 3,
  });
  const events = record(m);
  try {
    await m.runOnce();
    expect(events.map(([name, e]) => [name, (e as { during: string }).during])).toEqual([
      ['failed', 'settings'],
      ['failed', 'partitions'],
      ['failed', 'retention'],
      ['failed', 'compact'],
      ['failed', 'rollup'],
    ]);
    m.start();
    await m.stop({ timeoutMs: 2000 });
    await m.stop({ timeoutMs: 2000 });
  } finally {
    await disconnect(away);
  }
});
