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
    const extent = t.length === 0 || min == null || max == null || !(max > min)
      || (min === t[0] && (max === t[t.length - 1] || t.length === 1));
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
