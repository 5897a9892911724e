import { unitOf } from '../shared/units.js';
import { get, history, type AlertState, type Latest } from './api.js';
import { age, byMetric, el, formatValue, sparkline } from './dom.js';
import type { LiveEvent } from './live.js';

/** A reading older than this is shown as stale (the node missed several intervals, or is gone). */
const STALE_MS = 10 * 60_000;

interface Tile {
  key: string;
  device: string;
  sensor: string;
  status: string | null;
  ts: string;
  values: Map<string, { value: number; unit: string | null }>;
}

/** Overview: a tile per device and sensor, live; active alerts on top. */
export async function overview(main: HTMLElement, live: EventTarget): Promise<() => void> {
  const [latest, alerts] = await Promise.all([
    get<Latest[]>('/api/latest'),
    get<{ active: AlertState[] }>('/api/alerts?limit=1'),
  ]);
  const tiles = new Map<string, Tile>();
  for (const r of latest) {
    const key = `${r.device}/${r.sensor}`;
    let t = tiles.get(key);
    if (!t)
      tiles.set(key, (t = { key, device: r.device, sensor: r.sensor, status: r.status, ts: r.ts, values: new Map() }));
    t.values.set(r.metric, { value: r.value, unit: r.unit });
    if (r.ts > t.ts) t.ts = r.ts;
  }
  main.replaceChildren();
  const firing = alerts.active.filter((a) => a.phase !== 'pending');
  if (firing.length > 0)
    main.append(
      el(
        'div',
        { class: 'alerts', role: 'alert' },
        ...firing.map((a) =>
          el(
            'p',
            {},
            `${a.rule}: ${[a.device, a.sensor, a.metric].filter(Boolean).join('/')} ${a.phase} since ` +
              `${new Date(a.startedAt).toLocaleString()} (${a.value})`,
          ),
        ),
      ),
    );
  if (tiles.size === 0)
    main.append(
      el(
        'p',
        { class: 'muted' },
        'No readings yet. Start a node (`npx pimonitor node --simulate`) and they appear here.',
      ),
    );
  const grid = el('div', { class: 'grid' });
  main.append(grid);
  const nodes = new Map<string, HTMLElement>();
  const render = (t: Tile) => {
    const node = el(
      'section',
      { class: `tile${Date.now() - new Date(t.ts).getTime() > STALE_MS ? ' stale' : ''}`, 'data-key': t.key },
      el(
        'h2',
        {},
        el('span', {}, t.device, ' ', el('small', {}, t.sensor)),
        t.status ? el('span', { class: `badge ${t.status}` }, t.status) : null,
      ),
      el(
        'div',
        { class: 'values' },
        ...[...t.values]
          .sort(([a], [b]) => byMetric(a, b))
          .map(([metric, v]) => {
            const [n, unit] = formatValue(v.value, v.unit);
            return el(
              'div',
              { class: 'value', 'data-metric': metric, title: metric },
              el('b', {}, n),
              el('span', { class: 'unit' }, unit),
              el('span', { class: 'trend' }, ''),
            );
          }),
      ),
      el('div', { class: 'spark-slot' }),
      el(
        'div',
        { class: 'meta' },
        el('span', {}, [...t.values.keys()].sort(byMetric).join(', ')),
        el('span', { class: 'age', 'data-ts': t.ts }, age(t.ts)),
      ),
    );
    nodes.get(t.key)?.replaceWith(node) ?? grid.append(node);
    nodes.set(t.key, node);
    return node;
  };
  for (const t of tiles.values()) render(t);
  // Sparklines and trends from the last 24 h, after the tiles are up.
  void Promise.all(
    [...tiles.values()].slice(0, 40).map(async (t) => {
      const h = await history(t.device, t.sensor, '-24h').catch(() => null);
      const first = h?.series[0];
      const node = nodes.get(t.key);
      if (!first || !node) return;
      node.querySelector('.spark-slot')?.replaceChildren(sparkline(first.avg));
      for (const s of h!.series) {
        const n = s.avg.length;
        if (n < 13) continue;
        const diff = s.avg[n - 1]! - s.avg[n - 13]!; // an hour of 5-minute buckets
        const arrow = Math.abs(diff) < 0.2 ? '→' : diff > 0 ? '↗' : '↘';
        const trend = node.querySelector(`[data-metric="${CSS.escape(s.metric)}"] .trend`);
        if (trend) trend.textContent = arrow;
      }
    }),
  );
  const onEvent = (e: Event) => {
    const event = (e as CustomEvent<LiveEvent>).detail;
    if (event.type === 'status') {
      for (const t of tiles.values())
        if (t.device === event.device) {
          t.status = event.status;
          render(t);
        }
      return;
    }
    const key = `${event.device}/${event.sensor}`;
    let t = tiles.get(key);
    if (!t)
      tiles.set(
        key,
        (t = { key, device: event.device, sensor: event.sensor, status: 'online', ts: event.ts, values: new Map() }),
      );
    for (const [metric, value] of Object.entries(event.values))
      t.values.set(metric, { value, unit: t.values.get(metric)?.unit ?? unitOf(metric) });
    t.ts = event.ts > t.ts ? event.ts : t.ts;
    const spark = nodes.get(key)?.querySelector('.spark');
    const node = render(t);
    if (spark) node.querySelector('.spark-slot')?.replaceChildren(spark);
    node.classList.add('flash');
  };
  live.addEventListener('live', onEvent);
  const ages = setInterval(
    () => document.querySelectorAll<HTMLElement>('.age').forEach((a) => (a.textContent = age(a.dataset.ts!))),
    5000,
  );
  return () => {
    live.removeEventListener('live', onEvent);
    clearInterval(ages);
  };
}
