/**
 * Where each series stands in reading time (issue 24, item 1). Readings are judged in the time they
 * were taken, but a backlog (a node replaying its outbox, a worker catching up on what queued for it)
 * arrives in seconds for hours of readings. A series is *catching up* while its newest reading is old
 * (more than LIVE_LAG_MS behind the clock when it arrived) and more keep arriving (the last within
 * SETTLE_MS). While it catches up, its timers do not run on the clock and what it fires is held;
 * once it is live or settled, both go on. Pure.
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
}

/**
 * Whether a reading taken at `ts` is older than the newest one evaluated for its series. One of the
 * same time is not: readings without a `ts` of their own take their arrival, and two may share a millisecond.
 */
export function isLate(progress: SeriesProgress | undefined, ts: number): boolean {
  return progress !== undefined && ts < progress.newest;
}

export function advance(ts: number, now: number): SeriesProgress {
  return { newest: ts, arrivedAt: now, live: now - ts <= LIVE_LAG_MS };
}

/** Still receiving a backlog: its timers wait, its firings are held. A series not heard from is settled. */
export function catchingUp(progress: SeriesProgress | undefined, now: number): boolean {
  return progress !== undefined && !progress.live && now - progress.arrivedAt < SETTLE_MS;
}
