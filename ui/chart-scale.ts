import type uPlot from 'uplot';

/**
 * How the history chart frames its readings. uPlot, left to itself, spans the x axis over the data: one
 * reading becomes a range of years around it (uPlot pads a zero span by its magnitude), and a few
 * minutes of readings fill a "24 h" chart. And its lines need two neighbours: a lone reading is drawn
 * as nothing at all.
 */

/**
 * The x scale's range: the requested [from, to] (seconds) whenever uPlot proposes the data's own extent
 * (first draw, double-click to reset), what the reader selected when zooming in. uPlot's extent of a
 * lone reading starts at it and ends 1,000 days later (86400 / ms, with ms = 1e-3): that is the years.
 */
export function requestedRange(from: number, to: number): uPlot.Range.Function {
  return (u, min, max) => {
    const t = u.data[0];
    const extent =
      t.length === 0 ||
      min == null ||
      max == null ||
      !(max > min) ||
      (min === t[0] && (max === t[t.length - 1] || t.length === 1));
    return extent ? [from, to] : [min, max];
  };
}

/** One dot per this many CSS pixels of plot width at most: fewer readings in view than that, and each is drawn. */
const SPACE_PX = 8;

/** True when the readings in view are sparse enough that each should be drawn as a point. Pure. */
export function sparse(readingsInView: number, plotWidthPx: number): boolean {
  return readingsInView <= Math.max(1, plotWidthPx / SPACE_PX);
}

/** uPlot's points.show: the series' readings in view, against the plot's width. */
export const pointsWhenSparse: Exclude<uPlot.Series.Points.Show, boolean> = (u, _series, i0, i1) =>
  sparse(i1 - i0 + 1, u.bbox.width / (window.devicePixelRatio || 1));

/** A count as people read it: "1 point", "2 points", "1,234 points". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** A pause longer than this many times a series' usual step between readings breaks its line. */
const GAP_STEPS = 3;

/**
 * The table with a null row in each pause much longer than its usual step (the median), so the line
 * breaks there (uPlot draws no line across a null with spanGaps false) instead of joining readings
 * days apart, as the reports do. Pure.
 */
export function breakGaps(table: uPlot.AlignedData): uPlot.AlignedData {
  const t = table[0] as number[];
  if (t.length < 3) return table;
  const steps = t
    .slice(1)
    .map((x, i) => x - t[i]!)
    .sort((a, b) => a - b);
  const limit = GAP_STEPS * steps[Math.floor(steps.length / 2)]!;
  const rows: number[] = [];
  for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > limit) rows.push(i);
  if (rows.length === 0) return table;
  return table.map((column, c) => {
    const out: Array<number | null | undefined> = [];
    let from = 0;
    for (const i of rows) {
      out.push(
        ...(column as Array<number | null | undefined>).slice(from, i),
        c === 0 ? (t[i - 1]! + t[i]!) / 2 : null,
      );
      from = i;
    }
    return [...out, ...(column as Array<number | null | undefined>).slice(from)];
  }) as uPlot.AlignedData;
}
