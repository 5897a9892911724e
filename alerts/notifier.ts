import { EventEmitter } from 'node:events';
import { backoffMs } from '../shared/backoff.js';
import { Periodic } from '../shared/periodic.js';
import type { Db } from '../shared/db.js';
import type { NotificationEvent } from './format.js';
import type { Route } from './routes.js';
import type { Rule } from './rules.js';
import { sendGroup, type Transports } from './senders.js';
import { claimDue, markFailed, markSent, queueRepeats, withdrawSupersededClears, type DueNotification } from './store.js';

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
    this.loop = new Periodic(() => this.sendDue().then(() => {}, (err: unknown) => void this.emit('error', { err })), () => options.pollMs);
  }

  start(): void {
    this.loop.start();
  }

  /** Sends everything due now; resolves when each group is sent or has failed. */
  async sendDue(): Promise<number> {
    await queueRepeats(this.db, this.options.rules, this.options.routes, this.now());
    const claimed = await claimDue(this.db, this.now());
    // An MQTT clear of an alert that has fired again since, and been published, would clear the new firing.
    const clears = claimed.filter((n) => n.event.kind === 'resolved' && this.options.routes.find((r) => r.name === n.route)?.type === 'mqtt');
    const superseded = new Set(await withdrawSupersededClears(this.db, clears.map((n) => n.id), this.now()));
    const due = claimed.filter((n) => !superseded.has(String(n.id)));
    const groups = new Map<string, DueNotification[]>();
    for (const n of due) groups.set(`${n.route}\u0000${n.event.device}`, [...(groups.get(`${n.route}\u0000${n.event.device}`) ?? []), n]);
    await Promise.all([...groups.values()].map((group) => this.sendOne(group)));
    return due.length;
  }

  private async sendOne(group: DueNotification[]): Promise<void> {
    const routeName = group[0]!.route;
    const ids = group.map((n) => n.id);
    const route = this.options.routes.find((r) => r.name === routeName);
    const attempt = Math.max(...group.map((n) => n.attempts));
    try {
      if (!route) throw new Error(`route ${routeName} is no longer configured`);
      await sendGroup(route, group.map((n) => n.event as NotificationEvent), this.options.transports);
      await markSent(this.db, ids, this.now());
      this.emit('sent', { route: routeName, notifications: group.length });
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      await markFailed(this.db, ids, error, this.now() + backoffMs(attempt, { initialMs: 5_000, maxMs: 30 * 60_000 }), this.options.maxAttempts);
      this.emit('failed', { route: routeName, notifications: group.length, error, attempt, gaveUp: attempt >= this.options.maxAttempts });
    }
  }

  /** Stops polling and waits for a round in progress, at most `timeoutMs`; safe to call twice. */
  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    await this.loop.stop({ timeoutMs });
  }
}
