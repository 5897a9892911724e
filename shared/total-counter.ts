import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter read at scrape time from a running total something already keeps (a worker's
 * stats, a client's failovers), so nothing is counted twice on the hot path. It goes up by what the
 * total grew since the last scrape; a total that starts again from 0 (a new client) adds nothing until
 * it grows past the last value seen.
 */
export function registerTotalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      this.inc(Math.max(0, now - seen));
      seen = now;
    },
  });
}
