import { arrayLiteral } from '../ingest/array-literal.js';
import { foldSeries } from '../ingest/rows.js';
import { createBatchStore } from '../ingest/store.js';
import { migrate } from '../shared/migrate.js';
import { createTestDatabase } from './helpers/database.js';

test.each([
  [[], '{}'],
  [['a', 'b-c_1', '2026-01-01T00:00:00.123Z'], '{a,b-c_1,2026-01-01T00:00:00.123Z}'],
  [[1.5, -0.25, 1e300, 5e-324], '{1.5,-0.25,1e+300,5e-324}'],
  [[
    'say "hi"', 'back\\slash', 'comma,brace}{', 'NULL', 'null', '', 'two words',
  ], '{"say \\"hi\\"","back\\\\slash","comma,brace}{","NULL","null","","two words"}'],
])('%p → %s', (values, literal) => {
  expect(arrayLiteral(values)).toBe(literal);
});

test('non-finite numbers are refused rather than stored as text', () => {
  expect(() => arrayLiteral([NaN])).toThrow('cannot store NaN');
});

test('the database reads back exactly what was encoded, awkward strings included', async () => {
  const t = await createTestDatabase();
  try {
    const awkward = [
      'say "hi"', 'back\\slash', 'comma,brace}{', 'NULL', 'Null', '', "it's", 'ü €', 'tab\there', 'plain',
    ];
    expect(await t.db.one('SELECT $1::text[] AS a', [arrayLiteral(awkward)])).toEqual({ a: awkward });
    await migrate(t.db);
    const ts = new Date('2026-01-01T00:00:00.123Z');
    const row = { ts, device: 'd', sensor: 's', metric: 'm', value: 1e300 };
    const readings = [row, row, { ...row, metric: 'n', value: -2.5 }];
    await createBatchStore(t.db).write(
      { readings, series: foldSeries(readings), devices: [], rejected: [] },
      { worker: 'w', spoolId: '00000000-0000-4000-8000-000000000000', position: 1 },
    );
    expect(await t.db.any('SELECT ts, metric, value FROM readings ORDER BY metric')).toEqual([
      { ts, metric: 'm', value: 1e300 },
      { ts, metric: 'n', value: -2.5 },
    ]);
  } finally {
    await t.stop();
  }
});
