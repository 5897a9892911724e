import type { Db } from '../../shared/db.js';
import { writeBatch, type Sample } from './storage.js';

/**
 * A known house for report tests, around the night clocks went forward in Berlin (29 March 2026, a
 * 23-hour day): kitchen (temperature and humidity every minute, 47 minutes missing), attic (every
 * 2 minutes, offline for an hour), cellar (readings the day before only), two alert events (one
 * before the day), all written through ingest's batch path and rolled up.
 */
export const REPORT_TZ = 'Europe/Berlin';
/** Monday 30 March 07:00 Berlin: a `yesterday` report covers Sunday 29 March, 22:00Z to 22:00Z (23 h). */
export const RUN_AT = new Date('2026-03-30T05:00:00Z');
export const DAY_FROM = new Date('2026-03-28T23:00:00Z');
export const DAY_TO = new Date('2026-03-29T22:00:00Z');
export const GAP = { from: new Date('2026-03-29T10:00:00Z'), to: new Date('2026-03-29T10:47:00Z') };

const START = new Date('2026-03-27T23:00:00Z').getTime(); // Saturday's local midnight: the day before too
const MINUTE = 60_000;

/** Deterministic values: a daily wave and a small wobble. */
const wave = (t: number, base: number, amplitude: number) =>
  base + amplitude * Math.sin(((t - START) / 86_400_000) * 2 * Math.PI - 2) + ((t / MINUTE) % 7) * 0.05;

export async function seedHouse(db: Db): Promise<void> {
  const samples: Sample[] = [];
  for (let t = START; t < DAY_TO.getTime(); t += MINUTE) {
    const inGap = t >= GAP.from.getTime() && t < GAP.to.getTime();
    if (!inGap) {
      samples.push({
        device: 'kitchen', metric: 'temperature', ts: new Date(t), value: Math.round(wave(t, 22, 3) * 100) / 100,
      });
      samples.push({
        device: 'kitchen', metric: 'humidity', ts: new Date(t), value: Math.round(wave(t, 50, -8) * 10) / 10,
      });
    }
    if ((t - START) % (2 * MINUTE) === 0)
      samples.push({
        device: 'attic', metric: 'temperature', ts: new Date(t), value: Math.round(wave(t, 27, 4) * 100) / 100,
      });
    if (t < DAY_FROM.getTime() && (t - START) % (10 * MINUTE) === 0)
      samples.push({ device: 'cellar', metric: 'temperature', ts: new Date(t), value: 11 });
  }
  for (let i = 0; i < samples.length; i += 5000) await writeBatch(db, samples.slice(i, i + 5000));
  await db.one('SELECT pimonitor_rollup(1000000)');
  await db.none(`INSERT INTO alert_events (at, kind, rule, device, sensor, metric, severity, value, message, ` +
    `started_at, fired_at) VALUES
    ('2026-03-28T15:00:00Z', 'fired', 'attic-hot', 'attic', 'dht22', 'temperature', 'warning', 30.5, 'the day ` +
      `before: not in the report', '2026-03-28T14:55:00Z', '2026-03-28T15:00:00Z'),
    ('2026-03-29T13:05:00Z', 'fired', 'attic-hot', 'attic', 'dht22', 'temperature', 'critical', 30.9, 'attic/dht22 ` +
      `temperature 30.9 °C above 30 °C for 5 min', '2026-03-29T13:00:00Z', '2026-03-29T13:05:00Z'),
    ('2026-03-29T16:20:00Z', 'resolved', 'attic-hot', 'attic', 'dht22', 'temperature', 'critical', 29.1, ` +
      `'attic/dht22 temperature back to 29.1 °C', '2026-03-29T13:00:00Z', '2026-03-29T13:05:00Z')`);
  // Status changes as ingest writes them (the trigger keeps the log).
  await db.none(
    "UPDATE devices SET status = 'online', status_changed_at = '2026-03-28T08:00:00Z' WHERE device = 'attic'",
  );
  await db.none(
    "UPDATE devices SET status = 'offline', status_changed_at = '2026-03-29T12:00:00Z' WHERE device = 'attic'",
  );
  await db.none(
    "UPDATE devices SET status = 'online', status_changed_at = '2026-03-29T13:00:00Z' WHERE device = 'attic'",
  );
}

export interface Expected {
  device: string; metric: string; count: number; mean: number; min: number; max: number; min_at: Date; max_at: Date;
  last: number;
}

/** The statistics of [from, to) straight from the raw readings: what a report must say. */
export async function expectedStats(db: Db, from: Date, to: Date): Promise<Expected[]> {
  return db.any<Expected>(`
    SELECT s.device, s.metric, count(*)::int AS count, avg(r.value) AS mean, min(r.value) AS min, max(r.value) AS max,
      (array_agg(r.ts ORDER BY r.value, r.ts))[1] AS min_at, (array_agg(r.ts ORDER BY r.value DESC, r.ts))[1] AS max_at,
      (array_agg(r.value ORDER BY r.ts DESC))[1] AS last
    FROM readings_raw r JOIN series s ON s.id = r.series_id
    WHERE r.ts >= $1 AND r.ts < $2 GROUP BY s.device, s.metric ORDER BY s.device, s.metric`, [from, to]);
}
