import { unitOf } from '../shared/contract.js';
import { formatDuration } from '../shared/duration.js';
import { formatUnit, formatValue, renderMessage, type MessageValues } from './message.js';
import { selects, type Rule, type Severity } from './rules.js';
import { AT_ONCE, dueAt, observe, observeSilence, observeValue, tick, type AlertEvent, type AlertState, type Step, type Timing } from './transitions.js';

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
  event?: AlertEvent & { severity: Severity; message: string; labels: Readonly<Record<string, string>>; inhibited: boolean };
  /**
   * Its device is online (again) and it still fires: if its firing was inhibited and never notified,
   * it is notified now (issue 24, item 2: inhibition is per alert, not per event).
   */
  release?: true;
}

export interface SensorDiag {
  attempts: number;
  readings: number;
}

const keyString = (k: AlertKey) => [k.rule, k.device, k.sensor ?? '', k.metric ?? ''].join('\u0000');
/** Only threshold rules wait and keep firing; offline rules wait; stale and health rules act at once. */
const timingOf = (rule: Rule): Timing => ({
  forMs: rule.type === 'threshold' || rule.type === 'offline' ? rule.forMs : 0,
  keepFiringForMs: rule.type === 'threshold' ? rule.keepFiringForMs : 0,
});

/**
 * Every rule against every reading, status and diag message: holds each alert's state, and says what
 * changed. No I/O and no clock of its own: the worker passes the time, stores the changes and sends
 * the notifications. A device whose status is offline inhibits its own threshold, stale and sensor
 * alerts: their events are marked `inhibited`, so one dead node is one notification (its offline rule).
 */
export class AlertEngine {
  private readonly states = new Map<string, { key: AlertKey; rule: Rule; state: AlertState }>();
  private readonly lastSeen = new Map<string, { device: string; sensor: string; metric: string; at: number }>();
  private readonly offline = new Map<string, number>();
  private readonly diags = new Map<string, SensorDiag & { lastSuccessAt: number; rate: number }>();

  constructor(private readonly rules: readonly Rule[], private readonly startedAt: number) {}

  /** After a restart: the stored states, when each series was last heard from, which devices are offline. */
  restore(states: ReadonlyArray<{ key: AlertKey; state: AlertState }>, lastSeen: ReadonlyArray<{ device: string; sensor: string; metric: string; at: number }>, offline: ReadonlyArray<{ device: string; since: number }>): void {
    for (const { key, state } of states) {
      const rule = this.rules.find((r) => r.name === key.rule);
      if (rule) this.states.set(keyString(key), { key, rule, state });
    }
    for (const s of lastSeen) this.lastSeen.set([s.device, s.sensor, s.metric].join('/'), s);
    for (const o of offline) this.offline.set(o.device, o.since);
  }

  reading(device: string, sensor: string, metric: string, value: number, at: number): Change[] {
    const series = [device, sensor, metric];
    this.lastSeen.set(series.join('/'), { device, sensor, metric, at });
    const changes: Change[] = [];
    for (const rule of this.rules) {
      if (!selects(rule.select, series)) continue;
      const key = { rule: rule.name, device, sensor, metric };
      if (rule.type === 'threshold') changes.push(...this.apply(rule, key, (state) => observeValue(rule, state, value, at), value));
      if (rule.type === 'stale') changes.push(...this.apply(rule, key, (state) => observe(AT_ONCE, state, false, false, 0, at), 0));
    }
    return changes;
  }

  status(device: string, status: 'online' | 'offline', at: number): Change[] {
    if (status === 'offline') this.offline.set(device, at);
    else this.offline.delete(device);
    const changes: Change[] = [];
    for (const rule of this.rules) {
      if (rule.type !== 'offline' || !selects(rule.select, [device])) continue;
      const down = status === 'offline';
      changes.push(...this.apply(rule, { rule: rule.name, device }, (state) => observe(timingOf(rule), state, down, down, down ? 1 : 0, at), 0));
    }
    // Every online status, not only a change: after a restart the engine may not know the device was offline.
    if (status === 'online') {
      for (const { key, rule, state } of this.states.values()) {
        if (key.device === device && rule.type !== 'offline' && state.phase !== 'pending') changes.push({ key, state, release: true });
      }
    }
    return changes;
  }

  diag(device: string, sensor: string, diag: SensorDiag, at: number): Change[] {
    const id = `${device}/${sensor}`;
    const before = this.diags.get(id);
    // Counters restart from zero when the node restarts: then the new counts are the whole interval.
    const restarted = !before || diag.attempts < before.attempts || diag.readings < before.readings;
    const attempts = restarted ? diag.attempts : diag.attempts - before.attempts;
    const readings = restarted ? diag.readings : diag.readings - before.readings;
    const rate = attempts > 0 ? 1 - readings / attempts : before?.rate ?? 0;
    const lastSuccessAt = readings > 0 || !before ? at : before.lastSuccessAt;
    this.diags.set(id, { ...diag, lastSuccessAt, rate });
    return this.evaluateHealth(device, sensor, at);
  }

  /** Time passing: pending alerts may fire, recovering ones resolve, silent series go stale. */
  tick(at: number): Change[] {
    const changes: Change[] = [];
    for (const [id, entry] of [...this.states]) {
      if (entry.rule.type === 'stale' || entry.rule.type === 'sensorHealth') continue;
      const step = tick(timingOf(entry.rule), entry.state, at);
      if (step.state?.phase !== entry.state.phase) changes.push(this.commit(id, entry.rule, entry.key, step, entry.state.value));
    }
    for (const rule of this.rules) {
      if (rule.type !== 'stale') continue;
      for (const s of this.lastSeen.values()) {
        if (!selects(rule.select, [s.device, s.sensor, s.metric]) || this.offline.has(s.device)) continue;
        const silentFor = Math.round((at - s.at) / 1000);
        changes.push(...this.apply(rule, { rule: rule.name, device: s.device, sensor: s.sensor, metric: s.metric }, (state) => observeSilence(rule, state, s.at, this.startedAt, at), silentFor));
      }
    }
    for (const id of this.diags.keys()) {
      const [device, sensor] = id.split('/') as [string, string];
      changes.push(...this.evaluateHealth(device, sensor, at));
    }
    return changes;
  }

  /** The earliest time a pending or recovering alert falls due; stale and health rules need a regular tick too. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const { rule, state } of this.states.values()) {
      const due = dueAt(timingOf(rule), state);
      if (due !== null && (next === null || due < next)) next = due;
    }
    return next;
  }

  /** Every alert not inactive, for `pimonitor alerts list` and for storing. */
  active(): Array<{ key: AlertKey; state: AlertState }> {
    return [...this.states.values()].map(({ key, state }) => ({ key, state }));
  }

  private evaluateHealth(device: string, sensor: string, at: number): Change[] {
    const d = this.diags.get(`${device}/${sensor}`);
    if (!d) return [];
    const changes: Change[] = [];
    for (const rule of this.rules) {
      if (rule.type !== 'sensorHealth' || !selects(rule.select, [device, sensor])) continue;
      const failing = rule.maxFailureRate !== undefined && d.rate > rule.maxFailureRate;
      const silent = rule.noSuccessForMs !== undefined && at - d.lastSuccessAt >= rule.noSuccessForMs;
      const bad = failing || silent;
      changes.push(...this.apply(rule, { rule: rule.name, device, sensor }, (state) => observe(AT_ONCE, state, bad, bad, d.rate, at), d.rate));
    }
    return changes;
  }

  private apply(rule: Rule, key: AlertKey, step: (state: AlertState | null) => Step, value: number): Change[] {
    const id = keyString(key);
    const before = this.states.get(id)?.state ?? null;
    const next = step(before);
    const change = this.commit(id, rule, key, next, value);
    // A firing alert's new value is kept here, but is not a change worth storing or sending.
    return change.event || before?.phase !== next.state?.phase ? [change] : [];
  }

  private commit(id: string, rule: Rule, key: AlertKey, step: Step, value: number): Change {
    if (step.state) this.states.set(id, { key, rule, state: step.state });
    else this.states.delete(id);
    if (!step.event) return { key, state: step.state };
    const inhibited = rule.type !== 'offline' && this.offline.has(key.device);
    return { key, state: step.state, event: { ...step.event, severity: rule.severity, labels: rule.labels, inhibited, message: renderMessage(rule.message, this.values(rule, key, step.event, value)) } };
  }

  private values(rule: Rule, key: AlertKey, event: AlertEvent, value: number): MessageValues {
    const base: MessageValues = { rule: rule.name, severity: rule.severity, device: key.device, sensor: key.sensor ?? '', metric: key.metric ?? '', for: formatDuration(event.at - event.startedAt) };
    switch (rule.type) {
      case 'threshold': {
        const { lo, hi } = rule.start;
        const condition = lo !== undefined && hi !== undefined ? 'outside' : hi !== undefined ? 'above' : 'below';
        const threshold = condition === 'outside' ? `${formatValue(lo!)} to ${formatValue(hi!)}` : formatValue((hi ?? lo)!);
        return { ...base, value: formatValue(value), unit: formatUnit(unitOf(key.metric ?? '')), condition, threshold };
      }
      case 'stale':
        return { ...base, value: formatDuration(value * 1000), for: formatDuration(value * 1000) };
      case 'sensorHealth':
        return { ...base, value: `${Math.round(value * 100)} % of reads failed` };
      case 'offline':
        return base;
    }
  }
}
