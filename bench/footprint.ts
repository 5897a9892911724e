/**
 * `npm run bench:footprint`: `pimonitor up` as deploy/pimonitor.service runs it, on embedded defaults
 * (PGlite, the embedded broker and its journal, ingest, the dashboard), with --nodes sensor nodes
 * (`pimonitor node` with one simulated DHT22, as deploy/pimonitor-node.service runs it) publishing every
 * --interval-ms, for --minutes after start-up. Prints RSS per process (at the end and its peak), the
 * server's total, CPU % of one core and bytes written per hour per process (/proc/<pid>/io); exits 1
 * when fewer values were stored than the nodes took. Issue 30's budget: the server ≤ 256 MiB in all,
 * a node ≤ 60 MiB.
 */
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, disconnect } from '../shared/db.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { freePortOnLoopback } from '../test/support/ports.js';
import { spawnLogged, type LoggedProcess } from '../test/support/processes.js';
import { benchSql } from './bench-sql.js';
import { footprintReport, Tracker, valuesTaken } from './footprint-report.js';
import { sample, treeOf } from './proc-tree.js';
import { serviceCommand } from './service-flags.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    nodes: { type: 'string', default: '10' },
    'interval-ms': { type: 'string', default: '10000' },
    write: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Where DATA_DIRs go (the system's temporary directory by default); it must be on a disk.
    dir: { type: 'string' },
    // Node flags for the server's processes (NODE_OPTIONS), to measure an alternative.
    'server-node-options': { type: 'string', default: '' },
  },
});
const minutes = Number(args.minutes);
const nodeCount = Number(args.nodes);
const intervalMs = Number(args['interval-ms']);
const MAIN = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
const SAMPLE_MS = 2000;
const storedValues = benchSql('footprint-stored.sql');

// DATA_DIR on a disk, not a tmpfs: /proc/<pid>/io counts only writes bound for storage.
const TMPFS_MAGIC = 0x01021994;
const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'pimonitor-bench-footprint-'));
if (statfsSync(dir).type === TMPFS_MAGIC) {
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`${args.dir ?? tmpdir()} is a tmpfs, where nothing is written to storage: `
    + 'give --dir a directory on a disk');
}
const [mqttPort, webPort, pglitePort, brokerHttpPort, ingestHttpPort] =
  await Promise.all([1, 2, 3, 4, 5].map(() => freePortOnLoopback()));
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env, LOG_LEVEL: 'info', DATABASE_URL: undefined, MQTT_URL: undefined, NODE_OPTIONS: undefined,
};
// As deploy/pimonitor.service runs it: its flags and environment (but DATA_DIR, the bench's own).
const service = serviceCommand('pimonitor.service');
const up = spawnLogged(process.execPath, [...service.flags, MAIN, 'up'], {
  ...service.env,
  ...baseEnv,
  NODE_OPTIONS: args['server-node-options'] || undefined,
  DATA_DIR: join(dir, 'server'),
  MQTT_PORT: String(mqttPort), WEB_PORT: String(webPort), PGLITE_PORT: String(pglitePort),
  BROKER_HTTP_PORT: String(brokerHttpPort), INGEST_HTTP_PORT: String(ingestHttpPort),
});
const nodes: LoggedProcess[] = [];
// Start-up, sampled often: the first start creates the database, the peak of a server's life.
const startup = new Tracker();
const startupTimer = setInterval(() => startup.add(treeOf(up.child.pid!).map(sample)), 100);
try {
  await up.waitFor('pipeline up', 180_000);
  await up.waitFor('subscribed to the broker', 60_000);
  clearInterval(startupTimer);
  const nodeService = serviceCommand('pimonitor-node.service');
  for (let i = 0; i < nodeCount; i += 1) {
    const nodeDir = join(dir, `node-${i}`);
    mkdirSync(nodeDir);
    writeFileSync(join(nodeDir, 'node.json'), JSON.stringify({
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` },
      node: {
        device: `footprint-${i}`, clockSyncFile: '', sensors: [{ type: 'simulated', name: 'dht22', intervalMs }],
      },
    }));
    const argv = [...nodeService.flags, MAIN, 'node', '--config', join(nodeDir, 'node.json')];
    nodes.push(spawnLogged(process.execPath, argv, { ...nodeService.env, ...baseEnv, DATA_DIR: nodeDir }));
  }
  await Promise.all(nodes.map((n) => n.waitFor('connected to the broker', 60_000)));
  process.stderr.write(`bench:footprint: pimonitor up and ${nodeCount} nodes running; measuring for ${minutes} min\n`);

  const server = new Tracker();
  const nodeTracker = new Tracker();
  const take = () => {
    server.add(treeOf(up.child.pid!).map(sample));
    nodeTracker.add(nodes.map((n) => sample(n.child.pid!)));
  };
  take();
  const started = Date.now();
  const dashboard = `http://127.0.0.1:${webPort}`;
  let tick = 0;
  const timer = setInterval(() => {
    take();
    tick += 1;
    // Someone looks at the dashboard once a minute: the page and its latest values.
    if (tick % Math.round(60_000 / SAMPLE_MS) === 0) {
      void fetch(`${dashboard}/`).then((r) => r.arrayBuffer()).catch(() => {});
      void fetch(`${dashboard}/api/latest`).then((r) => r.arrayBuffer()).catch(() => {});
      const done = Math.round((Date.now() - started) / 60_000);
      process.stderr.write(`bench:footprint: ${done} of ${minutes} min, server ${server.totalNow().toFixed(0)} MiB\n`);
    }
  }, SAMPLE_MS);
  await new Promise((resolve) => setTimeout(resolve, minutes * 60_000));
  clearInterval(timer);
  take();
  const seconds = (Date.now() - started) / 1000;

  const stopped = Date.now();
  for (const n of nodes) n.child.kill('SIGTERM');
  const nodeExits = await Promise.all(nodes.map((n) => n.exited));
  // What the nodes took is in the database once ingest has flushed (its interval is 1 s at most).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const db = connect(`postgres://postgres@127.0.0.1:${pglitePort}/postgres`, { poolSize: 1 });
  const stored = await db.one<{ n: number }>(storedValues)
    .finally(() => disconnect(db));
  up.child.kill('SIGTERM');
  const upExit = await up.exited;
  const report = footprintReport({
    server, nodes: nodeTracker, seconds, minutes, nodeCount, intervalMs,
    storedValues: stored.n, startupPeak: startup.peakTotal,
    exits: { up: upExit.code, nodes: nodeExits.filter((e) => e.code !== 0).length, stopMs: Date.now() - stopped },
  });
  console.log(`\n${report}\n`);
  if (args.write) writeFileSync(args.write, `${report}\n`);
  // Every reading the nodes took in the measured time must be stored (start-up and the last flush add some).
  const taken = valuesTaken(seconds, intervalMs, nodeCount);
  if (stored.n < taken) {
    console.error(`bench:footprint: ${stored.n} values stored, fewer than the ${taken} the nodes took`
      + ' in the measured time');
    process.exitCode = 1;
  }
} finally {
  clearInterval(startupTimer);
  for (const n of nodes) n.child.kill('SIGKILL');
  up.child.kill('SIGKILL');
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
