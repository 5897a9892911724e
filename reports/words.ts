import { inReaderUnits, type TemperatureUnit } from '../shared/units.js';
import { formatNumber, roundReading } from '../shared/value-format.js';
import type { ReportData, SeriesStats } from './data.js';

/** Numbers, times and units as a report shows them, in its time zone and temperature unit. Pure. */

/** The data with temperatures in °F when the report asks for them (the rollups keep °C). */
export function inReportUnits(data: ReportData, unit: TemperatureUnit): ReportData {
  if (unit === 'C') return data;
  // Only temperature itself, as reports always have: a dew point stays in the unit it is stored in.
  const readerUnit = (s: { metric: string; unit: string }) =>
    s.metric === 'temperature' ? (inReaderUnits(0, s.unit, unit).unit ?? s.unit) : s.unit;
  const convert = (s: SeriesStats): SeriesStats => {
    if (readerUnit(s) === s.unit) return s;
    const to = (v: number) => inReaderUnits(v, s.unit, unit).value;
    return {
      ...s,
      unit: readerUnit(s),
      mean: to(s.mean),
      min: to(s.min),
      max: to(s.max),
      last: to(s.last),
      previous: s.previous && { mean: to(s.previous.mean), min: to(s.previous.min), max: to(s.previous.max) },
      points: s.points.map((p) => ({ t: p.t, avg: to(p.avg), min: to(p.min), max: to(p.max) })),
    };
  };
  return {
    ...data,
    series: data.series.map(convert),
    silent: data.silent.map((s) => (readerUnit(s) === s.unit ? s : { ...s, unit: readerUnit(s) })),
    highlights: data.highlights.map((h) =>
      readerUnit(h.series) === h.series.unit ? h : { ...h, series: { ...h.series, unit: readerUnit(h.series) } },
    ),
  };
}

/** 21.25 → "21.3 °C"; 1013.2 → "1013 hPa"; no unit → the number. */
export function formatValue(v: number, unit: string): string {
  const n = formatNumber(v);
  // A no-break space: "21.3 °C" never wraps between the number and its unit.
  return unit ? `${n}\u00a0${unit}` : n;
}

/** The change against the previous period: "+0.8 °C", "−1.2 %", "±0 °C". */
export function formatDelta(d: number, unit: string): string {
  const rounded = roundReading(d);
  if (rounded === 0) return `±0${unit ? `\u00a0${unit}` : ''}`;
  return `${rounded > 0 ? '+' : '−'}${formatValue(Math.abs(rounded), unit)}`;
}

/** Times in the report: "15:40" in a one-day report, "Tue 15:40" in a week, "Tue 3 Nov 15:40" beyond. */
export function timeFormatter(tz: string, periodMs: number): (d: Date) => string {
  const options: Intl.DateTimeFormatOptions =
    periodMs <= 86_400_000 + 3_600_000
      ? { hour: '2-digit', minute: '2-digit' }
      : periodMs <= 8 * 86_400_000
        ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
        : { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', ...options });
  return (d) => f.format(d);
}

/** "Tuesday" for a day of a week's report, "Tue 3 Nov" beyond a week. */
export function dayFormatter(tz: string, periodMs: number): (d: Date) => string {
  const f = new Intl.DateTimeFormat(
    'en-GB',
    periodMs <= 8 * 86_400_000
      ? { timeZone: tz, weekday: 'long' }
      : { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short' },
  );
  return (d) => f.format(d);
}

export const seriesName = (s: { device: string; sensor: string; metric: string }) =>
  `${s.device}/${s.sensor} ${s.metric}`;

export const percent = (x: number) => `${(x * 100).toFixed(x >= 0.995 || x < 0.1 ? 0 : 1)} %`.replace('.0 %', ' %');
