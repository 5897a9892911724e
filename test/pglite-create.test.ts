// @engine-independent: opens no database (jest.config.js)
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createInChild, hasDatabase } from '../shared/pglite-create.js';
import { ExpectedError } from '../shared/expected-error.js';

// Issue 30: a new embedded database is created by a child process (its ~500 MiB of initdb memory
// goes with it), built beside DATA_DIR/pg and renamed into place whole.
const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-pglite-create-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

test(
  'creates a database that opens, removes what an earlier stopped start left, and keeps aside a directory that held ' +
    'something else',
  async () => {
    const root = newDir();
    const dataDir = join(root, 'pg');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'not a database');
    mkdirSync(join(root, 'pg.creating-999999'));
    await createInChild(dataDir, PGlite.defaultStartParams, false);
    expect(hasDatabase(dataDir)).toBe(true);
    const entries = readdirSync(root).sort();
    expect(entries).toEqual(['pg', expect.stringMatching(/^pg\.incomplete-\d+$/)]);
    expect(readdirSync(join(root, entries[1]!))).toEqual(['notes.txt']);
    const db = await PGlite.create(dataDir);
    try {
      expect((await db.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
  },
  60_000,
);

test('a failure is one line naming the directory, and leaves nothing half made', async () => {
  const root = newDir();
  const dataDir = join(root, 'pg');
  mkdirSync(dataDir);
  // PostgreSQL refuses an unknown setting before it writes anything.
  const failed = await createInChild(dataDir, [...PGlite.defaultStartParams, '-c', 'no_such_setting=1'], false).catch(
    (err: unknown) => err,
  );
  expect(failed).toBeInstanceOf(ExpectedError);
  expect((failed as Error).message).toMatch(new RegExp(`^creating the embedded database in ${dataDir} failed: \\S`));
  expect((failed as Error).message).not.toContain('\n');
  expect(readdirSync(root)).toEqual(['pg']);
}, 60_000);
