/**
 * Where each series stands in reading time (issue 24, item 1). Readings are judged in the time they
 * were taken, but a backlog (a node replaying its outbox, a worker catching up on what queued for it)
 * arrives in seconds for hours of readings. A series is *catching up* while its newest reading is old
 * (more than LIVE_LAG_MS behind the clock when it arrived) and more keep arriving (the last within
 * SETTLE_MS). While it catches up, its timers do not run on the clock and what it fires is held;
 * once it is live or settled, both go on. Pure.
 *
 * A node whose clock is behind is not a backlog (review of issue 24): its readings arrive as fast as
 * they are taken, each as late as the last. Such a series is live, and its timers run on its own
 * clock, the wall clock less its lag, so `for` and `keepFiringFor` keep their length.
 */

/** A reading this close to the clock when it arrives is live (a node's clock may be off a little). */
export const LIVE_LAG_MS = 60_000;
/** A series whose readings stopped arriving this long ago has delivered its backlog. */
export const SETTLE_MS = 5_000;

export interface SeriesProgress {
  /** Reading time of the newest reading evaluated. */
  newest: number;
  /** Clock time it arrived. */
  arrivedAt: number;
  /** It was live when it arrived. */
  live: boolean;
  /** How far the series' clock is behind the wall clock: a live series' lag (0 for one not live). */
  lag: number;
}

/** A backlog arrives within milliseconds; readings this far apart on the clock, or more, may be a clock behind. */
export const STEADY_MIN_GAP_MS = 1000;

/**
 * Whether a reading taken at `ts` is older than the newest one evaluated for its series. One of the
 * same time is not: readings without a `ts` of their own take their arrival, and two may share a millisecond.
 */
export function isLate(progress: SeriesProgress | undefined, ts: number): boolean {
  return progress !== undefined && ts < progress.newest;
}

export function advance(prev: SeriesProgress | undefined, ts: number, now: number): SeriesProgress {
  const lag = Math.max(0, now - ts);
  // A backlog arrives much faster than it was taken; a clock behind delivers at the pace it takes.
  const gap = prev === undefined ? 0 : now - prev.arrivedAt;
  const steady = prev !== undefined && prev.arrivedAt > -Infinity && gap >= STEADY_MIN_GAP_MS
    && ts - prev.newest <= 1.5 * gap;
  const live = lag <= LIVE_LAG_MS || steady;
  return { newest: ts, arrivedAt: now, live, lag: live ? lag : 0 };
}

/** Still receiving a backlog: its timers wait, its firings are held. A series not heard from is settled. */
export function catchingUp(progress: SeriesProgress | undefined, now: number): boolean {
  return progress !== undefined && !progress.live && now - progress.arrivedAt < SETTLE_MS;
}

/** How far a series has been judged, in reading time (alert_progress). */
export interface SeriesNewest {
  device: string;
  sensor: string;
  metric: string;
  newest: number;
}

/** The one key of a series, for every map the engine and this book keep by series. */
export const seriesIdOf = (series: { device: string; sensor: string; metric: string }) =>
  [series.device, series.sensor, series.metric].join('/');

/** Every series' progress, and which moved since it was last saved (alert_progress). */
export class ProgressBook {
  private readonly bySeries = new Map<string, SeriesProgress & { series: Omit<SeriesNewest, 'newest'> }>();
  private readonly unsaved = new Set<string>();

  /** What a restart knows: a series no older than `newest`, not catching up. */
  know(series: Omit<SeriesNewest, 'newest'>, newest: number): void {
    const id = seriesIdOf(series);
    const known = this.bySeries.get(id)?.newest;
    if (known === undefined || newest > known) {
      this.bySeries.set(id, { newest, arrivedAt: -Infinity, live: true, lag: 0, series });
    }
  }

  /** A reading of `series` taken at `ts`, arriving at `now`: its new progress, or null when it is late. */
  observe(series: Omit<SeriesNewest, 'newest'>, ts: number, now: number): SeriesProgress | null {
    const id = seriesIdOf(series);
    const prev = this.bySeries.get(id);
    if (isLate(prev, ts)) return null;
    const progress = advance(prev, ts, now);
    this.bySeries.set(id, { ...progress, series });
    this.unsaved.add(id);
    return progress;
  }

  catchingUp(id: string, at: number): boolean {
    return catchingUp(this.bySeries.get(id), at);
  }

  /** How far the series' own clock is behind the wall clock (0: unknown, or not live). */
  lagOf(id: string): number {
    return this.bySeries.get(id)?.lag ?? 0;
  }

  /** When a series not live settles, if no more of its backlog arrives (-Infinity: it is live). */
  settlesAt(id: string): number {
    const p = this.bySeries.get(id);
    return p && !p.live ? p.arrivedAt + SETTLE_MS : -Infinity;
  }

  /** The series that moved since the last call, to save; each is then taken as saved. */
  take(): SeriesNewest[] {
    const rows = [...this.unsaved].flatMap((id) => {
      const p = this.bySeries.get(id);
      return p ? [{ ...p.series, newest: p.newest }] : [];
    });
    this.unsaved.clear();
    return rows;
  }

  /** Rows `take` gave that could not be saved: saved with the next ones. */
  untake(rows: readonly SeriesNewest[]): void {
    for (const r of rows) this.unsaved.add(seriesIdOf(r));
  }
}
