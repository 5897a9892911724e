// @engine-independent: opens no database (jest.config.js)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';

// docs/scale-out.md has the reader export accounts (bcrypt hashes of every device's password) into
// the checkout; git must not offer that file for a commit.
test('the users file docs/scale-out.md writes into the checkout is ignored by git', () => {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'scale-out.md'), 'utf8');
  const outputs = [...doc.matchAll(/device export --nats --output (\S+)/g)].map((m) => m[1]!);
  expect(outputs).toContain('docs/nats/users.conf');
  for (const path of outputs) {
    // git check-ignore exits 1 (throws here) when the path is not ignored.
    expect(execFileSync('git', ['check-ignore', path], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim()).toBe(path);
  }
});
