import { EventEmitter } from 'node:events';
import { backoffMs } from '../shared/backoff.js';
import { Periodic } from '../shared/periodic.js';
import type { Db } from '../shared/db.js';
import type { NotificationEvent } from './format.js';
import type { Route } from './routes.js';
import type { Rule } from './rules.js';
import { sendGroup, type Transports } from './senders.js';
import { claimDue, markFailed, markSent, withdrawSupersededClears, type DueNotification } from './delivery.js';
import { queueRepeats } from './repeats.js';

export interface NotifierOptions {
  /** The rules of the configuration: only alerts one of them owns are repeated. */
  rules: readonly Rule[];
  routes: readonly Route[];
  transports: Transports;
  /** How often the outbox is checked for due notifications. */
  pollMs: number;
  /** Attempts before a notification is given up (it stays in alert_notifications with its error). */
  maxAttempts: number;
  now?: () => number;
}

export interface NotifierEvents {
  sent: [{ route: string; notifications: number }];
  failed: [{ route: string; notifications: number; error: string; attempt: number; gaveUp: boolean }];
  error: [{ err: unknown }];
}

/**
 * Sends what the outbox holds when it falls due: one message per route and device (so a room's alerts
 * arrive together), retried with backoff, never blocking evaluation (it runs on its own timer). Alerts
 * still firing are sent again every route's repeatInterval.
 */
export class Notifier extends EventEmitter<NotifierEvents> {
  private readonly loop: Periodic;
  private readonly now: () => number;

  constructor(private readonly db: Db, private readonly options: NotifierOptions) {
    super();
    this.now = options.now ?? Date.now;
    const round = () => this.sendDue().then(() => {}, (err: unknown) => void this.emit('error', { err }));
    this.loop = new Periodic(round, () => options.pollMs);
  }

  start(): void {
    this.loop.start();
  }

  /** Sends everything due now; resolves when each group is sent or has failed. */
  async sendDue(): Promise<number> {
    await queueRepeats(this.db, this.options.rules, this.options.routes, this.now());
    const claimed = await claimDue(this.db, this.now());
    // An MQTT clear of an alert that has fired again since, and been published, would clear the new firing.
    const typeOf = (routeName: string) => this.options.routes.find((route) => route.name === routeName)?.type;
    const clears = claimed.filter((notification) =>
      notification.event.kind === 'resolved' && typeOf(notification.route) === 'mqtt');
    const clearIds = clears.map((notification) => notification.id);
    const superseded = new Set(await withdrawSupersededClears(this.db, clearIds, this.now()));
    const due = claimed.filter((notification) => !superseded.has(String(notification.id)));
    // One message per route and device.
    const groups = new Map<string, DueNotification[]>();
    for (const notification of due) {
      const groupKey = `${notification.route}\u0000${notification.event.device}`;
      groups.set(groupKey, [...(groups.get(groupKey) ?? []), notification]);
    }
    await Promise.all([...groups.values()].map((group) => this.sendOne(group)));
    return due.length;
  }

  private async sendOne(group: DueNotification[]): Promise<void> {
    const routeName = group[0]!.route;
    const ids = group.map((notification) => notification.id);
    const route = this.options.routes.find((candidate) => candidate.name === routeName);
    const attempt = Math.max(...group.map((notification) => notification.attempts));
    try {
      if (!route) throw new Error(`route ${routeName} is no longer configured`);
      const events = group.map((notification) => notification.event as NotificationEvent);
      await sendGroup(route, events, this.options.transports);
      await markSent(this.db, ids, this.now());
      this.emit('sent', { route: routeName, notifications: group.length });
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      const { maxAttempts } = this.options;
      const retryAt = this.now() + backoffMs(attempt, { initialMs: 5_000, maxMs: 30 * 60_000 });
      await markFailed(this.db, ids, error, retryAt, maxAttempts);
      const gaveUp = attempt >= maxAttempts;
      this.emit('failed', { route: routeName, notifications: group.length, error, attempt, gaveUp });
    }
  }

  /** Stops polling and waits for a round in progress, at most `timeoutMs`; safe to call twice. */
  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    await this.loop.stop({ timeoutMs });
  }
}
