import uPlot from 'uplot';
import { get, history, type Latest } from './api.js';
import { breakGaps, counted, pointsWhenSparse, requestedRange } from './chart-scale.js';
import { byMetric, el } from './dom.js';

const HOUR_MS = 3_600_000;
/** The preset ranges: label, the API's range, and its length (what the date pickers show when it is chosen). */
const RANGES: [string, string, number][] = [
  ['1 h', '-1h', HOUR_MS],
  ['24 h', '-24h', 24 * HOUR_MS],
  ['7 d', '-7d', 168 * HOUR_MS],
  ['30 d', '-30d', 720 * HOUR_MS],
  ['1 year', '-52w', 52 * 168 * HOUR_MS],
];
const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** History: one metric of several sensors on one chart (compare rooms), over a chosen range; min/max band for one. */
export async function historyPage(main: HTMLElement, params: URLSearchParams): Promise<() => void> {
  const latest = await get<Latest[]>('/api/latest');
  const metrics = [...new Set(latest.map((l) => l.metric))].sort(byMetric);
  const metric = params.get('metric') && metrics.includes(params.get('metric')!) ? params.get('metric')! : metrics[0];
  main.replaceChildren();
  if (!metric) {
    main.append(el('p', { class: 'muted' }, 'No readings yet.'));
    return () => {};
  }
  // A preset (-24h) or a custom range (from and to as ISO 8601, from the date pickers).
  const custom = params.get('from') && params.get('to') ? { from: params.get('from')!, to: params.get('to')! } : null;
  const range = custom ? 'custom' : (RANGES.find(([, r]) => r === params.get('range'))?.[1] ?? '-24h');
  const candidates = latest.filter((l) => l.metric === metric).map((l) => `${l.device}/${l.sensor}`);
  const wanted = (params.get('sensors') ?? '').split(',').filter((s) => candidates.includes(s));
  const chosen = wanted.length > 0 ? wanted : candidates.slice(0, COLOURS.length);
  const link = (p: Record<string, string>) => {
    const when = custom && !p.range ? custom : { range };
    return `#/history?${new URLSearchParams({ metric, ...when, sensors: chosen.join(','), ...p })}`;
  };
  const presetMs = RANGES.find(([, r]) => r === range)?.[2] ?? 24 * HOUR_MS;
  const pickFrom = el('input', {
    type: 'datetime-local',
    'aria-label': 'from',
    value: local(custom?.from ?? new Date(Date.now() - presetMs).toISOString()),
  });
  const pickTo = el('input', {
    type: 'datetime-local',
    'aria-label': 'to',
    value: local(custom?.to ?? new Date().toISOString()),
  });
  const show = el('button', { type: 'button', class: custom ? 'active' : '' }, 'Show');
  show.addEventListener('click', () => {
    const from = new Date(pickFrom.value);
    const to = new Date(pickTo.value);
    if (Number.isFinite(from.getTime()) && Number.isFinite(to.getTime()) && from < to) {
      const query = { metric, from: from.toISOString(), to: to.toISOString(), sensors: chosen.join(',') };
      location.hash = `#/history?${new URLSearchParams(query)}`;
    }
  });
  main.append(
    el(
      'div',
      { class: 'controls' },
      ...metrics.map((m) =>
        el(
          'a',
          { href: link({ metric: m, sensors: '' }) },
          el('button', { class: m === metric ? 'active' : '', type: 'button' }, m),
        ),
      ),
      el('span', { class: 'muted' }, '·'),
      ...RANGES.map(([label, r]) =>
        el(
          'a',
          { href: link({ range: r }) },
          el('button', { class: r === range ? 'active' : '', type: 'button' }, label),
        ),
      ),
      pickFrom,
      pickTo,
      show,
    ),
  );
  main.append(
    el(
      'div',
      { class: 'controls' },
      ...candidates.map((c) => {
        const on = chosen.includes(c);
        const next = on ? chosen.filter((x) => x !== c) : [...chosen, c];
        return el(
          'a',
          { href: link({ sensors: next.join(',') || c }) },
          el('button', { class: on ? 'active' : '', type: 'button' }, c),
        );
      }),
    ),
  );
  const box = el('div', { class: 'chart', 'data-metric': metric });
  main.append(box);
  const results = await Promise.all(
    chosen.map((c) => {
      const [device, sensor] = c.split('/') as [string, string];
      return history(device, sensor, custom ? custom.from : range, metric, custom?.to);
    }),
  );
  const unit = results.find((r) => r.series[0])?.series[0]?.unit ?? '';
  const tier = results[0]?.tier;
  box.append(
    el('h3', {}, `${metric}${unit ? ` (${unit})` : ''} · ${tier === 'raw' ? 'every reading' : `${tier ?? ''} means`}`),
  );
  const tables: uPlot.AlignedData[] = results.map((r) => {
    const s = r.series[0];
    if (!s) return [[], []] as unknown as uPlot.AlignedData;
    const t = s.t.map((ms) => ms / 1000);
    return breakGaps((chosen.length === 1 ? [t, s.avg, s.min, s.max] : [t, s.avg]) as uPlot.AlignedData);
  });
  // Each sensor's readings: the joined table has a row per distinct time, and the gaps' null rows.
  const points = results.reduce((n, r) => n + (r.series[0]?.t.length ?? 0), 0);
  const data = tables.length === 1 ? tables[0]! : uPlot.join(tables);
  const span = [Date.parse(results[0]?.from ?? '') / 1000, Date.parse(results[0]?.to ?? '') / 1000] as const;
  const spanOk = span[0] < span[1]; // NaN (no answer, an older server) is not: uPlot spans the readings then
  const series: uPlot.Series[] = [{}];
  chosen.forEach((c, i) => {
    // A reading without a neighbour has no line: with few readings in view, each is drawn as a dot.
    const colour = COLOURS[i % COLOURS.length]!;
    series.push({
      label: c,
      stroke: colour,
      width: 2,
      spanGaps: false,
      points: { show: pointsWhenSparse, size: 8, fill: colour },
    });
    if (chosen.length === 1) {
      series.push(
        { label: 'min', stroke: 'transparent', points: { show: false } },
        { label: 'max', stroke: 'transparent', points: { show: false } },
      );
    }
  });
  const opts: uPlot.Options = {
    width: Math.max(280, box.clientWidth - 16),
    height: 320,
    series,
    bands: chosen.length === 1 ? [{ series: [3, 2], fill: 'rgba(214, 39, 40, 0.12)' }] : [],
    axes: [
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, size: 56 },
    ],
    // The range asked for (-24h, or the pickers'), not the span of the readings in it.
    scales: { x: { time: true, ...(spanOk ? { range: requestedRange(span[0], span[1]) } : {}) } },
    // What the x axis spans, on the element: for a reader's tools and the browser test.
    hooks: {
      draw: [(u) => Object.assign(box.dataset, { xFrom: isoOf(u.scales.x?.min), xTo: isoOf(u.scales.x?.max) })],
    },
  };
  const plot = new uPlot(opts, data, box);
  const resize = () => plot.setSize({ width: Math.max(280, box.clientWidth - 16), height: 320 });
  window.addEventListener('resize', resize);
  box.append(
    el(
      'p',
      { class: 'muted' },
      `${counted(points, 'point')} · CSV: `,
      ...chosen.flatMap((c, i) => {
        const [device, sensor] = c.split('/') as [string, string];
        const query = new URLSearchParams({ device, sensor, metric, ...(custom ? custom : { from: range }) });
        const href = `/api/history.csv?${query}`;
        return [i ? ', ' : '', el('a', { href, download: '' }, c)];
      }),
    ),
  );
  return () => {
    window.removeEventListener('resize', resize);
    plot.destroy();
  };
}

const isoOf = (seconds: number | undefined) =>
  seconds !== undefined && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : '';

/** An ISO instant as the value of a datetime-local input (local time, minutes). */
function local(iso: string): string {
  const d = new Date(iso);
  return Number.isFinite(d.getTime())
    ? new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
    : '';
}
