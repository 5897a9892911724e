// @engine-independent: opens no database (jest.config.js)
import { footprintReport, Tracker, valuesTaken } from '../bench/footprint-report.js';
import type { ProcSample } from '../bench/proc-tree.js';

// npm run bench:footprint's arithmetic (issue 30): per process, the server's sum, the nodes' mean.
const sample = (pid: number, role: string, rssMiB: number, cpuSeconds: number, writeMiB: number): ProcSample => ({
  pid, role, rssMiB, anonMiB: rssMiB - 40, fileMiB: 40, cpuSeconds, writeBytes: writeMiB * 1024 * 1024, writeCalls: 0,
});

test(
  'rows per process, the server summed at its peak, the nodes averaged; written per hour from the first sample',
  () => {
    const server = new Tracker();
    server.add([sample(1, 'up', 170, 0, 0), sample(2, 'ingest', 80, 0, 0)]);
    server.add([sample(1, 'up', 180, 36, 10), sample(2, 'ingest', 70, 18, 1)]);
    const nodes = new Tracker();
    nodes.add([sample(3, 'node', 50, 0, 0), sample(4, 'node', 52, 0, 0)]);
    nodes.add([sample(3, 'node', 51, 3.6, 2), sample(4, 'node', 53, 0, 0)]);
    const text = footprintReport({
      server, nodes, seconds: 3600, minutes: 60, nodeCount: 2, intervalMs: 10_000, storedValues: 1440, startupPeak: 700,
      exits: { up: 0, nodes: 0, stopMs: 10 },
    });
    expect(text).toContain('| up | 180.0 | 180.0 | 1.00 | 10.00 | 0.00 |');
    expect(text).toContain('| ingest | 70.0 | 80.0 | 0.50 | 1.00 | 0.00 |');
    expect(text).toContain('| **server, all processes** | 250.0 | 250.0 (sum at its peak) | 1.50 | 11.00 | 0.00 |');
    expect(text).toContain('| a node (the largest) | 53.0 | 53.0 | 0.00 | 0.00 | 0.00 |');
    expect(text).toContain('| a node (mean of 2) | 52.0 | 52.0 | 0.05 | 1.00 | 0.00 |');
    // Each process's own memory, and node's shared pages once: (180 - 40) + (70 - 40) + 40.
    expect(text).toContain('**210.0 MiB**');
    expect(text).toContain('700.0 MiB at the peak');
    expect(valuesTaken(3600, 10_000, 2)).toBe(1440);
  },
);
