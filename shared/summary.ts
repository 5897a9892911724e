/**
 * A repeated event told once, then summarised: the first occurrence is reported at once, later ones
 * at most once per `everyMs` with how many happened since, so a log on an SD card gets lines, not
 * floods. Pure: the caller passes the time and logs what `add` and `flush` return.
 */
export class Summary {
  private unreported = 0;
  private reportedAt: number | null = null;
  private counted = 0;

  constructor(private readonly everyMs: number) {}

  /** Counts `n` at `now`; returns how many to report now (0: stay quiet). */
  add(n: number, now: number): number {
    this.counted += n;
    this.unreported += n;
    if (this.reportedAt !== null && now - this.reportedAt < this.everyMs) return 0;
    this.reportedAt = now;
    const due = this.unreported;
    this.unreported = 0;
    return due;
  }

  /** How many were counted in this streak (since start, or the last endStreak). */
  get total(): number {
    return this.counted;
  }

  /**
   * The end of a streak: how many it counted and how many were not reported yet; the next occurrence is
   * reported at once.
   */
  endStreak(): { unreported: number; total: number } {
    const ended = { unreported: this.unreported, total: this.counted };
    this.unreported = 0;
    this.counted = 0;
    this.reportedAt = null;
    return ended;
  }
}
