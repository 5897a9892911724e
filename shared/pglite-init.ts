/**
 * Creates a new embedded database directory, run as a child process of its own
 * (`node dist/shared/pglite-init.js <dir> <startParams JSON>`; see initializeInChild in embedded-db.ts).
 * PGlite 0.5 builds a new directory with a second WebAssembly module (initdb) and a tar of its result
 * in memory, about 500 MiB of memory it does not give back to the process that opens the database;
 * an exited process gives it all back.
 */
import { PGlite } from '@electric-sql/pglite';
import { tuneWasmCompiler } from './wasm-tier.js';

const [dataDir, startParams, tierUp] = process.argv.slice(2);
tuneWasmCompiler(tierUp === 'true');
const db = await PGlite.create(dataDir!, { startParams: JSON.parse(startParams!) as string[] });
await db.close();
