// `npm start`'s prestart: builds only when a source file is newer than the last build, so a start does
// not run the TypeScript compiler (about 500 MB at its peak, too much for a 512 MB board) every time.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The build's two steps each write one of these last: the server (tsc) and the dashboard (ui/build.mjs).
const OUTPUTS = ['dist/cli/main.js', 'dist/web/public/app.js'].map((file) => join(root, file));
// Everything in the checkout but what the build writes or never reads (a changed test or script only
// costs a build that was not needed).
const NOT_SOURCES = new Set(['node_modules', 'dist', 'data', 'docs', '.git']);

function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), info.mtimeMs);
}

const built = Math.min(...OUTPUTS.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const changed = Math.max(...readdirSync(root).filter((entry) => !NOT_SOURCES.has(entry)).map((entry) => newest(join(root, entry))));
if (changed > built) {
  process.stderr.write(built ? 'pimonitor: sources changed since the last build; building\n' : 'pimonitor: first start; building\n');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
