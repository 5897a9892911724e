import { sentenceOf, type EventRow, type Reader } from '../alerts/words.js';
import type { Db } from '../shared/db.js';
import { safeText } from '../shared/text.js';
import { tierFor, type HistoryQuery } from './params.js';

/** The database side of the JSON API: one function per endpoint, each one query or two. */

export async function latest(db: Db) {
  return db.any(`SELECT l.device, l.sensor, l.metric, l.value, l.unit, l.ts, d.status, d.status_changed_at AS "statusChangedAt"
    FROM latest_readings l LEFT JOIN devices d USING (device)
    ORDER BY l.device, l.sensor, l.metric`);
}

const VIEWS = { '5m': 'readings_5m', '1h': 'readings_1h', '1d': 'readings_1d' } as const;

/**
 * One sensor's metrics over [from, to) from the tier that fits the range, column by column (what
 * uPlot draws: times in ms, then mean, min and max), so a year is a few hundred daily points.
 */
export async function history(db: Db, q: HistoryQuery) {
  const tier = tierFor(q.from, q.to);
  const args = [q.device, q.sensor, q.metric ?? null, q.from, q.to];
  const rows = tier === 'raw'
    ? await db.any<{ metric: string; unit: string | null; t: Date; avg: number; min: number; max: number }>(`
        SELECT metric, unit, ts AS t, value AS avg, value AS min, value AS max
        FROM pimonitor_readings_between($4, $5)
        WHERE device = $1 AND sensor = $2 AND ($3::text IS NULL OR metric = $3)
        ORDER BY metric, ts`, args)
    : await db.any<{ metric: string; unit: string | null; t: Date; avg: number; min: number; max: number }>(`
        SELECT metric, unit, bucket AS t, avg, min, max FROM $6:name
        WHERE device = $1 AND sensor = $2 AND ($3::text IS NULL OR metric = $3) AND bucket >= $4 AND bucket < $5
        ORDER BY metric, bucket`, [...args, VIEWS[tier]]);
  const series = new Map<string, { metric: string; unit: string | null; t: number[]; avg: number[]; min: number[]; max: number[] }>();
  for (const r of rows) {
    let s = series.get(r.metric);
    if (!s) series.set(r.metric, (s = { metric: r.metric, unit: r.unit, t: [], avg: [], min: [], max: [] }));
    s.t.push(r.t.getTime());
    s.avg.push(r.avg);
    s.min.push(r.min);
    s.max.push(r.max);
  }
  return { device: q.device, sensor: q.sensor, tier, from: q.from, to: q.to, series: [...series.values()] };
}

/**
 * Alerts now, and the latest events, each with `text`: its words in the reader's units and zone
 * (alerts/words.ts), and `reason` when it resolved other than by its condition. `message` stays, as stored.
 */
export async function alerts(db: Db, limit: number, reader: Reader) {
  const [active, rows] = await Promise.all([
    db.any(`SELECT rule, device, sensor, metric, phase, started_at AS "startedAt", fired_at AS "firedAt", value FROM alert_state ORDER BY started_at`),
    db.any<EventRow & { id: string; inhibited: boolean }>(`SELECT id, at, kind, rule, device, sensor, metric, severity, value, message, inhibited, started_at, reason, past_episode,
        condition, threshold_lo, threshold_hi, clear_lo, clear_hi, unit, template
      FROM alert_events ORDER BY id DESC LIMIT $1`, [limit]),
  ]);
  const events = rows.map((e) => ({
    id: e.id, at: e.at, kind: e.kind, rule: e.rule, device: e.device, sensor: e.sensor, metric: e.metric, severity: e.severity, value: e.value,
    message: e.message, inhibited: e.inhibited, reason: e.reason ?? null, pastEpisode: e.past_episode ?? false, text: sentenceOf(e, reader),
  }));
  return { active, events };
}

export async function rejected(db: Db, limit: number) {
  const rows = await db.any<{ received_at: Date; topic: string; code: string | null; reason: string; payload_bytes: number; payload: Buffer }>(
    'SELECT received_at, topic, code, reason, payload_bytes, substring(payload FROM 1 FOR 200) AS payload FROM rejected_messages ORDER BY id DESC LIMIT $1', [limit]);
  // The payload as text a page can show: cut, control characters and invalid UTF-8 made visible.
  return rows.map((r) => ({ receivedAt: r.received_at, topic: r.topic, code: r.code, reason: r.reason, bytes: r.payload_bytes, payload: safeText(r.payload.toString('utf8'), 200) }));
}
