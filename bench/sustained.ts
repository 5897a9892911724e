/**
 * Paced load for minutes: the soak (`--soak-seconds`) and the sustained ceiling (`--sustained`,
 * issue 28 item 2), both on the load generator's paced rate (test/support/load.ts, `ratePerSecond`).
 */
import { freePortOnLoopback } from '../test/support/ports.js';
import { closeAll, publishLoad } from '../test/support/load.js';
import type { Db } from '../shared/db.js';
import { createBenchDatabase, p99ByWindow, resetData, rssOf, summarise, waitForCommits } from './measure.js';
import { startPipeline, type PipelineName, type RunningPipeline } from './pipelines.js';
import { fmt } from './format.js';

type Role = 'broker' | 'ingest';
export interface Sample { s: number; broker: number; ingest: number }
export interface PacedOutcome {
  offered: number;
  acked: number;
  /** Messages acknowledged per second of publishing: below the offered rate when the broker pushes back. */
  achieved: number;
  summary: Awaited<ReturnType<typeof summarise>>;
  samples: Sample[];
}

/**
 * `rate` messages/s for `seconds` from `publishers` connections, then until every acknowledged
 * message is committed; RSS of broker and ingest every 5 s (`onSample` sees each).
 */
export async function paced(
  pipeline: RunningPipeline,
  db: Db,
  options: { rate: number; seconds: number; publishers: number; prefix: string; onSample?: (s: Sample) => void },
): Promise<PacedOutcome> {
  const { rate, seconds, publishers, prefix, onSample } = options;
  const started = Date.now();
  const samples: Sample[] = [];
  const sample = () => {
    const s = {
      s: (Date.now() - started) / 1000, broker: rssOf(pipeline.pids.broker!), ingest: rssOf(pipeline.pids.ingest!),
    };
    samples.push(s);
    return s;
  };
  const timer = setInterval(() => onSample?.(sample()), 5000);
  try {
    let publishing = started;
    const load = await publishLoad({
      url: pipeline.mqttUrl, publishers, total: rate * seconds, ratePerSecond: rate, devicePrefix: prefix,
      onConnected: () => (publishing = Date.now()),
    });
    const achieved = load.acked / ((Date.now() - publishing) / 1000);
    await waitForCommits(db, load.acked);
    sample();
    const summary = await summarise(db, started, load.acked);
    await closeAll(load.clients);
    return { offered: rate, acked: load.acked, achieved, summary, samples };
  } finally {
    clearInterval(timer);
  }
}

/** Mean RSS over [from, to) seconds of a run. */
const mean = (samples: Sample[], from: number, to: number, role: Role) => {
  const xs = samples.filter((x) => x.s >= from && x.s < to).map((x) => x[role]);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};

/**
 * Ours at a fixed rate for a long time: the first minute is warm-up, the second is compared with the
 * last; p99 by 5-minute window shows whether commits fall behind. `why` says where the rate came from.
 */
export async function soak(
  serverUrl: string,
  rate: number,
  seconds: number,
  publishers: number,
  progress: (text: string) => void,
  why = '',
): Promise<string> {
  const database = await createBenchDatabase(serverUrl);
  const pipeline = await startPipeline('ours', database.url, await freePortOnLoopback(), progress);
  try {
    const onSample = (x: Sample) => {
      if (Math.round(x.s) % 60 < 5 && x.s >= 55) progress(`soak ${Math.round(x.s)} s: ingest RSS ${fmt(x.ingest)} MiB`);
    };
    const { acked, summary, samples } =
      await paced(pipeline, database.db, { rate, seconds, publishers, prefix: 'soak', onSample });
    const end = samples.at(-1)!.s;
    const windows = await p99ByWindow(database.db, 300);
    const row = (role: Role) => {
      const early = mean(samples, 60, 120, role);
      const late = mean(samples, end - 60, end + 1, role);
      const peak = Math.max(...samples.map((x) => x[role]));
      return `| ${role} | ${fmt(early)} | ${fmt(late)} | ${fmt(peak)} | ${fmt((100 * (late - early)) / early, 1)} % |`;
    };
    return [
      `### Soak: ours at ${fmt(rate)} messages/s for ${seconds} s (${fmt(acked)} messages, lost ${summary.lost}, `
        + `duplicated ${summary.duplicated}, p99 ${fmt(summary.p99Ms)} ms)`,
      '',
      ...(why ? [why, ''] : []),
      '| process | mean RSS MiB, 2nd minute | mean RSS MiB, last minute | peak RSS MiB | change |',
      '|---|--:|--:|--:|--:|',
      row('broker'),
      row('ingest'),
      '',
      '| publish window (s from the first) | messages | p99 ms |',
      '|---|--:|--:|',
      ...windows.map((w) => `| ${w.from}–${w.from + 300} | ${fmt(w.messages)} | ${fmt(w.p99Ms)} |`),
    ].join('\n');
  } finally {
    await pipeline.stop();
    // A database still in use at the end (a process slow to let go) must not throw away what was measured.
    await database.drop()
      .catch((err: Error) => progress(`soak: could not drop its database (${err.message}); drop it by hand`));
  }
}

export interface SustainedOptions {
  serverUrl: string;
  publishers: number;
  probeSeconds: number;
  sustainedSeconds: number;
  probes: number;
  /** Confirmations at most: after a failed one, the next is at `stepDown` × its rate. */
  confirms: number;
  stepDown: number;
  /** First probe, as a fraction of the burst ceiling. */
  startFraction: number;
  p99LimitMs: number;
  progress: (text: string) => void;
}

export interface SustainedResult {
  name: PipelineName;
  burst: number;
  /** The rate last confirmed (held or not), 0 if no probe held. */
  rate: number;
  confirm?: PacedOutcome;
  held: boolean;
}

const STEP = 100;
/** Held: every message acknowledged and committed once, p99 within the limit, the offered rate kept. */
const verdict = (r: PacedOutcome, seconds: number, p99LimitMs: number) =>
  r.acked === r.offered * seconds && r.summary.lost === 0 && r.summary.duplicated === 0
  && r.summary.p99Ms <= p99LimitMs && r.achieved >= 0.98 * r.offered;

/**
 * Short probes on one pipeline (the same processes and database, emptied after each probe), bisecting
 * between the highest rate that held and the lowest that failed (untried: the burst ceiling), then the
 * rate found held for `sustainedSeconds` on fresh processes and a fresh database.
 */
export async function sustainedCeiling(
  name: PipelineName,
  burst: number,
  o: SustainedOptions,
): Promise<SustainedResult> {
  let lo = 0;
  let hi = Math.floor(burst / STEP) * STEP;
  let rate = Math.max(STEP, Math.round((burst * o.startFraction) / STEP) * STEP);
  {
    const database = await createBenchDatabase(o.serverUrl);
    const pipeline = await startPipeline(name, database.url, await freePortOnLoopback(), o.progress);
    try {
      for (let i = 1; i <= o.probes; i++) {
        const r = await paced(pipeline, database.db, {
          rate, seconds: o.probeSeconds, publishers: o.publishers, prefix: `probe${i}r${rate}`,
        });
        await resetData(database.db);
        const ok = verdict(r, o.probeSeconds, o.p99LimitMs);
        o.progress(`sustained ${name} probe ${i}/${o.probes}: ${fmt(rate)} msg/s offered for ${o.probeSeconds} s, `
          + `achieved ${fmt(r.achieved)}, p99 ${fmt(r.summary.p99Ms)} ms, lost ${r.summary.lost} `
          + `→ ${ok ? 'held' : 'failed'}`);
        if (ok) lo = rate;
        else hi = rate - STEP;
        rate = Math.ceil((lo + hi) / 2 / STEP) * STEP;
        if (rate <= lo || rate > hi) break;
      }
    } finally {
      await pipeline.stop();
      await database.drop()
        .catch((err: Error) => o.progress(`could not drop a bench database (${err.message}); drop it by hand`));
    }
  }
  if (lo === 0) {
    o.progress(`sustained ${name}: no probed rate held`);
    return { name, burst, rate: 0, held: false };
  }
  const onSample = (x: Sample) => {
    if (Math.round(x.s) % 30 < 5 && x.s >= 25) {
      o.progress(`sustained ${name} ${Math.round(x.s)} s: RSS broker ${fmt(x.broker)} / ingest ${fmt(x.ingest)} MiB`);
    }
  };
  // Short probes can hold a rate whose backlog only grows over minutes: a failed confirmation steps down.
  let result: SustainedResult = { name, burst, rate: lo, held: false };
  const stepDown = (rate: number) => Math.round((rate * o.stepDown) / STEP) * STEP;
  for (let c = 1, rate = lo; c <= o.confirms && rate >= STEP; c++, rate = stepDown(rate)) {
    o.progress(`sustained ${name}: confirming ${fmt(rate)} msg/s for ${o.sustainedSeconds} s (${c}/${o.confirms})`);
    const database = await createBenchDatabase(o.serverUrl);
    const pipeline = await startPipeline(name, database.url, await freePortOnLoopback(), o.progress);
    try {
      const confirm = await paced(pipeline, database.db, {
        rate, seconds: o.sustainedSeconds, publishers: o.publishers, prefix: `sustained${c}`, onSample,
      });
      const ok = verdict(confirm, o.sustainedSeconds, o.p99LimitMs);
      o.progress(`sustained ${name}: ${fmt(rate)} msg/s for ${o.sustainedSeconds} s, `
        + `achieved ${fmt(confirm.achieved)}, p99 ${fmt(confirm.summary.p99Ms)} ms, lost ${confirm.summary.lost}, `
        + `duplicated ${confirm.summary.duplicated} → ${ok ? 'held' : 'failed'}`);
      result = { name, burst, rate, confirm, held: ok };
      if (ok) break;
    } finally {
      await pipeline.stop();
      await database.drop()
        .catch((err: Error) => o.progress(`could not drop a bench database (${err.message}); drop it by hand`));
    }
  }
  return result;
}

/** Memory at the start (after warm-up) and end of a run: the soak's windows, scaled to shorter runs. */
function memory(samples: Sample[], seconds: number, role: Role): string {
  const warm = Math.min(60, seconds / 5);
  const end = samples.at(-1)?.s ?? seconds;
  return `${fmt(mean(samples, warm, 2 * warm, role))} → ${fmt(mean(samples, end - warm, end + 1, role))}`;
}

export function sustainedTable(rows: SustainedResult[], labels: Record<string, string>, o: SustainedOptions): string {
  const lines = [
    `### Sustained ceiling: the highest paced rate held for ${o.sustainedSeconds} s `
      + `with p99 ≤ ${fmt(o.p99LimitMs)} ms, lost 0, achieved ≥ 98 % of offered `
      + `(${o.probes} probes of ${o.probeSeconds} s from ${fmt(100 * o.startFraction)} % `
      + "of the same run's burst ceiling, bisecting up to it; "
      + `a failed confirmation retried at ${fmt(100 * o.stepDown)} %, ${o.confirms} at most)`,
    '',
    '| pipeline | burst ceiling msg/s | sustained msg/s | sustained ÷ burst | achieved msg/s | p99 ms '
      + '| RSS MiB broker, start → end | RSS MiB ingest, start → end | lost | duplicated | held |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const c = r.confirm;
    const sustainedRate = r.held ? fmt(r.rate) : r.rate ? `< ${fmt(r.rate)} (not held)` : 'no probe held';
    const cells = [
      labels[r.name] ?? r.name,
      fmt(r.burst),
      sustainedRate,
      r.held ? fmt(r.rate / r.burst, 2) + '×' : '–',
      c ? fmt(c.achieved) : '–',
      c ? fmt(c.summary.p99Ms) : '–',
      c ? memory(c.samples, o.sustainedSeconds, 'broker') : '–',
      c ? memory(c.samples, o.sustainedSeconds, 'ingest') : '–',
      c ? c.summary.lost : '–',
      c ? c.summary.duplicated : '–',
      r.held ? 'yes' : 'no',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
