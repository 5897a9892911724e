import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MqttClient } from 'mqtt';
import { registerBrokerSwitches } from '../shared/mqtt-metrics.js';
import type { Notifier } from './notifier.js';
import type { AlertsWorker } from './worker.js';

/** Prometheus metrics of the alerts worker: transitions, deliveries and failures per route, what is active. */
export function createAlertsMetrics(worker: AlertsWorker, notifier: Notifier,
  brokerClient: () => MqttClient | undefined = () => undefined): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pimonitor_alerts_' });
  registerBrokerSwitches(registry, 'pimonitor_alerts_', brokerClient);
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const events = counter('pimonitor_alerts_events_total',
    'Alerts that fired or resolved, by kind and severity (inhibited ones included).', ['kind', 'severity']);
  const sent = counter('pimonitor_alerts_notifications_sent_total', 'Notifications delivered, by route.', ['route']);
  const failed = counter('pimonitor_alerts_notifications_failed_total',
    'Failed deliveries that will be retried, by route.', ['route']);
  const gaveUp = counter('pimonitor_alerts_notifications_given_up_total',
    'Notifications given up after ALERTS_MAX_ATTEMPTS, by route.', ['route']);
  const messages = counter('pimonitor_alerts_messages_total',
    'Messages evaluated against the rules (readings, statuses, diagnostics).');
  const saveFailures = counter('pimonitor_alerts_save_failures_total',
    'Failed writes of alert state, retried while messages wait.');
  new Counter({
    name: 'pimonitor_alerts_late_readings_total',
    help: 'Readings older than the newest one judged for their series: stored by ingest, but they change no alert.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(worker.lateReadings);
    },
  });
  new Gauge({
    name: 'pimonitor_alerts_active', help: 'Alerts that are pending, firing or recovering now.', labelNames: ['phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const phase of ['pending', 'firing', 'recovering']) {
        this.set({ phase }, worker.active.filter((alert) => alert.state.phase === phase).length);
      }
    },
  });
  worker.on('changed', ({ changes }) =>
    changes.forEach(({ event }) => event && events.inc({ kind: event.type, severity: event.severity })));
  worker.on('saveFailed', () => saveFailures.inc());
  worker.on('handled', () => messages.inc());
  notifier.on('sent', ({ route, notifications }) => sent.inc({ route }, notifications));
  notifier.on('failed', ({ route, notifications, gaveUp: given }) =>
    (given ? gaveUp : failed).inc({ route }, notifications));
  return registry;
}
