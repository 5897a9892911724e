import mqtt from 'mqtt';
import { Notifier } from '../../alerts/notifier.js';
import { parseRoutes, type Route } from '../../alerts/routes.js';
import { parseRules, type Rule } from '../../alerts/rules.js';
import type { OrphanOutcome } from '../../alerts/resolve-orphans.js';
import { AlertsWorker } from '../../alerts/worker.js';
import { useAlertsRig } from './alerts-rig.js';
import { eventually } from './net.js';
import { parse } from './parsed.js';

/**
 * What the rule-change tests (test/alerts-rule-changes.test.ts, test/alerts-rule-changes-held.test.ts)
 * share: the alerts rig, runs of `pimonitor alerts` on the test's clock, and what the routes got.
 */

export const REPEAT_MS = 6_000;
export type Hook = {
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
};
export const hot = { name: 'hot', type: 'threshold', select: '+/+/temperature', above: 30 };
// Still configured across every restart: it shows that repeats do go out on this clock.
export const damp = { name: 'damp', type: 'threshold', select: '+/+/humidity', above: 70 };

/** The test's clock: read by the worker and notifier, moved by the test and by passRepeatIntervals. */
export interface TestClock {
  now(): number;
  set(ms: number): void;
}

/** Sets up the rig for the file's tests; returns what they drive it with. */
export function useRuleChangeAlerts(clock: TestClock) {
  const rig = useAlertsRig<Hook>();
  const { hooks } = rig;
  const routes = (): Route[] => parse(parseRoutes([
    { name: 'hook', type: 'webhook', url: rig.hookUrl('/'), groupWait: 0, repeatInterval: REPEAT_MS },
    { name: 'ha', type: 'mqtt', groupWait: 0, repeatInterval: REPEAT_MS },
  ]));

  /** The worker and notifier of one run of `pimonitor alerts` with these rules. */
  async function startAlerts(rawRules: unknown[], clientId: string, routesOf = routes) {
    const rules: Rule[] = parse(parseRules(rawRules));
    const worker = new AlertsWorker(rig.t.db, {
      rules, routes: routesOf(), tickMs: 20, now: clock.now,
      connect: () => mqtt.connect(rig.broker.url, { clientId, clean: false }),
    });
    const notifier = new Notifier(rig.t.db, {
      rules, routes: routesOf(), pollMs: 20, maxAttempts: 5, now: clock.now,
      transports: {
        timeoutMs: 5000,
        publish: async (topic, payload, retain) =>
          void (await rig.publisher.publishAsync(topic, payload, { qos: 1, retain })),
      },
    });
    const orphans: OrphanOutcome[] = [];
    worker.on('orphansResolved', ({ outcomes }) => orphans.push(...outcomes));
    const handled = new Map<string, number>();
    worker.on('handled', ({ topic }) => handled.set(topic, (handled.get(topic) ?? 0) + 1));
    await worker.start();
    /** Publishes a message and waits until the worker has evaluated it. */
    const send = async (topic: string, payload: string, retain = false) => {
      const before = handled.get(topic) ?? 0;
      await rig.node.publishAsync(topic, payload, { qos: 1, retain });
      await eventually(`${topic} handled`, async () => ((handled.get(topic) ?? 0) > before ? true : undefined));
    };
    return {
      worker, notifier, orphans, send,
      read: (device: string, values: Record<string, number>) => send(`home/${device}/dht22`, JSON.stringify(values)),
      stop: () => worker.stop({ timeoutMs: 2000 }),
    };
  }

  /** Every alert the webhook receiver got for this device, as `rule status[ reason]`. */
  const received = (device: string) => hooks.flatMap((h) => h.alerts).filter((a) => a.labels.device === device)
    .map((a) => [a.labels.alertname, a.status, a.annotations.reason].filter(Boolean).join(' '));

  /** The retained messages under pimonitor/alerts/ for this device, as the broker holds them. */
  async function retained(device: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const { persistence } = rig.broker.aedes as unknown as {
      persistence: { createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }> };
    };
    for await (const packet of persistence.createRetainedStream('pimonitor/alerts/#')) {
      if (packet.topic.split('/')[3] === device && packet.payload.length > 0)
        out[packet.topic] = JSON.parse(packet.payload.toString()).rule;
    }
    return out;
  }

  /** Runs the notifier's round after letting the clock pass several repeat intervals. */
  async function passRepeatIntervals(notifier: Notifier, intervals: number) {
    for (let i = 0; i < intervals; i++) {
      clock.set(clock.now() + REPEAT_MS + 1000);
      await notifier.sendDue();
    }
  }

  const stateRules = async (device: string) =>
    rig.t.db.map(
      'SELECT rule FROM alert_state WHERE device = $1 ORDER BY rule', [device], (r: { rule: string }) => r.rule,
    );

  return { rig, hooks, startAlerts, received, retained, passRepeatIntervals, stateRules };
}
