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
      format: 'positive-int',
      default: 4,
      env: 'DATABASE_POOL_SIZE',
    },
    queryTimeoutMs: {
      doc: 'A database query with no answer for this long fails and is retried on a new connection (a server or network that went silent). Migrations have none.',
      format: 'positive-int',
      default: 30_000,
      env: 'DATABASE_QUERY_TIMEOUT_MS',
    },
    connectTimeoutMs: {
      doc: 'Opening a database connection fails after this long.',
      format: 'positive-int',
      default: 5_000,
      env: 'DATABASE_CONNECT_TIMEOUT_MS',
    },
    embedded: {
      host: {
        doc: 'Address the embedded database listens on for psql and ingest. It has no password: keep it on loopback.',
        format: String,
        default: '127.0.0.1',
        env: 'PGLITE_HOST',
      },
      port: {
        doc: 'Port the embedded database listens on (PostgreSQL wire protocol).',
        format: 'port',
        default: 5433,
        env: 'PGLITE_PORT',
      },
      maxConnections: {
        doc: 'Concurrent connections to the embedded database (ingest pool + psql sessions).',
        format: 'positive-int',
        default: 16,
        env: 'PGLITE_MAX_CONNECTIONS',
      },
    },
  },
};
