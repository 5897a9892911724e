import * as echarts from 'echarts';
import { wallClockOf } from '../shared/time-zone.js';
import type { Point, SeriesStats } from './data.js';

/**
 * One chart per sensor (device/sensor): a line per metric (its mean per rollup bucket) over a band from
 * its min to its max, a y axis per unit (two at most). Drawn as SVG by echarts' server-side renderer
 * (no DOM, no browser); the PNG comes from ./rasterise.ts. Pure apart from echarts' own state, which
 * dispose() releases.
 */

export const CHART_WIDTH = 600;
export const CHART_HEIGHT = 220;
export const CHART_FONT = 'DejaVu Sans';

const COLOURS: Record<string, string> = {
  temperature: '#d62728',
  humidity: '#1f77b4',
  pressure: '#2ca02c',
  co2: '#9467bd',
};
const OTHERS = ['#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

export function colourOf(metric: string, i: number): string {
  return COLOURS[metric] ?? OTHERS[i % OTHERS.length]!;
}

/**
 * echarts formats a time axis in the process's zone or in UTC; a report has its own. So instants are
 * shifted to the report zone's wall clock and drawn as UTC (on the night clocks go back, the repeated
 * hour is drawn over itself). A gap longer than two steps breaks the line instead of bridging it.
 */
function line(points: readonly Point[], stepMs: number, tz: string, pick: (p: Point) => number): (number | null)[][] {
  const out: (number | null)[][] = [];
  points.forEach((p, i) => {
    if (i > 0 && p.t - points[i - 1]!.t > 2 * stepMs) out.push([wallClockOf(points[i - 1]!.t + stepMs, tz), null]);
    out.push([wallClockOf(p.t + stepMs / 2, tz), quantise(pick(p))]);
  });
  return out;
}

/**
 * echarts 6.1 asserts in IntervalScale.setConfig when an axis extent is below ~1e-19
 * (apache/echarts#21645, fix proposed in #21667): no sensor resolves a billionth, so values are
 * rounded to one before they are drawn.
 */
const quantise = (v: number) => Math.round(v * 1e9) / 1e9;

/**
 * The SVG of one sensor's chart over [from, to); if echarts fails on the data, a chart that says so (the
 * report still goes).
 */
export function sensorChartSvg(
  series: readonly SeriesStats[],
  from: Date,
  to: Date,
  stepMs: number,
  tz: string,
): string {
  try {
    return drawChart(series, from, to, stepMs, tz);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 80).replace(/[&<>"']/g, ' ');
    const text = `<text x="50%" y="50%" text-anchor="middle" font-family="${CHART_FONT}" font-size="13" fill="#888">`;
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}">` +
      `<rect width="100%" height="100%" fill="#fafafa"/>${text}chart could not be drawn: ${reason}</text></svg>`
    );
  }
}

function drawChart(series: readonly SeriesStats[], from: Date, to: Date, stepMs: number, tz: string): string {
  const units = [...new Set(series.map((s) => s.unit))].slice(0, 2);
  const shown = series.filter((s) => units.includes(s.unit));
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
  try {
    const lines = shown.flatMap((s, i) => {
      const colour = colourOf(s.metric, i);
      const yAxisIndex = units.indexOf(s.unit);
      const stack = `band-${i}`;
      return [
        {
          type: 'line',
          name: `${s.metric} min`,
          data: line(s.points, stepMs, tz, (p) => p.min),
          yAxisIndex,
          stack,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          silent: true,
          z: 1,
        },
        {
          type: 'line',
          name: `${s.metric} range`,
          data: line(s.points, stepMs, tz, (p) => p.max - p.min),
          yAxisIndex,
          stack,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          areaStyle: { color: colour, opacity: 0.15 },
          silent: true,
          z: 1,
        },
        {
          type: 'line',
          name: s.metric,
          data: line(s.points, stepMs, tz, (p) => p.avg),
          yAxisIndex,
          symbol: 'none',
          lineStyle: { color: colour, width: 2 },
          itemStyle: { color: colour },
          z: 2,
        },
      ];
    });
    chart.setOption({
      animation: false,
      useUTC: true,
      textStyle: { fontFamily: CHART_FONT, fontSize: 11 },
      grid: { left: 48, right: units.length > 1 ? 48 : 16, top: 32, bottom: 28 },
      legend: {
        top: 4,
        left: 'center',
        data: shown.map((s) => s.metric),
        itemGap: 18,
        textStyle: { fontFamily: CHART_FONT, fontSize: 11 },
        itemHeight: 8,
      },
      xAxis: {
        type: 'time',
        min: wallClockOf(from.getTime(), tz),
        max: wallClockOf(to.getTime(), tz),
        axisLabel: {
          hideOverlap: true,
          fontFamily: CHART_FONT,
          formatter: { year: '{yyyy}', month: '{MMM}', day: '{ee} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}' },
        },
        splitLine: { show: false },
      },
      yAxis: units.map((unit, i) => ({
        type: 'value',
        scale: true,
        name: unit,
        position: i === 0 ? 'left' : 'right',
        nameTextStyle: { fontFamily: CHART_FONT },
        axisLabel: { fontFamily: CHART_FONT },
        splitLine: { show: i === 0, lineStyle: { color: '#e6e6e6' } },
      })),
      series: lines,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
