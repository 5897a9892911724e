/**
 * The peer people actually run instead of an ingest worker: a Node-RED flow, MQTT in → function →
 * a PostgreSQL node from the npm registry. Node-RED is the project's dev dependency (its tests import
 * our flows into it); the PostgreSQL node is installed by the benchmark into a cache folder on first
 * use, never into the project.
 *
 * The node: `node-red-contrib-postgres-multi` 0.2.0, the one of the three PostgreSQL nodes this
 * registry serves that loads in Node-RED 1+ (`node-red-contrib-postgres` and `-re-postgres` use
 * `pg.connect`, removed in pg 7). It pins pg 7.4, which never connects on Node 14 and later (the
 * promise neither resolves nor rejects: brianc/node-postgres#2226, "pg ≤ 8.2.0 doesn't support
 * Node 14"), so the cache's package.json overrides pg to 8, as anyone running it today must.
 * `node-red-contrib-postgresql` (the maintained node) answers 404 from the registry this machine reaches.
 *
 * The table is the one a hobbyist makes for a long format: no catalogue of series, an index to query
 * by, no unique key (so a redelivered message would be stored twice: the benchmark counts duplicates).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgp } from '../shared/db.js';
import { spawnLogged, type LoggedProcess } from '../test/support/processes.js';
import { benchSql } from './bench-sql.js';

const NODE = 'node-red-contrib-postgres-multi';
const NODE_VERSION = '0.2.0';
const PG_OVERRIDE = '^8.13.0';

export type NodeRedVariant = 'per-message' | 'batch';

/** Messages a batch collects before one INSERT, and the longest the first of them waits. */
export const NODE_RED_BATCH = { messages: 500, seconds: 1 };

/** The head of the peer's INSERT (sql/bench/nodered-insert-head.sql); its function node adds the rows. */
const STATEMENT_HEAD: string = pgp.as.format(benchSql('nodered-insert-head.sql'));

/** BENCH_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /pimonitor/bench-node-red. */
export function nodeRedCacheDir(): string {
  const base = process.env.BENCH_CACHE_DIR
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pimonitor');
  return join(base, 'bench-node-red');
}

/** Installs the PostgreSQL node into the cache folder unless it is there; returns its node_modules. */
export function ensureNodeRedPostgres(progress: (text: string) => void): string {
  const dir = nodeRedCacheDir();
  const modules = join(dir, 'node_modules');
  if (existsSync(join(modules, NODE, 'package.json'))) return modules;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'pimonitor-bench-node-red',
    private: true,
    description: 'Installed by `npm run bench` for its Node-RED peer; safe to delete.',
    dependencies: { [NODE]: NODE_VERSION },
    overrides: { pg: PG_OVERRIDE },
  }, null, 2));
  progress(`installing ${NODE}@${NODE_VERSION} (pg overridden to ${PG_OVERRIDE}) into ${dir}, first use only`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev'], {
    cwd: dir, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000,
  });
  return modules;
}

// Function nodes, as a user writes them: the topic's device and sensor, one row per numeric field.
const TO_ROWS = `
const [, device, sensor] = msg.topic.split('/');
const p = msg.payload;
if (typeof p !== 'object' || p === null) return null;
const ts = new Date(typeof p.ts === 'number' ? p.ts : Date.now()).toISOString();
msg.payload = Object.keys(p).filter((k) => k !== 'ts' && typeof p[k] === 'number')
  .map((metric) => ({ ts, device, sensor, metric, value: p[metric] }));
return msg;`;

// The node's README form: msg.payload is a list of queries. Parameters are positional (`params: [1]`,
// its second example): its named form (`$name` with an object) rewrites the SQL once per name, which
// at a batch's 10,000 parameters cost 2 ms of CPU per message (measured), so the peer is not held to it.
const TO_STATEMENT = `
const rows = [].concat(...(Array.isArray(msg.payload[0]) ? msg.payload : [msg.payload]));
if (rows.length === 0) return null;
const params = [];
const values = rows.map((r) => {
  const n = params.push(r.ts, r.device, r.sensor, r.metric, r.value);
  return '($' + (n - 4) + ', $' + (n - 3) + ', $' + (n - 2) + ', $' + (n - 1) + ', $' + n + ')';
});
msg.payload = [{ query: ${JSON.stringify(STATEMENT_HEAD + ' ')} + values.join(', '), params }];
return msg;`;

/** The flow: per message, or with a core join node collecting NODE_RED_BATCH messages first. */
export function nodeRedFlow(
  variant: NodeRedVariant,
  mqttPort: number,
  database: URL,
): { flow: object[]; credentials: object } {
  const tab = { id: 'bench', type: 'tab', label: 'pimonitor bench' };
  const broker = {
    id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort),
    clientid: `bench-node-red-${variant}`, autoConnect: true, usetls: false, protocolVersion: 4, keepalive: 60,
    cleansession: true,
  };
  const db = {
    id: 'db', type: 'postgresdb', hostname: database.hostname, port: database.port || '5432',
    db: database.pathname.slice(1), ssl: false,
  };
  const node = (id: string, extra: object, wires: string[]) =>
    ({ id, z: 'bench', x: 100, y: 100, wires: [wires], ...extra });
  const input = node('in', {
    type: 'mqtt in', topic: 'home/+/+', qos: '1', datatype: 'json', broker: 'broker', nl: false, rap: true, rh: 0,
    inputs: 0,
  }, ['rows']);
  const rows = node('rows', { type: 'function', name: 'to rows', func: TO_ROWS, outputs: 1 },
    [variant === 'batch' ? 'join' : 'insert']);
  const join = node('join', {
    type: 'join', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic',
    joiner: '\\n', joinerType: 'str', accumulate: false, timeout: String(NODE_RED_BATCH.seconds),
    count: String(NODE_RED_BATCH.messages), reduceRight: false,
  }, ['insert']);
  const insert = node('insert', { type: 'function', name: 'to INSERT', func: TO_STATEMENT, outputs: 1 }, ['pg']);
  const pg = node('pg', { type: 'postgres', postgresdb: 'db', name: '', output: false, outputs: 0 }, []);
  const flow = [tab, broker, db, input, rows, ...(variant === 'batch' ? [join] : []), insert, pg];
  const user = decodeURIComponent(database.username || 'postgres');
  return { flow, credentials: { db: { user, password: decodeURIComponent(database.password) } } };
}

/** Starts Node-RED with the flow in a fresh user folder whose node_modules is the cache's. */
export async function startNodeRed(
  variant: NodeRedVariant,
  mqttPort: number,
  databaseUrl: string,
  uiPort: number,
  env: NodeJS.ProcessEnv,
  progress: (text: string) => void,
): Promise<LoggedProcess> {
  const modules = ensureNodeRedPostgres(progress);
  const userDir = mkdtempSync(join(tmpdir(), 'pimonitor-bench-node-red-'));
  symlinkSync(modules, join(userDir, 'node_modules'), 'dir');
  const { flow, credentials } = nodeRedFlow(variant, mqttPort, new URL(databaseUrl));
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  writeFileSync(join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
    flowFile: 'flows.json', credentialSecret: false, uiHost: '127.0.0.1', uiPort,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false }, telemetry: { enabled: false }, editorTheme: { tours: false },
  })};\n`);
  const redJs = join(createRequire(import.meta.url).resolve('node-red/package.json'), '..', 'red.js');
  const argv = [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')];
  const red = spawnLogged(process.execPath, argv, { ...env, NODE_RED_ENABLE_SAFE_MODE: 'false' });
  try {
    await red.waitFor('Started flows', 60_000);
    await red.waitFor('Connected to broker', 20_000);
  } catch (err) {
    red.child.kill('SIGKILL');
    throw err;
  }
  return red;
}
