import { celsiusToFahrenheit as toF, formatReading, type TemperatureUnit } from '../shared/units.js';
import type { ReportData, SeriesStats } from './data.js';

/** Numbers, times and units as a report shows them, in its time zone and temperature unit. Pure. */

/** The data with temperatures in °F when the report asks for them (the rollups keep °C). */
export function inReportUnits(data: ReportData, unit: TemperatureUnit): ReportData {
  if (unit === 'C') return data;
  const convert = (s: SeriesStats): SeriesStats => {
    if (s.metric !== 'temperature' || s.unit !== '°C') return s;
    return {
      ...s, unit: '°F', mean: toF(s.mean), min: toF(s.min), max: toF(s.max), last: toF(s.last),
      previous: s.previous && { mean: toF(s.previous.mean), min: toF(s.previous.min), max: toF(s.previous.max) },
      points: s.points.map((p) => ({ t: p.t, avg: toF(p.avg), min: toF(p.min), max: toF(p.max) })),
    };
  };
  return {
    ...data,
    series: data.series.map(convert),
    silent: data.silent.map((s) => (s.metric === 'temperature' && s.unit === '°C' ? { ...s, unit: '°F' } : s)),
    highlights: data.highlights.map((h) => (h.series.metric === 'temperature' && h.series.unit === '°C' ? { ...h, series: { ...h.series, unit: '°F' } } : h)),
  };
}

/** 21.25 → "21.3 °C"; 1013.2 → "1013 hPa"; no unit → the number. */
export function formatValue(v: number, unit: string): string {
  const n = formatReading(v);
  // A no-break space: "21.3 °C" never wraps between the number and its unit.
  return unit ? `${n}\u00a0${unit}` : n;
}

/** The change against the previous period: "+0.8 °C", "−1.2 %", "±0 °C". */
export function formatDelta(d: number, unit: string): string {
  const rounded = Math.abs(d) >= 100 ? Math.round(d) : Math.round(d * 10) / 10;
  if (rounded === 0) return `±0${unit ? `\u00a0${unit}` : ''}`;
  return `${rounded > 0 ? '+' : '−'}${formatValue(Math.abs(rounded), unit)}`;
}

/** Times in the report: "15:40" in a one-day report, "Tue 15:40" in a week, "Tue 3 Nov 15:40" beyond. */
export function timeFormatter(tz: string, periodMs: number): (d: Date) => string {
  const options: Intl.DateTimeFormatOptions = periodMs <= 86_400_000 + 3_600_000
    ? { hour: '2-digit', minute: '2-digit' }
    : periodMs <= 8 * 86_400_000
      ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
      : { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', ...options });
  return (d) => f.format(d);
}

/** "Tuesday" for a day of a week's report, "Tue 3 Nov" beyond a week. */
export function dayFormatter(tz: string, periodMs: number): (d: Date) => string {
  const f = new Intl.DateTimeFormat('en-GB', periodMs <= 8 * 86_400_000 ? { timeZone: tz, weekday: 'long' } : { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short' });
  return (d) => f.format(d);
}

export const seriesName = (s: { device: string; sensor: string; metric: string }) => `${s.device}/${s.sensor} ${s.metric}`;

export const percent = (x: number) => `${(x * 100).toFixed(x >= 0.995 || x < 0.1 ? 0 : 1)} %`.replace('.0 %', ' %');
