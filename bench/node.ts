/**
 * `npm run bench:node`: a node with 4 simulated sensors at 2 s, as on a Pi Zero, for 10 minutes
 * (--minutes to shorten), against a broker in this process. Prints peak and final RSS and CPU %
 * of one core. Budget: RSS ≤ 60 MB, CPU ≤ 2 %.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker } from '../broker/broker.js';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { serviceNodeFlags } from './service-flags.js';
import { createLogger } from '../shared/log.js';
import { freePortOnLoopback } from '../test/support/ports.js';
import { anonymousRssMiB, cpuMicros, rssMiB, spawnLogged } from '../test/support/processes.js';

// A node reads a few sensors a second: the interpreter is fast enough, and without the JIT and with
// a small young generation it fits a Pi Zero (see docs/benchmarks.md).
const NODE_FLAGS = serviceNodeFlags('pimonitor-node.service').join(' ');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    write: { type: 'string' },
    // What deploy/pimonitor-node.service runs node with: measure the production shape.
    'node-flags': { type: 'string', default: NODE_FLAGS },
  },
});
const minutes = Number(args.minutes);
const broker = await startBroker({
  host: '127.0.0.1', port: await freePortOnLoopback(), log: createLogger('broker', 'silent'),
});
const dir = mkdtempSync(join(tmpdir(), 'pimonitor-bench-node-'));
const config = join(dir, 'node.json');
writeFileSync(config, JSON.stringify({
  mqtt: { url: broker.url },
  node: {
    device: 'bench-node',
    clockSyncFile: '',
    sensors: ['living', 'kitchen', 'attic', 'garage'].map((name) => ({ type: 'simulated', name, intervalMs: 2000 })),
  },
}));
const flags = args['node-flags']!.split(' ').filter(Boolean);
const argv = [...flags, join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'), 'node', '--config', config];
const node = spawnLogged(process.execPath, argv, { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'info' });
await node.waitFor('connected to the broker');
const pid = node.child.pid!;
// The first 10 s are start-up (module loading, JIT); the budget is about the steady state.
await new Promise((resolve) => setTimeout(resolve, 10_000));
const cpuStart = cpuMicros(pid);
const started = Date.now();
let peak = rssMiB(pid);
let peakAnonymous = anonymousRssMiB(pid);
const samples: number[] = [];
const timer = setInterval(() => {
  const rss = rssMiB(pid);
  samples.push(rss);
  peak = Math.max(peak, rss);
  peakAnonymous = Math.max(peakAnonymous, anonymousRssMiB(pid));
  if (samples.length % 60 === 0) {
    process.stderr.write(`bench:node: ${Math.round((Date.now() - started) / 1000)} s, RSS ${rss.toFixed(1)} MiB\n`);
  }
}, 1000);
await new Promise((resolve) => setTimeout(resolve, minutes * 60_000));
clearInterval(timer);
const cpuPercent = (100 * (cpuMicros(pid) - cpuStart)) / ((Date.now() - started) * 1000);
const final = rssMiB(pid);
const finalAnonymous = anonymousRssMiB(pid);
node.child.kill('SIGTERM');
const { code } = await node.exited;
await broker.stop();
const flagsArgument = args['node-flags'] === NODE_FLAGS ? '' : ` --node-flags "${args['node-flags']}"`;
const report = [
  `### Sensor node: 4 simulated sensors at 2 s for ${minutes} min `
    + `(Node ${process.version}, flags: ${flags.join(' ') || 'none'})`,
  '',
  '| peak RSS MiB | final RSS MiB | of which allocated by the process (RssAnon), peak / final '
    + '| CPU % of one core | exit code |',
  '|--:|--:|--:|--:|--:|',
  `| ${peak.toFixed(1)} | ${final.toFixed(1)} | ${peakAnonymous.toFixed(1)} / ${finalAnonymous.toFixed(1)} `
    + `| ${cpuPercent.toFixed(2)} | ${code} |`,
  '',
  'Budget (a Pi Zero): RSS ≤ 60 MB, CPU ≤ 2 %. '
    + `Produced by \`npm run bench:node -- --minutes ${minutes}${flagsArgument}\`.`,
].join('\n');
console.log(`\n${report}\n`);
if (args.write) writeFileSync(args.write, `${report}\n`);
