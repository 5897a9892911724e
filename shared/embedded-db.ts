import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { explainListenError } from './listen.js';
import { acquirePidLock, ensureDir } from './pid-lock.js';
import { createInChild, hasDatabase } from './pglite-create.js';
import { tuneWasmCompiler } from './wasm-tier.js';

export interface EmbeddedDatabaseOptions {
  /** Directory of the database files, or 'memory://' for a throwaway database (tests). */
  dataDir: string;
  host: string;
  port: number;
  /** psql, ingest's pool and the operator's tools share PGlite through the socket's multiplexer. */
  maxConnections: number;
  /** PostgreSQL's shared_buffers, in MiB (config database.embedded.sharedBuffersMb). */
  sharedBuffersMb: number;
  /** V8's optimizing compiler for PGlite's code (config database.embedded.wasmTierUp; see wasm-tier.ts). */
  wasmTierUp: boolean;
  /** Told once before a new directory is created (a few seconds; longer on a small board). */
  onCreate?: () => void;
}

export interface EmbeddedDatabase {
  /** What pg clients connect to, e.g. postgres://postgres@127.0.0.1:5433/postgres */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const IN_MEMORY = 'memory://';

/**
 * PostgreSQL without installing PostgreSQL: PGlite (Postgres compiled to WebAssembly) served over the
 * wire protocol, so ingest uses the same pg-promise code as against a real server, and psql works.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const { dataDir, host, port, maxConnections, sharedBuffersMb, wasmTierUp } = options;
  const startParams = [...PGlite.defaultStartParams, ...memorySettings(sharedBuffersMb)];
  let releaseLock = () => {};
  if (dataDir !== IN_MEMORY) {
    ensureDir(dataDir);
    releaseLock = acquirePidLock(join(dataDir, '..', `${pathName(dataDir)}.lock`), `database directory ${dataDir}`);
  }
  let db: PGlite | undefined;
  try {
    if (dataDir !== IN_MEMORY && !hasDatabase(dataDir)) {
      options.onCreate?.();
      await createInChild(dataDir, startParams, wasmTierUp);
    }
    tuneWasmCompiler(wasmTierUp);
    db = await PGlite.create(dataDir, { startParams });
    const server = new PGLiteSocketServer({ db, host, port, maxConnections });
    try {
      await server.start();
    } catch (err) {
      throw explainListenError(err, port, host, 'PGLITE_PORT (database.embedded.port)');
    }
    const bound = Number(server.getServerConn().split(':').pop());
    const pglite = db;
    return {
      url: `postgres://postgres@${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/postgres`,
      port: bound,
      async stop() {
        await server.stop();
        await pglite.close();
        releaseLock();
      },
    };
  } catch (err) {
    await db?.close().catch(() => {});
    releaseLock();
    throw err;
  }
}

/**
 * PGlite's WebAssembly memory grows to what PostgreSQL touches and is never given back, so each cache
 * PostgreSQL sizes for a server is sized here for a board: shared_buffers from the configuration
 * (PostgreSQL's default is 128 MB); maintenance_work_mem (64 MB by default, taken by CLUSTER when a
 * month is compacted, and by index builds) at 16 MB.
 */
function memorySettings(sharedBuffersMb: number): string[] {
  return ['-c', `shared_buffers=${sharedBuffersMb}MB`, '-c', 'maintenance_work_mem=16MB'];
}

function pathName(dir: string): string {
  return dir.replace(/\/+$/, '').split('/').pop() || 'pg';
}
