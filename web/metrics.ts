import { Gauge, Registry } from 'prom-client';
import { registerBrokerSwitches } from '../shared/mqtt-metrics.js';
import { registerTotalCounter } from '../shared/total-counter.js';
import type { WebAuth } from './auth.js';
import type { LiveFeed } from './live.js';

/**
 * Prometheus metrics of the dashboard's doors, read from its counters at scrape time: logins checked
 * and refused, event streams opened, replaced and dropped, diag not kept. Served at /metrics behind the
 * same doors as the API (this machine straight, any other with a reader account). Its own registry.
 */
export function createWebMetrics(auth: WebAuth, live?: LiveFeed): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) => registerTotalCounter(registry, name, help, read);
  counter('pimonitor_web_password_checks_total', 'Passwords checked (scrypt), at most a few at a time.',
    () => auth.stats.verifications);
  counter('pimonitor_web_login_failures_total', 'Logins refused for a wrong user name or password.',
    () => auth.stats.failures);
  counter('pimonitor_web_logins_throttled_total',
    'Logins answered 429 or 503 without a check: a client backing off after failures, or the checks busy.',
    () => auth.stats.refusedBackoff + auth.stats.refusedBusy);
  if (live) {
    registerBrokerSwitches(registry, 'pimonitor_web_', () => live.brokerClient);
    counter('pimonitor_web_event_streams_opened_total', 'Event streams (/api/events) opened.',
      () => live.streams.stats.opened);
    counter('pimonitor_web_event_streams_replaced_total',
      'Event streams closed to admit a newer one (over the per-address or total cap).',
      () => live.streams.stats.replaced);
    counter('pimonitor_web_event_streams_dropped_slow_total',
      'Event streams dropped because their reader stopped reading.', () => live.streams.stats.droppedSlow);
    counter('pimonitor_web_diag_dropped_total',
      'Diag messages not kept: more sensors per device, or devices, than the dashboard keeps.', () => live.diagDropped);
    new Gauge({ name: 'pimonitor_web_event_streams', help: 'Event streams open now.', registers: [registry], collect() {
      this.set(live.streams.size);
    } });
  }
  return registry;
}
