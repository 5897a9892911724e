/**
 * Whether a route is owed a resolution (issue 24, item 2): "if we sent a notification, we will send a
 * resolved notification" (prometheus/alertmanager issues 226 and 2754). Decided from the record of what
 * was sent (alert_notifications of the alert's firing event), never from whether the resolution itself
 * happened while the device was offline: inhibition holds back firings, it does not cancel the
 * resolution of one that went out. Pure; the store reads the rows and does what it says.
 */

/** What became of one firing notification (first or repeat) to a route. */
export type FiringDelivery =
  /** Marked sent. */
  | 'sent'
  /** Handed to a sender and never marked, with no error: a crash while sending may have sent it. */
  | 'claimed'
  /** Waiting for its due time (group wait, quiet hours) or for a retry after a failure. */
  | 'held'
  /** Given up (too many failures, or withdrawn): it never went out. */
  | 'gaveUp';

/** The columns of alert_notifications that say what became of a row. */
export interface NotificationRecord {
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
  gave_up_at: Date | null;
}

export function deliveryOf(n: NotificationRecord): FiringDelivery {
  if (n.sent_at) return 'sent';
  if (n.gave_up_at) return 'gaveUp';
  // As the orphans' resolution decides (alerts/resolve-orphans.ts): leased with no error yet.
  if (n.attempts > 0 && n.last_error === null) return 'claimed';
  return 'held';
}

export interface FiringRecord {
  delivery: FiringDelivery;
  /** When a held one falls due. */
  dueAt: number;
}

export interface ResolutionDecision {
  /** Queue one resolution to this route. */
  resolve: boolean;
  /** Not before this time: the end of the group wait or quiet hours that hold the firing. */
  notBefore: number | null;
  /**
   * Give up this route's firing notifications not marked sent (held, or claimed: a claimed one whose
   * sender died is claimed again when its lease ends): the alert is over, no firing may follow.
   */
  withdraw: boolean;
}

/**
 * What an alert's resolution does for one route, from the firing notifications of that alert to it.
 * - A firing sent (or possibly sent) is owed exactly one resolution if the route sends resolutions;
 *   held repeats are withdrawn either way.
 * - A firing still held (quiet hours, group wait, a retry) and never out: firing and resolution go as
 *   one message, the resolution, when the firing would have gone; a route without sendResolved keeps
 *   its firing, so it still hears of the episode once; except an MQTT one, whose retained firing of an
 *   alert already over nothing would clear: withdrawn.
 * - No firing notification (the alert fired while inhibited and resolved before the inhibition ended),
 *   or only given-up ones: nothing.
 */
export function decideResolution(route: { sendResolved: boolean; type?: string },
  firings: readonly FiringRecord[]): ResolutionDecision {
  const out = firings.some((f) => f.delivery === 'sent' || f.delivery === 'claimed');
  const held = firings.filter((f) => f.delivery === 'held');
  if (out) {
    const withdraw = held.length > 0 || firings.some((firing) => firing.delivery === 'claimed');
    return { resolve: route.sendResolved, notBefore: null, withdraw };
  }
  // An MQTT route retains a firing until a resolution clears it: one without resolutions retains
  // nothing for an episode already over, as for a past episode (takesPastEpisodes).
  if (held.length === 0 || !route.sendResolved) {
    return { resolve: false, notBefore: null, withdraw: held.length > 0 && route.type === 'mqtt' };
  }
  return { resolve: true, notBefore: Math.min(...held.map((f) => f.dueAt)), withdraw: true };
}

/**
 * An alert a backlog fired (an outbox replay, a restart) is held until its series catches up
 * (alerts/progress.ts). If it resolved before that, nothing of it went out, and its resolution is its
 * one notification, as a past episode: to every route that takes its severity, whether or not the route
 * sends resolutions, except MQTT, where nothing is retained for an episode already over. One its device
 * was offline for (inhibited) gets nothing, as any inhibited alert that resolved before the inhibition ended.
 */
export function isPastEpisode(fired: { catchingUp: boolean; inhibited: boolean },
  firingNotifications: number): boolean {
  return fired.catchingUp && !fired.inhibited && firingNotifications === 0;
}

export const takesPastEpisodes = (route: { type: string }) => route.type !== 'mqtt';
