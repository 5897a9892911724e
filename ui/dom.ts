import { formatNumber } from '../shared/value-format.js';

/** Small DOM helpers: elements from tags, attributes and children; text is always text (no innerHTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
/** A sparkline of `values` as an SVG path, scaled to the box. */
export function sparkline(values: number[]): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 100 30');
  svg.setAttribute('preserveAspectRatio', 'none');
  const finite = values.filter(Number.isFinite);
  if (finite.length === 1) {
    // One reading (a new sensor): a short mark at the right, where the line will grow from, not nothing.
    const mark = document.createElementNS(SVG, 'path');
    mark.setAttribute('d', 'M94,15L100,15');
    mark.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(mark);
  }
  if (finite.length > 1) {
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    const span = hi - lo || 1;
    const d = values
      .map((v, i) => {
        const x = ((i / (values.length - 1)) * 100).toFixed(2);
        const y = (28 - ((v - lo) / span) * 26).toFixed(2);
        return `${i === 0 ? 'M' : 'L'}${x},${y}`;
      })
      .join('');
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(path);
  }
  return svg;
}

/** A reading and its unit as the tiles show them (shared/value-format.ts: 21.3, 1013). */
export function formatValue(v: number, unit: string | null): [string, string] {
  return [formatNumber(v), unit ?? ''];
}

export function age(ts: string | number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(ts).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export const when = (ts: string | null) => (ts ? new Date(ts).toLocaleString() : '–');

/** Temperature first, humidity second, then the rest by name (as the reports and charts order them). */
export const byMetric = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
const rank = (m: string) => (m === 'temperature' ? 0 : m === 'humidity' ? 1 : 2);
