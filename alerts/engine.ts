import { factsOf, type AlertFacts } from './facts.js';
import { sentenceOf, STORED_UNITS } from './words.js';
import { selects, type Rule } from './rules.js';
import { ProgressBook, seriesIdOf, type SeriesNewest } from './progress.js';
import { keyString, seriesOf, stamped, timingOf, type AlertKey, type Change, type SensorDiag } from './engine-parts.js';
import { AT_ONCE, dueAt, observe, observeSilence, observeValue, tick } from './transitions.js';
import type { AlertEvent, AlertState, Step } from './transitions.js';

/**
 * Every rule against every reading, status and diag message: holds each alert's state, and says what
 * changed. No I/O and no clock of its own: the worker passes the time, stores the changes and sends
 * the notifications. A device whose status is offline inhibits its own threshold, stale and sensor
 * alerts: their events are marked `inhibited`, so one dead node is one notification (its offline rule).
 *
 * Two clocks (issue 24, item 1): a threshold rule judges each series in the time of its readings, in
 * order; a reading no newer than the newest one evaluated changes nothing (`late` counts them). Stale,
 * offline and health rules, and timers once a series has no newer readings, use the clock. What a
 * backlog fires is held until its series catches up (alerts/progress.ts), then released.
 */
export type { SeriesNewest } from './progress.js';
export type { AlertKey, Change, SensorDiag } from './engine-parts.js';

export class AlertEngine {
  private readonly states = new Map<string, { key: AlertKey; rule: Rule; state: AlertState }>();
  private readonly lastSeen = new Map<string, { device: string; sensor: string; metric: string; at: number }>();
  private readonly offline = new Map<string, number>();
  private readonly diags = new Map<string, SensorDiag & { lastSuccessAt: number; rate: number }>();
  private readonly progress = new ProgressBook();
  /** Firings a backlog made: held until their series has caught up (alerts/progress.ts). */
  private readonly backlogHeld = new Set<string>();
  /** Firing states restored at start: whatever held them back before is released at the first chance. */
  private readonly restored = new Set<string>();
  /** Readings older than their series' newest: they reach storage, not the alerts. */
  lateReadings = 0;

  constructor(private readonly rules: readonly Rule[], private readonly startedAt: number) {}

  /** After a restart: the stored states, when each series was last heard from, which devices are offline. */
  restore(
    states: ReadonlyArray<{ key: AlertKey; state: AlertState }>,
    lastSeen: ReadonlyArray<{ device: string; sensor: string; metric: string; at: number }>,
    offline: ReadonlyArray<{ device: string; since: number }>,
    progress: ReadonlyArray<SeriesNewest> = [],
  ): void {
    // Where each series stood (alert_progress), so a reading older than that stays late after a restart.
    for (const { newest, ...series } of progress) this.progress.know(series, newest);
    for (const { key, state } of states) {
      const rule = this.rules.find((r) => r.name === key.rule);
      if (!rule) continue;
      this.states.set(keyString(key), { key, rule, state });
      // A firing held back before the restart is released at the first tick that finds it settled.
      if (state.phase !== 'pending') this.restored.add(keyString(key));
      if (key.metric !== undefined && state.observedAt !== undefined) {
        this.progress.know({ device: key.device, sensor: key.sensor ?? '', metric: key.metric }, state.observedAt);
      }
    }
    for (const s of lastSeen) this.lastSeen.set(seriesIdOf(s), s);
    for (const o of offline) this.offline.set(o.device, o.since);
  }

  /** A reading taken at `ts` (reading time), arriving at `now` (the clock; a live reading when absent). */
  reading(device: string, sensor: string, metric: string, value: number, taken: number, now = taken): Change[] {
    // Review (issue 24): a reading dated after its arrival (a node's clock ahead, within the skew ingest
    // allows) is judged when it arrived. Taken at its word it would make the series' newest a time
    // still to come, so every true reading until then would be late (the series blind for up to
    // INGEST_MAX_FUTURE_SKEW_MS, and after a restart too, through alert_progress), and its timers dated then.
    const ts = Math.min(taken, now);
    const series = [device, sensor, metric];
    const id = seriesIdOf({ device, sensor, metric });
    // Review (issue 24): only a series some threshold rule judges has a progress in reading time (stale
    // rules use the clock). Any other, such as each of a misbehaving device's made-up metric names, would
    // be kept in memory and in alert_progress forever, and written at the next tick, for nothing.
    const judged = this.rules.some((r) => r.type === 'threshold' && selects(r.select, series));
    const progress = judged ? this.progress.observe({ device, sensor, metric }, ts, now) : { live: true };
    if (!progress) {
      this.lateReadings++;
      return [];
    }
    // Silence is measured on the clock: a reading of any age that arrives shows the sensor reports.
    this.lastSeen.set(id, { device, sensor, metric, at: now });
    const changes: Change[] = [];
    for (const rule of this.rules) {
      if (!selects(rule.select, series)) continue;
      const key = { rule: rule.name, device, sensor, metric };
      if (rule.type === 'threshold') {
        const step = (state: AlertState | null) => stamped(observeValue(rule, state, value, ts), ts);
        changes.push(...this.apply(rule, key, step, value, !progress.live));
      }
      if (rule.type !== 'stale') continue;
      changes.push(...this.apply(rule, key, (state) => observe(AT_ONCE, state, false, false, 0, now), 0));
    }
    if (progress.live) changes.push(...this.release(now, (key) => seriesOf(key) === id));
    return changes;
  }

  status(device: string, status: 'online' | 'offline', at: number): Change[] {
    if (status === 'offline') this.offline.set(device, at);
    else this.offline.delete(device);
    const changes: Change[] = [];
    for (const rule of this.rules) {
      if (rule.type !== 'offline' || !selects(rule.select, [device])) continue;
      const down = status === 'offline';
      const step = (state: AlertState | null) => observe(timingOf(rule), state, down, down, down ? 1 : 0, at);
      changes.push(...this.apply(rule, { rule: rule.name, device }, step, 0));
    }
    // Every online status, not only a change: after a restart the engine may not know the device was offline.
    if (status === 'online') {
      for (const [id, { key, rule, state }] of this.states) {
        // One a backlog fired waits for its series to catch up (release, below or at a tick).
        if (key.device !== device || rule.type === 'offline') continue;
        if (state.phase === 'pending' || this.backlogHeld.has(id)) continue;
        this.restored.delete(id);
        changes.push({ key, state, release: true });
      }
      changes.push(...this.release(at, (key) => key.device === device));
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

  /**
   * Time passing: pending alerts may fire, recovering ones resolve, silent series go stale, held
   * firings of settled series are released. A series still catching up keeps its timers: its readings
   * will say. A timer that ran out in the past (after a backlog) is dated when it ran out.
   */
  tick(at: number): Change[] {
    const changes: Change[] = [];
    for (const [id, entry] of [...this.states]) {
      if (entry.rule.type === 'stale' || entry.rule.type === 'sensorHealth') continue;
      const series = seriesOf(entry.key);
      if (series !== null && this.progress.catchingUp(series, at)) continue;
      const timing = timingOf(entry.rule);
      const due = dueAt(timing, entry.state);
      // A series whose clock is behind (alerts/progress.ts) times its alerts on its own clock.
      if (due === null || due > at - (series === null ? 0 : this.progress.lagOf(series))) continue;
      const step = tick(timing, entry.state, Math.max(due, entry.state.observedAt ?? due));
      if (step.state?.phase === entry.state.phase) continue;
      changes.push(this.commit(id, entry.rule, entry.key, step, entry.state.value, false));
    }
    changes.push(...this.release(at, () => true));
    for (const rule of this.rules) {
      if (rule.type !== 'stale') continue;
      for (const s of this.lastSeen.values()) {
        if (!selects(rule.select, [s.device, s.sensor, s.metric]) || this.offline.has(s.device)) continue;
        const silentFor = Math.round((at - s.at) / 1000);
        const key = { rule: rule.name, device: s.device, sensor: s.sensor, metric: s.metric };
        const step = (state: AlertState | null) => observeSilence(rule, state, s.at, this.startedAt, at);
        changes.push(...this.apply(rule, key, step, silentFor));
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
    for (const { key, rule, state } of this.states.values()) {
      const timer = dueAt(timingOf(rule), state);
      // Review (issue 24): a timer of a series catching up waits for it to settle (tick skips it until
      // then). Due at its past due time, it made the worker tick back to back, a busy loop, until then.
      const series = seriesOf(key);
      const due =
        timer === null || series === null
          ? timer
          : Math.max(timer + this.progress.lagOf(series), this.progress.settlesAt(series));
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
      const step = (state: AlertState | null) => observe(AT_ONCE, state, bad, bad, d.rate, at);
      changes.push(...this.apply(rule, { rule: rule.name, device, sensor }, step, d.rate));
    }
    return changes;
  }

  /**
   * Firings held back by a backlog (or restored) of alerts `which` selects: once the series has caught
   * up the backlog's hold is over; if the device is online too, the firing is released (the store
   * notifies it if it was held back and never notified). An offline device's wait for its `online`.
   */
  private release(at: number, which: (key: AlertKey) => boolean): Change[] {
    const changes: Change[] = [];
    for (const id of new Set([...this.backlogHeld, ...this.restored])) {
      const entry = this.states.get(id);
      if (!entry) {
        this.backlogHeld.delete(id);
        this.restored.delete(id);
        continue;
      }
      const series = seriesOf(entry.key);
      if (!which(entry.key) || (series !== null && this.progress.catchingUp(series, at))) continue;
      this.backlogHeld.delete(id);
      if (this.offline.has(entry.key.device)) continue;
      this.restored.delete(id);
      if (entry.state.phase !== 'pending') changes.push({ key: entry.key, state: entry.state, release: true });
    }
    return changes;
  }

  /** Where the series judged since the last call stand, for alert_progress; each is then saved. */
  takeProgress(): SeriesNewest[] {
    return this.progress.take();
  }

  /** Rows takeProgress gave that could not be saved: saved with the next ones. */
  unsaveProgress(rows: readonly SeriesNewest[]): void {
    this.progress.untake(rows);
  }

  private apply(
    rule: Rule,
    key: AlertKey,
    step: (state: AlertState | null) => Step,
    value: number,
    catchingUp = false,
  ): Change[] {
    const id = keyString(key);
    const before = this.states.get(id)?.state ?? null;
    const next = step(before);
    const change = this.commit(id, rule, key, next, value, catchingUp);
    // A firing alert's new value is kept here, but is not a change worth storing or sending.
    return change.event || before?.phase !== next.state?.phase ? [change] : [];
  }

  private commit(id: string, rule: Rule, key: AlertKey, step: Step, value: number, catchingUp: boolean): Change {
    if (step.state) this.states.set(id, { key, rule, state: step.state });
    else this.states.delete(id);
    if (!step.state) {
      this.backlogHeld.delete(id);
      this.restored.delete(id);
    }
    if (!step.event) return { key, state: step.state };
    const inhibited = rule.type !== 'offline' && this.offline.has(key.device);
    const held = catchingUp && step.event.type === 'fired';
    if (held) this.backlogHeld.add(id);
    const event = { ...step.event, severity: rule.severity, labels: rule.labels, inhibited, catchingUp: held };
    return { key, state: step.state, event: { ...event, ...this.described(rule, key, step.event) } };
  }

  /** An event's facts, and its words in the stored units. */
  private described(rule: Rule, key: AlertKey, event: AlertEvent): { facts: AlertFacts; message: string } {
    const facts = factsOf(rule, key.metric ?? '');
    const row = {
      ...facts, kind: event.type, at: new Date(event.at), started_at: new Date(event.startedAt), rule: rule.name,
      severity: rule.severity, device: key.device, sensor: key.sensor ?? '', metric: key.metric ?? '',
      value: event.value, message: '',
    };
    return { facts, message: sentenceOf(row, STORED_UNITS) };
  }
}
