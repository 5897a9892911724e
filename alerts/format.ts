import type { DueNotification } from './store.js';

/**
 * What a group of notifications (one route, one device) says, in each form a route needs. Pure.
 * The subject leads with what, where and how much: `attic/dht22 temperature 31.2 °C above 30 °C for 5 min`.
 */

export type NotificationEvent = DueNotification['event'];

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

function line(e: NotificationEvent): string {
  if (e.kind !== 'resolved') return e.message;
  if (e.past_episode) return `past episode, ${e.started_at.toISOString()} to ${e.at.toISOString()}: ${e.message}`;
  return e.reason ? `resolved (${e.reason}): ${e.message}` : `resolved: ${e.message}`;
}

export function subjectOf(events: readonly NotificationEvent[]): string {
  if (events.length === 1) return `[${events[0]!.severity}] ${line(events[0]!)}`;
  const worst = worstOf(events);
  const firing = events.filter((e) => e.kind === 'fired').length;
  const resolved = events.length - firing;
  const parts = [firing ? `${firing} firing` : '', resolved ? `${resolved} resolved` : ''].filter(Boolean).join(', ');
  return `[${worst}] ${events[0]!.device}: ${parts}`;
}

export function worstOf(events: readonly NotificationEvent[]): NotificationEvent['severity'] {
  return events.reduce((w, e) => (SEVERITY_RANK[e.severity] > SEVERITY_RANK[w] ? e.severity : w), 'info' as NotificationEvent['severity']);
}

export function textOf(events: readonly NotificationEvent[]): string {
  return `${events.map((e) => `${line(e)}\n  rule ${e.rule}, ${e.severity}, since ${e.started_at.toISOString()}${e.kind === 'resolved' ? `, resolved ${e.at.toISOString()}` : ''}`).join('\n\n')}\n\n— pimonitor\n`;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export function htmlOf(events: readonly NotificationEvent[]): string {
  const rows = events.map((e) => `<tr><td style="padding:4px 8px;color:${e.kind === 'resolved' ? '#2e7d32' : e.severity === 'critical' ? '#c62828' : '#ef6c00'}">${e.kind === 'resolved' ? (e.reason ? `resolved (${escape(e.reason)})` : 'resolved') : e.severity}</td><td style="padding:4px 8px">${escape(e.message)}</td><td style="padding:4px 8px;color:#666">${escape(e.started_at.toISOString())}</td></tr>`);
  return `<table style="font-family:sans-serif;font-size:14px;border-collapse:collapse">${rows.join('')}</table><p style="font-family:sans-serif;color:#666;font-size:12px">pimonitor</p>`;
}

/** Alertmanager's webhook body (version 4), so receivers written for Alertmanager work unchanged. */
export function alertmanagerBody(route: string, events: readonly NotificationEvent[]) {
  const alerts = events.map((e) => ({
    status: e.kind === 'resolved' ? 'resolved' : 'firing',
    labels: { alertname: e.rule, device: e.device, ...(e.sensor ? { sensor: e.sensor } : {}), ...(e.metric ? { metric: e.metric } : {}), severity: e.severity, ...e.labels },
    annotations: { summary: e.message, ...(e.value === null ? {} : { value: String(e.value) }), ...(e.reason ? { reason: e.reason } : {}) },
    startsAt: e.started_at.toISOString(),
    endsAt: e.kind === 'resolved' ? e.at.toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: [e.rule, e.device, e.sensor, e.metric].join('/'),
  }));
  const common = { alertname: events[0]!.rule, device: events[0]!.device };
  return {
    version: '4',
    groupKey: `${route}:{device="${events[0]!.device}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: route,
    groupLabels: { device: events[0]!.device },
    commonLabels: events.every((e) => e.rule === common.alertname) ? common : { device: common.device },
    commonAnnotations: {},
    externalURL: '',
    alerts,
  };
}

/** ntfy's headers: priority 5 (urgent) for critical, 4 for warning, 3 otherwise; a tag emoji per state. */
export function ntfyHeaders(events: readonly NotificationEvent[]): Record<string, string> {
  const worst = worstOf(events);
  const allResolved = events.every((e) => e.kind === 'resolved');
  return {
    Title: subjectOf(events),
    Priority: allResolved ? '3' : worst === 'critical' ? '5' : worst === 'warning' ? '4' : '3',
    Tags: allResolved ? 'white_check_mark' : worst === 'critical' ? 'rotating_light' : 'warning',
  };
}
