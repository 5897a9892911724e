/**
 * A reference model of what the alerts promise (issue 24, item 6), written from the semantics,
 * not from alerts/engine.ts: threshold rules (above, clear, for, keepFiringFor) judged per series in
 * reading time, backlogs held until their series catches up, inhibition by an offline device, the
 * notification contract per route, restarts and rules removed at a restart. One series per device
 * (<device>/s/temperature); no stale, offline or health rules, no quiet hours, no repeats.
 *
 * It keeps its own outbox: what each route is to receive and when it falls due; `deliver()` hands
 * over what is due, as a sender running at the current clock would. Pure; no database, no I/O.
 */

/**
 * A reading this close to the clock when it arrives is live; a backlog has settled this long after its last
 * reading.
 */
export const MODEL_LIVE_MS = 60_000;
export const MODEL_SETTLE_MS = 5_000;
export const RULE_REMOVED_REASON = 'rule removed';

export type ModelSeverity = 'warning' | 'critical';

export interface ModelRule {
  name: string;
  /** Starts above this; carries on while above `clear` (≤ above). */
  above: number;
  clear: number;
  forMs: number;
  keepFiringForMs: number;
  severity: ModelSeverity;
}

export interface ModelRoute {
  name: string;
  mqtt: boolean;
  sendResolved: boolean;
  groupWaitMs: number;
  severities: ModelSeverity[];
}

/** One notification as a route receives it. `at`: the event's time; `firedAt` names the episode. */
export interface ModelMessage {
  kind: 'fired' | 'resolved';
  rule: string;
  device: string;
  at: number;
  startedAt: number;
  firedAt: number;
  pastEpisode: boolean;
  reason: string | null;
}

interface Alert {
  rule: ModelRule;
  device: string;
  phase: 'pending' | 'firing' | 'recovering';
  startedAt: number;
  firedAt?: number;
  recoveringSince?: number;
  /** Its device was offline when it fired. */
  firedInhibited?: boolean;
  /** A reading of a backlog (not live) fired it. */
  firedByBacklog?: boolean;
  /** Still waiting for its series to catch up. */
  backlogHold?: boolean;
  /** Its firing was handed to the routes (per route: the queued message, and whether it went out). */
  firing?: Map<string, Queued>;
}

interface Queued {
  route: string;
  message: ModelMessage;
  due: number;
  sent: boolean;
}

interface Series {
  newest: number;
  arrivedAt: number;
  live: boolean;
  /** How far behind the clock a live series runs; its timers run that much later. */
  lag: number;
}

export class AlertsModel {
  private readonly offline = new Set<string>();
  private readonly series = new Map<string, Series>();
  private readonly alerts = new Map<string, Alert>();
  private outbox: Queued[] = [];

  constructor(public now: number, private rules: ModelRule[], private readonly routes: readonly ModelRoute[]) {}

  /** Reading time of the newest reading evaluated for the device's series. */
  newest(device: string): number | undefined {
    return this.series.get(device)?.newest;
  }

  ruleSet(): readonly ModelRule[] {
    return this.rules;
  }

  /** Alerts not inactive, as `rule device phase`. */
  active(): string[] {
    return [...this.alerts.values()].map((a) => `${a.rule.name} ${a.device} ${a.phase}`).sort();
  }

  /** A reading of the device's series taken at `ts`, arriving now. */
  reading(device: string, value: number, ts: number): void {
    const s = this.series.get(device);
    if (s && ts < s.newest) return; // late: changes nothing
    // A clock behind, not a backlog: at least a second after the last one, and not running ahead of it by
    // more than half.
    const steady =
      s !== undefined &&
      s.arrivedAt > -Infinity &&
      this.now - s.arrivedAt >= 1000 &&
      ts - s.newest <= 1.5 * (this.now - s.arrivedAt);
    const live = this.now - ts <= MODEL_LIVE_MS || steady;
    this.series.set(device, { newest: ts, arrivedAt: this.now, live, lag: live ? Math.max(0, this.now - ts) : 0 });
    for (const rule of this.rules) {
      const key = `${rule.name}/${device}`;
      const a = this.alerts.get(key);
      if (!a) {
        if (value > rule.above) {
          const started: Alert = { rule, device, phase: 'pending', startedAt: ts };
          this.alerts.set(key, started);
          if (ts - started.startedAt >= rule.forMs) this.fire(started, ts, !live);
        }
        continue;
      }
      const holds = value > rule.clear;
      if (a.phase === 'pending') {
        if (!holds) this.alerts.delete(key);
        else if (ts - a.startedAt >= rule.forMs) this.fire(a, ts, !live);
      } else if (a.phase === 'firing') {
        if (!holds) {
          a.phase = 'recovering';
          a.recoveringSince = ts;
          if (rule.keepFiringForMs === 0) this.resolve(key, a, ts);
        }
      } else if (holds) {
        a.phase = 'firing';
        a.recoveringSince = undefined;
      } else if (ts - a.recoveringSince! >= rule.keepFiringForMs) {
        this.resolve(key, a, ts);
      }
    }
    if (live) this.release((a) => a.device === device);
  }

  status(device: string, online: boolean): void {
    if (online) {
      this.offline.delete(device);
      this.release((a) => a.device === device);
    } else {
      this.offline.add(device);
    }
  }

  /** The clock moves on by `ms`; timers of settled series run, dated when they ran out. */
  tick(ms: number): void {
    this.now += ms;
    for (const [key, a] of [...this.alerts]) {
      if (this.catchingUp(a.device)) continue;
      const seriesNow = this.now - (this.series.get(a.device)?.lag ?? 0);
      if (a.phase === 'pending' && a.startedAt + a.rule.forMs <= seriesNow)
        this.fire(a, a.startedAt + a.rule.forMs, false);
      else if (a.phase === 'recovering' && a.recoveringSince! + a.rule.keepFiringForMs <= seriesNow)
        this.resolve(key, a, a.recoveringSince! + a.rule.keepFiringForMs);
    }
    this.release(() => true);
  }

  /**
   * A restart after `ms`, with these rules: nothing is forgotten; the alerts of a rule no longer in
   * the set (removed, or renamed: same parameters, another name) are resolved as 'rule removed',
   * notified where their firing went out or was to go, if the route sends resolutions: a firing still
   * held and its resolution are one message, the resolution, as when the condition ends (issue 24,
   * item 2). A held firing to a route without resolutions is not sent after its rule is gone.
   */
  restart(ms: number, rules: ModelRule[]): void {
    this.now += ms;
    // Kept: each series' newest reading. Forgotten until its next reading: when it arrived and how late it runs.
    for (const [device, s] of this.series)
      this.series.set(device, { newest: s.newest, arrivedAt: -Infinity, live: true, lag: 0 });
    for (const [key, a] of [...this.alerts]) {
      if (rules.some((r) => r.name === a.rule.name)) continue;
      this.alerts.delete(key);
      if (!a.firing) continue;
      for (const q of a.firing.values()) {
        this.outbox = this.outbox.filter((o) => o !== q); // never sent: never will be
        const route = this.route(q.route);
        // An MQTT route clears its retained message for a rule that is gone, sendResolved or not.
        if (route.sendResolved || route.mqtt) {
          this.queue(route, { ...this.messageOf(a, 'resolved', this.now), reason: RULE_REMOVED_REASON });
        }
      }
    }
    this.rules = rules;
  }

  /** What falls due by now, per route, in no particular order. */
  deliver(): Map<string, ModelMessage[]> {
    const out = new Map<string, ModelMessage[]>();
    for (const q of this.outbox) {
      if (q.due > this.now) continue;
      q.sent = true;
      out.set(q.route, [...(out.get(q.route) ?? []), q.message]);
    }
    this.outbox = this.outbox.filter((q) => !q.sent);
    return out;
  }

  /** Nothing is waiting to be sent. */
  outboxEmpty(): boolean {
    return this.outbox.length === 0;
  }

  /**
   * The device's series is receiving a backlog: its newest reading was not live and arrived less than
   * MODEL_SETTLE_MS ago.
   */
  catchingUp(device: string): boolean {
    const s = this.series.get(device);
    return s !== undefined && !s.live && this.now - s.arrivedAt < MODEL_SETTLE_MS;
  }

  private route(name: string): ModelRoute {
    return this.routes.find((r) => r.name === name)!;
  }

  private fire(a: Alert, at: number, byBacklog: boolean): void {
    a.phase = 'firing';
    a.firedAt = at;
    a.firedInhibited = this.offline.has(a.device);
    a.firedByBacklog = byBacklog;
    a.backlogHold = byBacklog;
    if (!a.firedInhibited && !byBacklog) this.notifyFiring(a);
  }

  /** Held firings of these alerts go out once nothing holds them: device online, series caught up. */
  private release(which: (a: Alert) => boolean): void {
    for (const a of this.alerts.values()) {
      if (!which(a) || a.phase === 'pending' || a.firing) continue;
      if (a.backlogHold && !this.catchingUp(a.device)) a.backlogHold = false;
      if (!a.backlogHold && !this.offline.has(a.device)) this.notifyFiring(a);
    }
  }

  private notifyFiring(a: Alert): void {
    a.firing = new Map();
    for (const route of this.routes) {
      if (!route.severities.includes(a.rule.severity)) continue;
      a.firing.set(route.name, this.queue(route, this.messageOf(a, 'fired', a.firedAt!)));
    }
  }

  private resolve(key: string, a: Alert, at: number): void {
    this.alerts.delete(key);
    if (a.firing) {
      // Exactly one resolution where the firing went (or goes: then the resolution replaces it).
      for (const q of a.firing.values()) {
        const route = this.route(q.route);
        // An MQTT route without resolutions retains no firing of an alert already over.
        if (!route.sendResolved && !(route.mqtt && !q.sent)) continue;
        if (!q.sent) this.outbox = this.outbox.filter((o) => o !== q);
        if (!route.sendResolved) continue;
        this.queue(route, this.messageOf(a, 'resolved', at));
      }
    } else if (a.firedByBacklog && !a.firedInhibited) {
      // An episode a backlog fired and ended before anyone was told: told once, as a past episode.
      for (const route of this.routes) {
        if (route.mqtt || !route.severities.includes(a.rule.severity)) continue;
        this.queue(route, { ...this.messageOf(a, 'resolved', at), pastEpisode: true });
      }
    }
  }

  private messageOf(a: Alert, kind: 'fired' | 'resolved', at: number): ModelMessage {
    return {
      kind, rule: a.rule.name, device: a.device, at, startedAt: a.startedAt, firedAt: a.firedAt!, pastEpisode: false,
      reason: null,
    };
  }

  private queue(route: ModelRoute, message: ModelMessage): Queued {
    const q: Queued = { route: route.name, message, due: this.now + route.groupWaitMs, sent: false };
    this.outbox.push(q);
    return q;
  }
}
