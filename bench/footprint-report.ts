import type { ProcSample } from './proc-tree.js';

interface Seen { first: ProcSample; last: ProcSample; peakRss: number }

/** Samples of a set of processes over time: first and last sample of each, its peak RSS, the peak of their sum. */
export class Tracker {
  readonly byPid = new Map<number, Seen>();
  private latest: ProcSample[] = [];
  peakTotal = 0;

  add(samples: ReadonlyArray<ProcSample | undefined>): void {
    this.latest = samples.filter((s): s is ProcSample => s !== undefined);
    for (const s of this.latest) {
      const seen = this.byPid.get(s.pid);
      if (seen) {
        seen.last = s;
        seen.peakRss = Math.max(seen.peakRss, s.rssMiB);
      } else {
        this.byPid.set(s.pid, { first: s, last: s, peakRss: s.rssMiB });
      }
    }
    this.peakTotal = Math.max(this.peakTotal, this.totalNow());
  }

  totalNow(): number {
    return this.latest.reduce((sum, s) => sum + s.rssMiB, 0);
  }

  /** What the processes need together: each one's own memory, and the shared file pages (node itself) once. */
  neededNow(): number {
    return this.latest.reduce((sum, s) => sum + s.anonMiB, 0) + Math.max(0, ...this.latest.map((s) => s.fileMiB));
  }
}

export interface FootprintRun {
  server: Tracker;
  nodes: Tracker;
  seconds: number;
  minutes: number;
  nodeCount: number;
  intervalMs: number;
  storedValues: number;
  /** The server's RSS in all at its peak while it started (a new DATA_DIR: the database is created). */
  startupPeak: number;
  exits: { up: number | null; nodes: number; stopMs: number };
}

const MIB = 1024 * 1024;

/** Values the nodes took in `seconds`: each simulated DHT22 reading is two (temperature, humidity). */
export const valuesTaken = (seconds: number, intervalMs: number, nodeCount: number): number =>
  Math.floor((seconds * 1000) / intervalMs) * nodeCount * 2;
const perHour = (bytes: number, seconds: number) => ((bytes / MIB) * 3600) / seconds;
const cpuPercent = (seen: Seen, seconds: number) => (100 * (seen.last.cpuSeconds - seen.first.cpuSeconds)) / seconds;

/** One table row's figures: RSS at the end and at the peak, CPU %, and MiB an hour written (two ways). */
interface Figures { end: number; peak: number; cpu: number; written: number; calls: number }

const figuresOf = (seen: Seen, seconds: number): Figures => ({
  end: seen.last.rssMiB,
  peak: seen.peakRss,
  cpu: cpuPercent(seen, seconds),
  written: perHour(seen.last.writeBytes - seen.first.writeBytes, seconds),
  calls: perHour(seen.last.writeCalls - seen.first.writeCalls, seconds),
});

/** The figures of several processes added up (the server), or averaged (the nodes). */
function combined(all: Figures[], how: 'sum' | 'mean', peak: number): Figures {
  const divisor = how === 'mean' ? Math.max(1, all.length) : 1;
  const total = (pick: (f: Figures) => number) => all.reduce((sum, f) => sum + pick(f), 0) / divisor;
  return {
    end: total((f) => f.end), peak, cpu: total((f) => f.cpu),
    written: total((f) => f.written), calls: total((f) => f.calls),
  };
}

const row = (name: string, f: Figures, peakNote = '') =>
  `| ${name} | ${f.end.toFixed(1)} | ${f.peak.toFixed(1)}${peakNote}`
  + ` | ${f.cpu.toFixed(2)} | ${f.written.toFixed(2)} | ${f.calls.toFixed(2)} |`;

/** The Markdown section `npm run bench:footprint` prints (and docs/benchmarks.md quotes). */
export function footprintReport(run: FootprintRun): string {
  const { server, nodes, seconds } = run;
  const serverSeen = [...server.byPid.values()];
  const nodeSeen = [...nodes.byPid.values()];
  const worstNode = nodeSeen.reduce<Seen | undefined>(
    (worst, seen) => (!worst || seen.peakRss > worst.peakRss ? seen : worst), undefined);
  const nodeFigures = nodeSeen.map((seen) => figuresOf(seen, seconds));
  const meanPeak = nodeFigures.reduce((sum, f) => sum + f.peak, 0) / Math.max(1, nodeFigures.length);
  const expected = valuesTaken(seconds, run.intervalMs, run.nodeCount);
  const bench = `npm run bench:footprint -- --minutes ${run.minutes} --nodes ${run.nodeCount}`
    + ` --interval-ms ${run.intervalMs}`;
  const serverFigures = combined(serverSeen.map((seen) => figuresOf(seen, seconds)), 'sum', server.peakTotal);
  return [
    `### Footprint: \`pimonitor up\` on embedded defaults, ${run.nodeCount} nodes every ${run.intervalMs / 1000} s,`
      + ` ${run.minutes} min (Node ${process.version})`,
    '',
    '| process | RSS MiB at the end | peak RSS MiB | CPU % of one core | written to storage MiB/h | write() MiB/h |',
    '|---|--:|--:|--:|--:|--:|',
    ...serverSeen.map((seen) => row(seen.last.role, figuresOf(seen, seconds))),
    row('**server, all processes**', serverFigures, ' (sum at its peak)'),
    ...(worstNode ? [row('a node (the largest)', figuresOf(worstNode, seconds))] : []),
    row(`a node (mean of ${nodeSeen.length})`, combined(nodeFigures, 'mean', meanPeak)),
    '',
    'Memory the board needs for the server (each process\'s own memory, RssAnon, plus one copy of the pages of node'
      + ` and its libraries the processes share): **${server.neededNow().toFixed(1)} MiB**.`
      + ' First start, on a new DATA_DIR (the database is created in a process of its own):'
      + ` ${run.startupPeak.toFixed(1)} MiB at the peak.`,
    `Values stored: ${run.storedValues} (about ${expected} taken in the measured ${Math.round(seconds)} s,`
      + ' plus start-up and the last flush).'
      + ` Stop: \`up\` exited ${run.exits.up}, ${run.exits.nodes} node(s) exited non-zero.`,
    `Budget (issue 30): the server ≤ 256 MiB in all, a node ≤ 60 MiB. Produced by \`${bench}\`.`,
  ].join('\n');
}
