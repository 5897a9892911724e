import { readdirSync, readFileSync } from 'node:fs';

/** What /proc says about one process: the figures `npm run bench:footprint` samples. */
export interface ProcSample {
  pid: number;
  /** The pimonitor subcommand (`up`, `ingest`, `web`, …) or the command name. */
  role: string;
  rssMiB: number;
  /** Of which the process's own memory (RssAnon), and pages of files such as the node binary (RssFile), shared. */
  anonMiB: number;
  fileMiB: number;
  /** CPU time used so far (user + system), in seconds. */
  cpuSeconds: number;
  /** Bytes this process caused to be written to storage so far (/proc/<pid>/io write_bytes). */
  writeBytes: number;
  /** Bytes passed to write() and friends so far, cached or not (/proc/<pid>/io wchar). */
  writeCalls: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid`, from /proc/<pid>/stat (every process, so it works without CONFIG_PROC_CHILDREN). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((candidate) => {
    const stat = read(`/proc/${candidate}/stat`);
    return stat !== undefined && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
  });
}

/** `pid` and every process below it. */
export function treeOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(treeOf)];
}

function roleOf(pid: number): string {
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
  const main = argv.findIndex((arg) => arg.endsWith('cli/main.js'));
  return main >= 0 ? (argv[main + 1] ?? 'pimonitor') : (read(`/proc/${pid}/comm`)?.trim() ?? String(pid));
}

const statusMiB = (status: string, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;

/** One sample of a process, or undefined when it has gone. */
export function sample(pid: number): ProcSample | undefined {
  const status = read(`/proc/${pid}/status`);
  const stat = read(`/proc/${pid}/stat`);
  const io = read(`/proc/${pid}/io`);
  // A process that has exited and not been waited for yet (a zombie) has no memory to report.
  if (status === undefined || stat === undefined || !/VmRSS:/.test(status)) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ioField = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io ?? '')?.[1] ?? NaN);
  return {
    pid,
    role: roleOf(pid),
    rssMiB: statusMiB(status, 'VmRSS'),
    anonMiB: statusMiB(status, 'RssAnon'),
    fileMiB: statusMiB(status, 'RssFile'),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
    writeBytes: ioField('write_bytes'),
    writeCalls: ioField('wchar'),
  };
}
