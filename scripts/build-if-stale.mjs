// `npm start`'s prestart: builds only when a source file is newer than the last build, so a start does
// not run the TypeScript compiler (about 500 MB at its peak, too much for a 512 MB board) every time.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The build's two steps each write one of these last: the server (tsc) and the dashboard (ui/build.mjs).
const OUTPUTS = ['dist/cli/main.js', 'dist/web/public/app.js'].map((file) => join(root, file));
// What the build reads: TypeScript, the dashboard's HTML and CSS, and the package and compiler settings,
// anywhere in the checkout but in what the build writes or never reads (a changed test only costs a build
// that was not needed). Logs, data directories and coverage reports are not sources.
const NOT_SOURCES = new Set(['node_modules', 'dist', 'data', 'docs', 'coverage', '.git']);
const SOURCE_FILE = /\.(ts|mts|mjs|json|html|css)$/;

function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return SOURCE_FILE.test(path) ? info.mtimeMs : 0;
  // Files only: a directory's own time changes whenever anything is written in it (a DATA_DIR, a log).
  const entries = readdirSync(path).filter((entry) => !NOT_SOURCES.has(entry));
  return entries.reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), 0);
}

const built = Math.min(...OUTPUTS.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const changed = newest(root);
if (changed > built) {
  const why = built ? 'sources changed since the last build' : 'first start';
  process.stderr.write(`pimonitor: ${why}; building\n`);
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
