import { Cron } from 'croner';
import { wallClockOf, wallClockToInstant } from '../shared/time-zone.js';
import type { PeriodKind } from './spec.js';

/** What a run covers, and when runs are due. Pure: instants in, instants out, the time zone named. */

export interface Period {
  from: Date;
  to: Date;
  /** The period before, of the same kind, for "warmer than the week before". */
  previousFrom: Date;
  previousTo: Date;
  /** "Tuesday 24 November 2026", "week of 16 November 2026", "October 2026", "24 hours to 25 Nov 07:00". */
  label: string;
  /** Called in the text: "than the day before", "than the week before". */
  previousName: string;
}

const DAY = 86_400_000;
const FIVE_MIN = 300_000;

/** The local midnight `days` days after the one starting the local day of `instant`. */
function midnight(instant: number, tz: string, days = 0): number {
  const wall = new Date(wallClockOf(instant, tz));
  return wallClockToInstant(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() + days), tz);
}

/** The local midnight starting the month `months` months after the month of `instant`. */
function monthStart(instant: number, tz: string, months = 0): number {
  const wall = new Date(wallClockOf(instant, tz));
  return wallClockToInstant(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + months, 1), tz);
}

/** The period a report of `kind` run at `runAt` covers: whole local days, weeks (Monday first) or months. */
export function periodOf(kind: PeriodKind, runAt: Date, tz: string): Period {
  const t = runAt.getTime();
  const fmt = (ms: number, options: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: tz, ...options }).format(ms);
  switch (kind) {
    case 'last 24h': {
      const to = Math.floor(t / FIVE_MIN) * FIVE_MIN;
      const end = fmt(to, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
      return make(to - DAY, to, to - 2 * DAY, to - DAY, `24 hours to ${end}`, 'the 24 hours before');
    }
    case 'yesterday': {
      const to = midnight(t, tz);
      const from = midnight(t, tz, -1);
      const day = fmt(from, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
      return make(from, to, midnight(t, tz, -2), from, day, 'the day before');
    }
    case 'last 7 days':
    case 'last 30 days': {
      const days = kind === 'last 7 days' ? 7 : 30;
      const to = midnight(t, tz);
      const from = midnight(t, tz, -days);
      const span = `${fmt(from, { day: 'numeric', month: 'short' })} to `
        + fmt(to - 1, { day: 'numeric', month: 'short', year: 'numeric' });
      return make(from, to, midnight(t, tz, -2 * days), from, span, `the ${days} days before`);
    }
    case 'last week': {
      const weekday = (new Date(wallClockOf(t, tz)).getUTCDay() + 6) % 7; // Monday 0
      const to = midnight(t, tz, -weekday);
      const from = midnight(t, tz, -weekday - 7);
      const week = `week of ${fmt(from, { day: 'numeric', month: 'long', year: 'numeric' })}`;
      return make(from, to, midnight(t, tz, -weekday - 14), from, week, 'the week before');
    }
    case 'last month': {
      const to = monthStart(t, tz);
      const from = monthStart(t, tz, -1);
      const month = fmt(from, { month: 'long', year: 'numeric' });
      return make(from, to, monthStart(t, tz, -2), from, month, 'the month before');
    }
  }
}

function make(
  from: number,
  to: number,
  previousFrom: number,
  previousTo: number,
  label: string,
  previousName: string,
): Period {
  return {
    from: new Date(from),
    to: new Date(to),
    previousFrom: new Date(previousFrom),
    previousTo: new Date(previousTo),
    label,
    previousName,
  };
}

/**
 * The first run of `schedule` in `tz` strictly after `after`, or null when there is none. croner is
 * DST-safe: a 07:00 report runs once on the days clocks change; a 02:30 one runs at 03:00 on the
 * spring-forward day (the gap) and once, at the first 02:30, on the fall-back day.
 */
export function nextRunAfter(schedule: string, tz: string, after: Date): Date | null {
  const cron = new Cron(schedule, { timezone: tz, paused: true });
  try {
    return cron.nextRun(after);
  } finally {
    cron.stop();
  }
}

/**
 * Which run is due now, given the newest recorded one: the latest scheduled instant that has passed
 * since it (runs missed while the scheduler was down collapse into that one, and `missed` counts the
 * others), or none. With no run recorded, nothing is due: a new report waits for its first time.
 */
export function dueRun(
  schedule: string,
  tz: string,
  lastScheduled: Date | null,
  now: Date,
): { scheduledFor: Date; missed: number } | null {
  if (!lastScheduled) return null;
  const after = (instant: Date) => nextRunAfter(schedule, tz, instant);
  let due: Date | null = null;
  let missed = -1;
  for (let next = after(lastScheduled); next && next <= now; next = after(next)) {
    due = next;
    // A minutely schedule down for a month would loop for long; its missed runs are not worth counting.
    if (++missed > 1000) {
      missed = 1000;
      let latest = due;
      for (let run = after(new Date(now.getTime() - DAY)); run && run <= now; run = after(run)) latest = run;
      due = latest;
      break;
    }
  }
  return due ? { scheduledFor: due, missed: Math.max(0, missed) } : null;
}
