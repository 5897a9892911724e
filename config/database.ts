import { MAX_PORT, POSTGRES_DEFAULT_MAX_CONNECTIONS, TIMEOUT_MS } from './bounds.js';

export const database = {
  database: {
    url: {
      doc: 'PostgreSQL to store readings in; empty runs the embedded PGlite database under DATA_DIR/pg.',
      format: 'url-or-empty',
      default: '',
      env: 'DATABASE_URL',
      sensitive: true,
    },
    poolSize: {
      doc: 'Connections each process keeps to PostgreSQL.',
      format: 'count',
      default: 4,
      env: 'DATABASE_POOL_SIZE',
      bounds: {
        min: 1,
        belowMin: 'a process needs a connection',
        max: POSTGRES_DEFAULT_MAX_CONNECTIONS,
        aboveMax: 'PostgreSQL allows 100 connections by default (max_connections), shared by every process',
      },
    },
    queryTimeoutMs: {
      doc: 'A database query with no answer for this long fails and is retried on a new connection (a server or '
        + 'network that went silent). Migrations have none.',
      format: 'duration-ms',
      default: 30_000,
      env: 'DATABASE_QUERY_TIMEOUT_MS',
      bounds: TIMEOUT_MS,
    },
    connectTimeoutMs: {
      doc: 'Opening a database connection fails after this long.',
      format: 'duration-ms',
      default: 5_000,
      env: 'DATABASE_CONNECT_TIMEOUT_MS',
      bounds: TIMEOUT_MS,
    },
    embedded: {
      host: {
        doc: 'Address the embedded database listens on for psql and ingest. It has no password: keep it on '
          + 'loopback.',
        format: String,
        default: '127.0.0.1',
        env: 'PGLITE_HOST',
      },
      port: {
        doc: 'Port the embedded database listens on (PostgreSQL wire protocol).',
        format: 'port',
        default: 5433,
        env: 'PGLITE_PORT',
        bounds: {
          min: 1,
          belowMin: 'the other processes connect to the embedded database at this port, so it cannot be picked at '
            + 'start',
          max: MAX_PORT,
          aboveMax: 'port numbers are 16 bits',
        },
      },
      maxConnections: {
        doc: 'Concurrent connections to the embedded database (ingest pool + psql sessions).',
        format: 'count',
        default: 16,
        env: 'PGLITE_MAX_CONNECTIONS',
        bounds: {
          min: 1,
          belowMin: 'ingest needs a connection',
          max: POSTGRES_DEFAULT_MAX_CONNECTIONS,
          aboveMax: 'PGlite serves every connection from one engine, a query at a time: past PostgreSQL\'s default of '
            + '100 they only wait',
        },
      },
      sharedBuffersMb: {
        doc: 'Page cache of the embedded database inside the server process, in MiB (PostgreSQL shared_buffers; '
          + 'PostgreSQL\'s default is 128). The operating system caches the files too, and PGlite\'s memory never '
          + 'shrinks once grown, so a small board keeps it small.',
        format: 'count',
        default: 8,
        env: 'PGLITE_SHARED_BUFFERS_MB',
        bounds: {
          min: 1,
          belowMin: 'PostgreSQL needs at least 128 kB of shared buffers',
          max: 1024,
          aboveMax: 'PGlite runs in 32-bit WebAssembly: its whole memory is at most 2 GiB',
        },
      },
      wasmTierUp: {
        doc: 'Compile the embedded database\'s busiest code a second time with V8\'s optimizing compiler: about 50 '
          + 'MiB more memory; batched inserts about 1.1 to 1.5 times faster, heavy queries up to 4 times. Off fits a '
          + '512 MB board; turn it on for many readings a second on a larger machine.',
        format: Boolean,
        default: false,
        env: 'PGLITE_TIER_UP',
      },
    },
  },
};
