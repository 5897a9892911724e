// @engine-independent: opens no database (jest.config.js)
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWhole } from '../cli/device-export.js';

/**
 * `device export --nats --output FILE` writes password hashes: a new file of mode 600, never through a
 * link or into a file someone else made at its temporary name (FILE.<pid>.tmp) beforehand.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pimonitor-export-output-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a link planted at the temporary name is not written through', async () => {
  const elsewhere = join(dir, 'elsewhere');
  writeFileSync(elsewhere, 'theirs', { mode: 0o644 });
  symlinkSync(elsewhere, join(dir, `users.conf.${process.pid}.tmp`));
  await writeWhole(join(dir, 'users.conf'), 'hashes');
  expect(readFileSync(elsewhere, 'utf8')).toBe('theirs');
  expect(readFileSync(join(dir, 'users.conf'), 'utf8')).toBe('hashes');
  expect(lstatSync(join(dir, 'users.conf')).isSymbolicLink()).toBe(false);
  expect(statSync(join(dir, 'users.conf')).mode & 0o777).toBe(0o600);
});

test('a file left at the temporary name (of mode 644) does not give the output its mode', async () => {
  writeFileSync(join(dir, `users.conf.${process.pid}.tmp`), 'stale', { mode: 0o644 });
  writeFileSync(join(dir, 'users.conf'), 'old', { mode: 0o644 });
  await writeWhole(join(dir, 'users.conf'), 'hashes');
  expect(readFileSync(join(dir, 'users.conf'), 'utf8')).toBe('hashes');
  expect(statSync(join(dir, 'users.conf')).mode & 0o777).toBe(0o600);
});
