import type { DueNotification } from './delivery.js';
import { escapeHtml as escape } from '../shared/html.js';
import { formatNumber } from '../shared/value-format.js';
import { instantOf, quantitiesOf, sentenceOf, type Reader } from './words.js';

/**
 * What a group of notifications (one route, one device) says, in each form a route needs, in the
 * route's temperature unit and time zone (`reader`); the words themselves come from alerts/words.ts.
 * Pure. The subject leads with what, where and how much: `attic/dht22 temperature 31.2 °C above 30 °C for 5 min`.
 */

export type NotificationEvent = DueNotification['event'];

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

export function subjectOf(events: readonly NotificationEvent[], reader: Reader): string {
  if (events.length === 1) return `[${events[0]!.severity}] ${sentenceOf(events[0]!, reader)}`;
  const worst = worstOf(events);
  const firing = events.filter((e) => e.kind === 'fired').length;
  const resolved = events.length - firing;
  const parts = [firing ? `${firing} firing` : '', resolved ? `${resolved} resolved` : ''].filter(Boolean).join(', ');
  return `[${worst}] ${events[0]!.device}: ${parts}`;
}

export function worstOf(events: readonly NotificationEvent[]): NotificationEvent['severity'] {
  type Severity = NotificationEvent['severity'];
  const worse = (w: Severity, e: NotificationEvent) => (SEVERITY_RANK[e.severity] > SEVERITY_RANK[w] ? e.severity : w);
  return events.reduce(worse, 'info');
}

/** What happened to it, for the second line and the HTML's first column: firing, resolved, a past episode. */
function stateOf(e: NotificationEvent): string {
  if (e.kind !== 'resolved') return e.severity;
  if (e.past_episode) return 'past episode';
  return e.reason ? `resolved (${e.reason})` : 'resolved';
}

export function textOf(events: readonly NotificationEvent[], reader: Reader): string {
  const ended = (e: NotificationEvent) =>
    e.kind === 'resolved' ? `, ${e.past_episode ? 'ended' : 'resolved'} ${instantOf(e.at, reader)}` : '';
  const details = (e: NotificationEvent) =>
    `rule ${e.rule}, ${e.severity}, since ${instantOf(e.started_at, reader)}${ended(e)}`;
  return `${events.map((e) => `${sentenceOf(e, reader)}\n  ${details(e)}`).join('\n\n')}\n\n— pimonitor\n`;
}

/** The colour an alert's state is shown in, in alert and report e-mails: green resolved, red critical, else orange. */
export function stateColour(kind: string, severity: string): string {
  if (kind === 'resolved') return '#2e7d32';
  return severity === 'critical' ? '#c62828' : '#ef6c00';
}

export function htmlOf(events: readonly NotificationEvent[], reader: Reader): string {
  const cell = (style: string, text: string) => `<td style="padding:4px 8px${style}">${escape(text)}</td>`;
  const rows = events.map(
    (e) =>
      `<tr>${cell(`;color:${stateColour(e.kind, e.severity)}`, stateOf(e))}${cell('', sentenceOf(e, reader))}` +
      `${cell(';color:#666', instantOf(e.started_at, reader))}</tr>`,
  );
  return (
    `<table style="font-family:sans-serif;font-size:14px;border-collapse:collapse">${rows.join('')}</table>` +
    '<p style="font-family:sans-serif;color:#666;font-size:12px">pimonitor</p>'
  );
}

/**
 * Alertmanager's annotations: `summary` is the words; value, unit, condition and thresholds are the
 * quantities in the route's units, as text (annotations are strings); reason when there is one.
 */
function annotationsOf(e: NotificationEvent, reader: Reader): Record<string, string> {
  const q = quantitiesOf(e, reader);
  const text = (n: number | undefined | null) =>
    n === undefined || n === null ? undefined : formatNumber(n, 'machine');
  const entries: Array<[string, string | undefined | null]> = [
    ['summary', sentenceOf(e, reader)],
    ['value', text(q.value)],
    ['unit', q.unit],
    ['condition', q.condition],
    ['threshold', text(q.threshold)],
    ['thresholdLow', text(q.thresholdLow)],
    ['thresholdHigh', text(q.thresholdHigh)],
    ['reason', e.reason],
  ];
  return Object.fromEntries(entries.filter((x): x is [string, string] => typeof x[1] === 'string' && x[1] !== ''));
}

/**
 * Alertmanager's webhook body (version 4), so receivers written for Alertmanager work unchanged.
 * startsAt and endsAt are ISO 8601 in UTC, as Alertmanager's are, whatever the route's time zone.
 */
export function alertmanagerBody(route: string, events: readonly NotificationEvent[], reader: Reader) {
  const alerts = events.map((e) => ({
    status: e.kind === 'resolved' ? 'resolved' : 'firing',
    labels: {
      alertname: e.rule,
      device: e.device,
      ...(e.sensor ? { sensor: e.sensor } : {}),
      ...(e.metric ? { metric: e.metric } : {}),
      severity: e.severity,
      ...e.labels,
    },
    annotations: annotationsOf(e, reader),
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

/** The retained MQTT payload of a firing alert: its words and quantities in the route's units, for Home Assistant. */
export function mqttPayloadOf(e: NotificationEvent, reader: Reader) {
  const { value, unit, condition, ...thresholds } = quantitiesOf(e, reader);
  return {
    rule: e.rule,
    device: e.device,
    sensor: e.sensor || undefined,
    metric: e.metric || undefined,
    severity: e.severity,
    value,
    unit: unit ?? undefined,
    condition: condition ?? undefined,
    ...thresholds,
    message: sentenceOf(e, reader),
    startedAt: e.started_at.toISOString(),
    firedAt: e.at.toISOString(),
    labels: e.labels,
  };
}

/** ntfy's headers: priority 5 (urgent) for critical, 4 for warning, 3 otherwise; a tag emoji per state. */
export function ntfyHeaders(events: readonly NotificationEvent[], reader: Reader): Record<string, string> {
  const worst = worstOf(events);
  const allResolved = events.every((e) => e.kind === 'resolved');
  return {
    Title: subjectOf(events, reader),
    Priority: allResolved ? '3' : worst === 'critical' ? '5' : worst === 'warning' ? '4' : '3',
    Tags: allResolved ? 'white_check_mark' : worst === 'critical' ? 'rotating_light' : 'warning',
  };
}
