/**
 * Runs `round` at once and then `delayMs()` after each round ends (never two at a time), until stopped.
 * `round` must not reject; stop({timeoutMs}) waits for a round in progress at most that long, and is
 * safe to call twice. For the background jobs: storage maintenance, the alerts notifier and ticks.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly round: () => Promise<void>, private readonly delayMs: () => number) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const run = () => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(run, this.delayMs());
      });
    };
    this.timer = setTimeout(run, 0);
  }

  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) {
      const timeout = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([this.running, timeout]);
    }
  }
}
