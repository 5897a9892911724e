import type { AlertFacts } from './facts.js';
import { seriesIdOf } from './progress.js';
import type { Rule, Severity } from './rules.js';
import type { AlertEvent, AlertState, Step, Timing } from './transitions.js';

/** What the alert engine (alerts/engine.ts) takes and gives, and the small pure helpers it keys alerts with. */

/** What an alert is about: a series (device/sensor/metric), a sensor (device/sensor) or a device. */
export interface AlertKey {
  rule: string;
  device: string;
  sensor?: string;
  metric?: string;
}

/** One change for the worker to store (state) and, with an event, to record and notify. */
export interface Change {
  key: AlertKey;
  state: AlertState | null;
  event?: AlertEvent & {
    severity: Severity;
    labels: Readonly<Record<string, string>>;
    inhibited: boolean;
    /** What held, against what (issue 24, item 5): each reader words the event from these, in its units. */
    facts: AlertFacts;
    /** The event in words in the stored units (°C, UTC): alert_events.message, for SQL and the log. */
    message: string;
    /** A firing made by a reading of a backlog: held until its series has caught up (alerts/progress.ts). */
    catchingUp: boolean;
  };
  /**
   * Its device is online (again), or its series has caught up, and it still fires: if its firing was
   * held back (inhibited, or made by a backlog) and never notified, it is notified now (issue 24, items
   * 1 and 2: inhibition is per alert, not per event).
   */
  release?: true;
}

export interface SensorDiag {
  attempts: number;
  readings: number;
}

export const keyString = (k: AlertKey) => [k.rule, k.device, k.sensor ?? '', k.metric ?? ''].join('\u0000');
export const seriesOf = (k: AlertKey) =>
  k.metric === undefined ? null : seriesIdOf({ device: k.device, sensor: k.sensor ?? '', metric: k.metric });
/** Only threshold rules wait and keep firing; offline rules wait; stale and health rules act at once. */
export const timingOf = (rule: Rule): Timing => ({
  forMs: rule.type === 'threshold' || rule.type === 'offline' ? rule.forMs : 0,
  keepFiringForMs: rule.type === 'threshold' ? rule.keepFiringForMs : 0,
});

/** A threshold step remembers the reading time that made it. */
export const stamped = (step: Step, ts: number): Step =>
  step.state ? { ...step, state: { ...step.state, observedAt: ts } } : step;

