import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from source (tests) or from dist/. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'pimonitor') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pimonitor: cannot find the package root (package.json)');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const SQL_DIR = join(PACKAGE_ROOT, 'sql');
