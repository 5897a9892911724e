/**
 * `npm run bench:profile -- DIR [--top N]`: sums the V8 CPU profiles that `BENCH_CPU_PROF_DIR=DIR npm
 * run bench` wrote, per process role (broker, ingest), by self time of each function and by package,
 * so a change can be judged by where the time goes before and after it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const { values, positionals } = parseArgs({
  allowPositionals: true, options: { top: { type: 'string', default: '25' } },
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: npm run bench:profile -- DIR [--top N]\n');
  process.exit(2);
}

/** Where a function lives: a package under node_modules, our own file, node itself, or V8. */
function packageOf(url: string): string {
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/dist/')) return `pimonitor ${url.slice(url.indexOf('/dist/') + 6).split('/')[0]}/`;
  if (url.startsWith('node:')) return 'node';
  return url ? 'other' : '(v8: gc, program, idle)';
}

const byRole = new Map<string, { fn: Map<string, number>; pkg: Map<string, number>; total: number }>();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const role = file.split('-')[0]!;
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const r = byRole.get(role) ?? { fn: new Map(), pkg: new Map(), total: 0 };
  byRole.set(role, r);
  p.samples.forEach((id, i) => {
    const n = nodes.get(id)!;
    const us = p.timeDeltas[i] ?? 0;
    if (n.callFrame.functionName === '(idle)') return;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    r.fn.set(name, (r.fn.get(name) ?? 0) + us);
    r.pkg.set(packageOf(url), (r.pkg.get(packageOf(url)) ?? 0) + us);
    r.total += us;
  });
}

const top = Number(values.top);
for (const [role, r] of byRole) {
  const pct = (us: number) => `${((100 * us) / r.total).toFixed(1)} %`;
  console.log(`\n### ${role}: ${(r.total / 1e6).toFixed(2)} s of CPU (not idle)\n\n| package | share |\n|---|--:|`);
  for (const [pkg, us] of [...r.pkg].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`| ${pkg} | ${pct(us)} |`);
  console.log(`\n| function (self time) | share |\n|---|--:|`);
  for (const [fn, us] of [...r.fn].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${fn.replace(/\|/g, '\\|')} | ${pct(us)} |`);
  }
}
