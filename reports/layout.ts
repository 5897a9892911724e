import { formatDuration } from '../shared/duration.js';
import { sentenceOf, type Reader } from '../alerts/words.js';
import type { AlertEvent, Gap, ReportData, SeriesStats } from './data.js';
import { formatDelta, formatValue, percent, timeFormatter } from './words.js';

/**
 * What both parts of a report show, as rows of words: one section per sensor (device/sensor) with a
 * row per metric, the gaps, the alerts, the offline spells. The HTML and the plain-text renderers only
 * lay these out, so the two parts cannot disagree. Pure.
 */

export interface MetricRow {
  metric: string;
  min: string;
  minAt: string;
  mean: string;
  max: string;
  maxAt: string;
  last: string;
  change: string;
  coverage: string;
  readings: string;
}

export interface SensorSection {
  device: string;
  sensor: string;
  series: SeriesStats[];
  rows: MetricRow[];
  gaps: string[];
}

export interface Layout {
  sections: SensorSection[];
  alerts: { at: string; kind: string; severity: string; message: string; note: string }[];
  offline: string[];
  changeHeading: string;
}

/** `reader`: the report's time zone and temperature unit, in which its alerts are said too (alerts/words.ts). */
export function layoutOf(data: ReportData, reader: Reader): Layout {
  const tz = reader.timeZone;
  const periodMs = data.period.to.getTime() - data.period.from.getTime();
  const at = timeFormatter(tz, periodMs);
  const sections: SensorSection[] = [];
  for (const s of data.series) {
    let section = sections.find((x) => x.device === s.device && x.sensor === s.sensor);
    if (!section) sections.push((section = { device: s.device, sensor: s.sensor, series: [], rows: [], gaps: [] }));
    section.series.push(s);
    section.rows.push({
      metric: s.metric,
      min: formatValue(s.min, s.unit),
      minAt: at(s.minAt),
      mean: formatValue(s.mean, s.unit),
      max: formatValue(s.max, s.unit),
      maxAt: at(s.maxAt),
      last: formatValue(s.last, s.unit),
      change: s.previous ? formatDelta(s.mean - s.previous.mean, s.unit) : '–',
      coverage: s.coverage === null ? '–' : percent(s.coverage),
      readings: s.count.toLocaleString('en-GB'),
    });
    section.gaps.push(...s.gaps.map((g) => `${s.metric}: ${gapText(g, at)}`));
  }
  return {
    sections,
    alerts: data.alerts.map((a) => ({
      at: at(a.at),
      kind: a.kind,
      severity: a.severity,
      message: sentenceOf(a, reader),
      note: noteOf(a),
    })),
    offline: data.offline.map((o) => {
      const lasted = formatDuration((o.to ?? data.until).getTime() - o.from.getTime());
      const until = o.to ? `to ${at(o.to)}` : 'until the end of the period';
      return `${o.device}: offline from ${at(o.from)} ${until} (${lasted})`;
    }),
    changeHeading: `vs ${data.period.previousName.replace(/^the /, '')}`,
  };
}

const gapText = (g: Gap, at: (d: Date) => string) =>
  `no readings ${at(g.from)} to ${at(g.to)} (${formatDuration(g.ms)})`;

/** What the words do not say: that nobody was told, or, for an old row without facts, how long it lasted. */
function noteOf(a: AlertEvent): string {
  if (a.inhibited) return 'not notified: device offline';
  return a.kind === 'resolved' && !a.condition
    ? `after ${formatDuration(a.at.getTime() - a.started_at.getTime())}`
    : '';
}
