import type { ParsedWithReason } from '../shared/parse-helpers.js';
import { isTimeZone, timeZoneProblem } from '../shared/time-zone.js';
import { EVERY, type Every, type ExportQuery } from '../storage/export.js';
import { FORMATS, type Format } from '../storage/export-format.js';
import { parseTimeArg } from './time-args.js';

export interface ExportOptions {
  from?: string;
  to?: string;
  device?: string;
  sensor?: string;
  metric?: string;
  every?: string;
  format?: string;
  out?: string;
  tz?: string;
}

export interface ExportPlan {
  query: ExportQuery;
  format: Format;
  tz: string;
  out?: string;
}

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** The options of `pimonitor export` checked and resolved, or every problem with them named. Pure. */
export function parseExportOptions(o: ExportOptions, now: Date, defaultTz: string): ParsedWithReason<ExportPlan> {
  const problems: string[] = [];
  const tz = o.tz ?? defaultTz;
  if (!isTimeZone(tz)) problems.push(timeZoneProblem('--tz', tz));
  const zone = isTimeZone(tz) ? tz : 'UTC';
  const time = (flag: string, text: string) => {
    const parsed = parseTimeArg(text, now, zone);
    if (!parsed.ok) problems.push(`--${flag}: ${parsed.reason}`);
    return parsed.ok ? parsed.value : now;
  };
  const from = time('from', o.from ?? '-1d');
  const to = time('to', o.to ?? 'now');
  if (from >= to && problems.length === 0)
    problems.push(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const every = o.every ?? 'raw';
  if (!(EVERY as readonly string[]).includes(every))
    problems.push(`--every "${every.slice(0, 20)}" is not one of ${EVERY.join(', ')}`);
  const format = o.format ?? 'csv';
  if (!(FORMATS as readonly string[]).includes(format))
    problems.push(`--format "${format.slice(0, 20)}" is not one of ${FORMATS.join(', ')}`);
  for (const [flag, names] of [
    ['device', list(o.device)],
    ['sensor', list(o.sensor)],
    ['metric', list(o.metric)],
  ] as const) {
    if (names && names.length === 0) problems.push(`--${flag} needs at least one name`);
  }
  if (o.out !== undefined && o.out.trim() === '') problems.push('--out needs a file name');
  if (problems.length > 0) return { ok: false, reason: problems.join('\n') };
  return {
    ok: true,
    value: {
      query: {
        from,
        to,
        every: every as Every,
        devices: list(o.device),
        sensors: list(o.sensor),
        metrics: list(o.metric),
      },
      format: format as Format,
      tz: zone,
      out: o.out,
    },
  };
}
