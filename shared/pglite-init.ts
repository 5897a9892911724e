/**
 * `node dist/shared/pglite-init.js <dir> <startParams as JSON> <tierUp: true|false>`, forked by
 * createInChild (shared/pglite-create.ts): creates a new embedded database in <dir> and exits. It
 * exits as well when its parent goes, and says what failed in one line starting with SAYS.
 */
import { PGlite } from '@electric-sql/pglite';
import { SAYS } from './pglite-create.js';
import { tuneWasmCompiler } from './wasm-tier.js';

process.on('disconnect', () => process.exit(1));
const [dataDir, startParams, tierUp] = process.argv.slice(2);
try {
  tuneWasmCompiler(tierUp === 'true');
  const db = await PGlite.create(dataDir!, { startParams: JSON.parse(startParams!) as string[] });
  await db.close();
  process.exit(0);
} catch (err) {
  // PGlite's file errors are Emscripten's ErrnoError { errno }, with no message of their own.
  const { message, errno, code } = err as { message?: string; errno?: number; code?: string };
  const fileError = errno === undefined
    ? String(err)
    : `file system error (Emscripten errno ${errno}) under ${dataDir}`;
  process.stderr.write(`${SAYS}${message || code || fileError}\n`);
  process.exit(1);
}
