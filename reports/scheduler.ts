import { EventEmitter } from 'node:events';
import { backoffMs } from '../shared/backoff.js';
import type { Db } from '../shared/db.js';
import { Periodic } from '../shared/periodic.js';
import { dueRun, nextRunAfter, periodOf } from './period.js';
import type { ReportSpec } from './spec.js';
import {
  claimDueRuns, lastScheduled, markDelivered, markFailed, nextRetryAt, recordRun, type RunRow,
} from './store.js';

export interface SchedulerOptions {
  reports: readonly ReportSpec[];
  timeZoneOf: (spec: ReportSpec) => string;
  /** Makes and delivers one run; rejects when it could not (it is retried). Returns what it did, for the log. */
  deliver: (spec: ReportSpec, scheduledFor: Date) => Promise<string>;
  maxAttempts: number;
  /**
   * The longest sleep: a clock that jumps (a Pi without a battery clock setting its time at boot) is
   * noticed this soon.
   */
  maxSleepMs?: number;
  /** How long an attempt holds its run before another scheduler may take it. */
  leaseMs?: number;
  now?: () => number;
  random?: () => number;
}

export interface SchedulerEvents {
  delivered: [{ report: string; scheduledFor: Date; attempt: number; what: string }];
  failed: [{ report: string; scheduledFor: Date; attempt: number; error: string; retryAt: Date | null }];
  missed: [{ report: string; scheduledFor: Date; missed: number }];
  /** A round failed (the database away); `streak` counts failures in a row, and the next try is in 30 s. */
  error: [{ err: unknown; streak: number }];
}

const RETRY = { initialMs: 60_000, maxMs: 30 * 60_000 };
/** After a failed round (the database away), the next one. */
const ROUND_RETRY_MS = 30_000;

/**
 * Runs each report when its cron schedule says, in its time zone, with the run history in report_runs.
 * `step(now)` does everything due at `now` (record due runs, attempt them, schedule retries); start()
 * calls it on a timer whose delay is the time to the next run or retry. Tests drive step() on a virtual
 * clock. A new report's first run is its first scheduled time after the scheduler started; runs missed
 * while it was down are sent once, as the latest of them.
 */
export class ReportScheduler extends EventEmitter<SchedulerEvents> {
  private readonly startedAt: Date;
  private readonly now: () => number;
  private readonly loop: Periodic;
  private wakeAt = 0;
  private failures = 0;

  constructor(private readonly db: Db, private readonly options: SchedulerOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.startedAt = new Date(this.now());
    this.loop = new Periodic(
      () => this.step(new Date(this.now())).then(
        () => void (this.failures = 0),
        (err: unknown) => {
          this.wakeAt = this.now() + ROUND_RETRY_MS;
          this.emit('error', { err, streak: ++this.failures });
        },
      ),
      () => Math.max(1000, Math.min(options.maxSleepMs ?? 60_000, this.wakeAt - this.now())),
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(o: { timeoutMs?: number } = {}): Promise<void> {
    await this.loop.stop(o);
  }

  /** One round at `now`; returns when the next one is due. */
  async step(now: Date): Promise<Date> {
    let wake = Infinity;
    const { reports } = this.options;
    for (const spec of reports) {
      const tz = this.options.timeZoneOf(spec);
      const last = await lastScheduled(this.db, spec.name);
      const due = dueRun(spec.schedule, tz, last ?? this.startedAt, now);
      if (due) {
        if (due.missed > 0) {
          this.emit('missed', { report: spec.name, scheduledFor: due.scheduledFor, missed: due.missed });
        }
        await recordRun(this.db, spec.name, due.scheduledFor, periodOf(spec.period, due.scheduledFor, tz), now);
      }
      const runs = await claimDueRuns(this.db, spec.name, now, this.options.leaseMs ?? 15 * 60_000);
      for (const run of runs) await this.attempt(spec, run, now);
      const next = nextRunAfter(spec.schedule, tz, due?.scheduledFor ?? last ?? this.startedAt);
      if (next) wake = Math.min(wake, next.getTime());
    }
    const retry = reports.length ? await nextRetryAt(this.db, reports.map((r) => r.name)) : null;
    if (retry) wake = Math.min(wake, retry.getTime());
    this.wakeAt = Number.isFinite(wake) ? wake : now.getTime() + 86_400_000;
    return new Date(this.wakeAt);
  }

  private async attempt(spec: ReportSpec, run: RunRow, now: Date): Promise<void> {
    try {
      const what = await this.options.deliver(spec, run.scheduled_for);
      await markDelivered(this.db, run, new Date(this.now()));
      this.emit('delivered', { report: spec.name, scheduledFor: run.scheduled_for, attempt: run.attempts, what });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const retryAt = run.attempts >= this.options.maxAttempts
        ? null : new Date(now.getTime() + backoffMs(run.attempts, RETRY, this.options.random));
      await markFailed(this.db, run, error, retryAt, now);
      this.emit('failed', {
        report: spec.name, scheduledFor: run.scheduled_for, attempt: run.attempts, error, retryAt,
      });
    }
  }
}
