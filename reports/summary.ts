import { formatDuration } from '../shared/duration.js';
import { roundReading } from '../shared/value-format.js';
import type { ReportData } from './data.js';
import { dayFormatter, formatDelta, formatValue, seriesName, timeFormatter } from './words.js';

/**
 * The few sentences at the top of a report, in words: time beyond the highlighted thresholds, the
 * extremes of each metric, the change since the previous period, silences, alerts and devices that
 * went offline. Pure: data in, sentences out.
 */
export function summarise(data: ReportData, tz: string): string[] {
  const periodMs = data.period.to.getTime() - data.period.from.getTime();
  const at = timeFormatter(tz, periodMs);
  const day = dayFormatter(tz, periodMs);
  const oneDay = periodMs <= 86_400_000 + 3_600_000;
  const lines: string[] = [];

  for (const h of data.highlights) {
    if (h.ms === 0) continue;
    const most = h.byDay.reduce((a, b) => (b.ms > a.ms ? b : a));
    const where = oneDay
      ? ''
      : h.byDay.length === 1
        ? ` on ${day(most.day)}`
        : `, most on ${day(most.day)} (${formatDuration(most.ms)})`;
    const threshold = formatValue(h.threshold, h.series.unit);
    lines.push(`${seriesName(h.series)} was ${h.direction} ${threshold} for ${formatDuration(h.ms)}${where}.`);
  }

  const metrics = [...new Set(data.series.map((s) => s.metric))];
  for (const metric of metrics) {
    const of = data.series.filter((s) => s.metric === metric);
    const high = of.reduce((a, b) => (b.max > a.max ? b : a));
    const low = of.reduce((a, b) => (b.min < a.min ? b : a));
    const words = metric === 'temperature' ? ['Warmest', 'coldest'] : [`Highest ${metric}`, 'lowest'];
    const highest = `${high.device}/${high.sensor} ${formatValue(high.max, high.unit)} (${at(high.maxAt)})`;
    const lowest = `${low.device}/${low.sensor} ${formatValue(low.min, low.unit)} (${at(low.minAt)})`;
    lines.push(`${words[0]}: ${highest}; ${words[1]}: ${lowest}.`);
    const compared = of.filter((s) => s.previous);
    if (compared.length > 0) {
      const mean = compared.reduce((n, s) => n + s.mean, 0) / compared.length;
      const before = compared.reduce((n, s) => n + s.previous!.mean, 0) / compared.length;
      const unit = compared[0]!.unit;
      // As the change is shown (formatDelta): "the same as" exactly when it shows as ±0.
      const change = roundReading(mean - before);
      const direction =
        change === 0
          ? 'the same as'
          : metric === 'temperature'
            ? change > 0
              ? 'warmer than'
              : 'colder than'
            : change > 0
              ? 'higher than'
              : 'lower than';
      const delta = change === 0 ? ',' : ` (${formatDelta(mean - before, unit)}),`;
      const partly =
        compared.length < of.length ? ` (${compared.length} of ${of.length} series had readings then)` : '';
      lines.push(
        `Mean ${metric} ${formatValue(mean, unit)}${delta} ${direction} ${data.period.previousName}${partly}.`,
      );
    }
  }

  const gaps = data.series.flatMap((s) => s.gaps.map((g) => ({ s, g })));
  if (gaps.length > 0) {
    const longest = gaps.reduce((a, b) => (b.g.ms > a.g.ms ? b : a));
    const where = `${longest.s.device}/${longest.s.sensor} ${longest.s.metric}`;
    const count = `${gaps.length} gap${gaps.length === 1 ? '' : 's'}`;
    lines.push(
      `${count} in the readings; the longest: ${where}, ${formatDuration(longest.g.ms)} from ${at(longest.g.from)}.`,
    );
  }
  for (const s of data.silent) lines.push(`No readings from ${seriesName(s)} in this period.`);

  const fired = data.alerts.filter((a) => a.kind === 'fired');
  const resolved = data.alerts.filter((a) => a.kind === 'resolved');
  if (data.alerts.length === 0) lines.push('No alerts.');
  else {
    const rules = fired.length ? ` (${[...new Set(fired.map((a) => a.rule))].join(', ')})` : '';
    lines.push(`${fired.length} alert${fired.length === 1 ? '' : 's'} fired and ${resolved.length} resolved${rules}.`);
  }

  const byDevice = new Map<string, number>();
  for (const o of data.offline)
    byDevice.set(o.device, (byDevice.get(o.device) ?? 0) + ((o.to ?? data.until).getTime() - o.from.getTime()));
  for (const [device, ms] of byDevice) {
    const spells = data.offline.filter((o) => o.device === device);
    const still = spells.some((o) => o.to === null);
    const times = spells.length === 1 ? 'once' : `${spells.length} times`;
    const stillNote = still ? ', and still is at the end of the period' : '';
    lines.push(`${device} was offline ${times}, ${formatDuration(ms)} in all${stillNote}.`);
  }
  if (data.series.length === 0 && data.silent.length === 0) lines.push("No series match this report's selection.");
  return lines;
}
