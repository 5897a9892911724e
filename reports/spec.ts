import { Cron } from 'croner';
import { isName } from '../shared/contract.js';
import { durationField, parseNamedList, type Parsed } from '../shared/parse-helpers.js';
import { parseSelector, type Selector } from '../shared/selector.js';
import { isTimeZone, timeZoneProblem } from '../shared/time-zone.js';

/**
 * The reports of `reports.list` in the configuration file, checked at load with every problem named
 * (`report 1 ("morning"): schedule: …`). Pure: a value or problems, never an exception.
 */

export const PERIODS = ['last 24h', 'yesterday', 'last 7 days', 'last week', 'last month', 'last 30 days'] as const;
export type PeriodKind = (typeof PERIODS)[number];

export interface Highlight {
  select: Selector;
  /** Time spent above `above` or below `below` is told in words ("above 26 °C for 3 h 40 min"). */
  above?: number;
  below?: number;
}

export interface ReportSpec {
  name: string;
  /** Cron (5 or 6 fields, croner syntax) in `timeZone`. */
  schedule: string;
  /** Empty: reports.timeZone, else the system's. */
  timeZone?: string;
  period: PeriodKind;
  title: string;
  /** E-mail recipients; with `directory`, or instead of it. */
  to: string[];
  /** Where each run is also written (HTML with its images), for people without SMTP. */
  directory?: string;
  select: Selector[];
  gapMs: number;
  highlight: Highlight[];
  temperatureUnit: 'C' | 'F';
}

// Deliberately loose: the SMTP server is the judge; this catches a missing @ or a list in one string.
const ADDRESS = /^[^\s@,;<>]+@[^\s@,;<>]+$/;
const KEYS = [
  'name',
  'schedule',
  'timeZone',
  'period',
  'title',
  'to',
  'directory',
  'select',
  'gapsLongerThan',
  'highlight',
  'temperatureUnit',
];
const SELECT_HELP = 'device/sensor/metric';

export function parseReports(raw: unknown): Parsed<ReportSpec[]> {
  return parseNamedList(raw, 'reports.list', 'report', parseReport);
}

function parseReport(item: unknown, problems: string[]): ReportSpec | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    problems.push('must be an object with name, schedule, period and to (or directory)');
    return null;
  }
  const r = item as Record<string, unknown>;
  for (const key of Object.keys(r))
    if (!KEYS.includes(key)) problems.push(`${key}: not a report setting (settings: ${KEYS.join(', ')})`);
  const name = isName(r.name) ? r.name : '';
  if (!name) problems.push('name: must be 1 to 64 letters, digits, - or _ (it names files and the run history)');
  let timeZone: string | undefined;
  if (r.timeZone !== undefined) {
    if (typeof r.timeZone === 'string' && isTimeZone(r.timeZone)) timeZone = r.timeZone;
    else {
      problems.push(timeZoneProblem('timeZone:', r.timeZone));
    }
  }
  const schedule = typeof r.schedule === 'string' ? r.schedule.trim() : '';
  const scheduleProblem = cronProblem(schedule);
  if (scheduleProblem) problems.push(`schedule: ${scheduleProblem}`);
  const period = PERIODS.find((p) => p === r.period);
  if (!period) {
    const periods = PERIODS.map((p) => `"${p}"`).join(', ');
    problems.push(`period: must be one of ${periods} (was ${JSON.stringify(r.period)?.slice(0, 40)})`);
  }
  const to = parseRecipients(r.to, problems);
  let directory: string | undefined;
  if (r.directory !== undefined) {
    if (typeof r.directory === 'string' && r.directory.trim() && !r.directory.includes('\0')) directory = r.directory;
    else problems.push('directory: must be a path');
  }
  if (to.length === 0 && directory === undefined && r.to === undefined)
    problems.push('to: needs at least one e-mail address, or a directory to write the report to');
  let title = `${name} report`;
  if (r.title !== undefined) {
    if (typeof r.title === 'string' && r.title.trim() && r.title.length <= 200) title = r.title.trim();
    else problems.push('title: must be text of 1 to 200 characters');
  }
  const select =
    r.select === undefined ? [['#']] : listOf(r.select).map((s) => parseSelector(s, 3, SELECT_HELP, problems));
  if (select.length === 0) problems.push('select: must name at least one device/sensor/metric (# for everything)');
  const gapMs = durationField(r, 'gapsLongerThan', 30 * 60_000, problems);
  if (gapMs < 5 * 60_000) problems.push('gapsLongerThan: must be at least 5m (the report reads 5-minute rollups)');
  const highlight = listOf(r.highlight ?? []).map((h, i) => parseHighlight(h, i + 1, problems));
  const temperatureUnit = r.temperatureUnit === undefined ? 'C' : r.temperatureUnit;
  if (temperatureUnit !== 'C' && temperatureUnit !== 'F') problems.push('temperatureUnit: must be "C" or "F"');
  if (!name || !period) return null;
  return {
    name,
    schedule,
    ...(timeZone ? { timeZone } : {}),
    period,
    title,
    to,
    ...(directory !== undefined ? { directory } : {}),
    select,
    gapMs,
    highlight: highlight.filter((h): h is Highlight => h !== null),
    temperatureUnit: temperatureUnit === 'F' ? 'F' : 'C',
  };
}

/** Why croner refuses a pattern, or null. Its own message names the field ("Invalid value for minute: 61"). */
export function cronProblem(pattern: string): string | null {
  if (!pattern) return 'must be a cron pattern such as "0 7 * * *" (07:00 every day) or "0 8 * * 1" (Mondays 08:00)';
  if (pattern.length > 100) return 'is longer than 100 characters';
  try {
    const cron = new Cron(pattern, { paused: true });
    const next = cron.nextRun();
    cron.stop();
    return next ? null : `"${pattern}" never runs`;
  } catch (err) {
    return `"${pattern}": ${(err as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

function parseRecipients(raw: unknown, problems: string[]): string[] {
  if (raw === undefined) return [];
  const list = listOf(raw);
  const bad = list.filter((a) => typeof a !== 'string' || a.length > 254 || !ADDRESS.test(a));
  if (bad.length > 0 || list.length === 0) {
    const shown = bad.map((b) => JSON.stringify(b)?.slice(0, 60)).join(', ');
    problems.push(`to: must be e-mail addresses, one per list item${bad.length ? ` (not an address: ${shown})` : ''}`);
  }
  return bad.length === 0 ? (list as string[]) : [];
}

function parseHighlight(raw: unknown, n: number, problems: string[]): Highlight | null {
  const own: string[] = [];
  const h = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!h) own.push('must be an object with select and above or below');
  else {
    for (const key of Object.keys(h))
      if (!['select', 'above', 'below'].includes(key))
        own.push(`${key}: not a highlight setting (select, above, below)`);
    for (const key of ['above', 'below'])
      if (h[key] !== undefined && (typeof h[key] !== 'number' || !Number.isFinite(h[key])))
        own.push(`${key}: must be a number`);
    if (h.above === undefined && h.below === undefined) own.push('needs above or below');
  }
  const select = parseSelector(h?.select, 3, SELECT_HELP, own);
  problems.push(...own.map((p) => `highlight ${n}: ${p}`));
  if (own.length > 0 || !h) return null;
  return {
    select,
    ...(typeof h.above === 'number' ? { above: h.above } : {}),
    ...(typeof h.below === 'number' ? { below: h.below } : {}),
  };
}

const listOf = (raw: unknown): unknown[] => (Array.isArray(raw) ? raw : [raw]);
