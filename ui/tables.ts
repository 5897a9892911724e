import { alerts, get, type AlertEvent, type AlertState, type Device, type Rejected, type SensorDiag } from './api.js';
import { age, el, when } from './dom.js';

const table = (head: string[], rows: (string | Node)[][]) =>
  el(
    'div',
    { class: 'scroll' },
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
    ),
  );

export async function devicesPage(main: HTMLElement): Promise<void> {
  const devices = await get<Device[]>('/api/devices');
  main.replaceChildren(
    devices.length === 0
      ? el('p', { class: 'muted' }, 'No devices yet.')
      : table(
          ['device', 'status', 'sensors and their reads', 'values', 'disk', 'first seen', 'last message'],
          devices.map((d) => [
            d.device,
            el('span', { class: `badge ${d.status ?? ''}` }, d.status ?? 'never announced'),
            el('div', {}, ...d.sensors.map((s) => el('div', {}, `${s}: ${reads(d.diag[s])}`))),
            d.values.toLocaleString(),
            bytes(d.bytes),
            when(d.firstSeen),
            `${when(d.lastSeen)} (${age(d.lastSeen)})`,
          ]),
        ),
  );
}

/**
 * A sensor's read statistics in words: "99.2 % good of 1,234 (timeout 8, checksum 2)"; a dying DHT22
 * shows here first.
 */
function reads(diag: SensorDiag | undefined): string {
  if (!diag) return 'no read statistics yet';
  const good = diag.attempts ? (100 * diag.readings) / diag.attempts : 100;
  const failures = Object.entries(diag.failures)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  const failed = failures.length ? ` (${failures.join(', ')})` : '';
  const lastError = diag.lastError ? `; last error: ${diag.lastError.message}` : '';
  return `${good.toFixed(1)} % good of ${diag.attempts.toLocaleString()}${failed}${lastError}`;
}

function bytes(n: number): string {
  return n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(1)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MiB`
      : `${Math.round(n / 1024)} KiB`;
}

export async function alertsPage(main: HTMLElement): Promise<void> {
  const { active, events } = await alerts<{ active: AlertState[]; events: AlertEvent[] }>(100);
  main.replaceChildren(
    el('h2', {}, 'Now'),
    active.length === 0
      ? el('p', { class: 'muted' }, 'Nothing pending or firing.')
      : table(
          ['rule', 'alert on', 'state', 'since', 'value'],
          active.map((a) => [
            a.rule,
            [a.device, a.sensor, a.metric].filter(Boolean).join('/'),
            a.phase,
            when(a.startedAt),
            String(a.value),
          ]),
        ),
    el('h2', {}, 'Latest events'),
    events.length === 0
      ? el('p', { class: 'muted' }, 'No alert has fired yet.')
      : table(
          ['at', 'event', 'severity', 'message'],
          events.map((e) => [
            when(e.at),
            e.pastEpisode ? 'past episode' : e.reason ? `${e.kind} (${e.reason})` : e.kind,
            e.severity,
            e.inhibited ? `${e.text} (not notified: device offline)` : e.text,
          ]),
        ),
  );
}

export async function rejectedPage(main: HTMLElement): Promise<void> {
  const rows = await get<Rejected[]>('/api/rejected?limit=100');
  main.replaceChildren(
    el(
      'p',
      { class: 'muted' },
      "Messages ingest did not store, newest first, with the reason: why a new sensor's readings do not appear.",
    ),
    rows.length === 0
      ? el('p', { class: 'muted' }, 'None.')
      : table(
          ['received', 'topic', 'reason', 'payload'],
          rows.map((r) => [when(r.receivedAt), r.topic, `${r.code ?? ''}: ${r.reason}`, el('code', {}, r.payload)]),
        ),
  );
}
