import { sentenceOf, type EventRow, type Reader } from '../alerts/words.js';
import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import { safeText } from '../shared/text.js';
import { tierFor, type HistoryQuery } from './params.js';

/** The database side of the JSON API: one function per endpoint, each one query or two. */

const latestSql = sqlFile('web', 'latest.sql');
const historyRaw = sqlFile('web', 'history-raw.sql');
const historyRollups = sqlFile('web', 'history-rollups.sql');
const activeAlerts = sqlFile('web', 'active-alerts.sql');
const alertEvents = sqlFile('web', 'alert-events.sql');
const rejectedSql = sqlFile('web', 'rejected.sql');

export async function latest(db: Db) {
  return db.any(latestSql);
}

const VIEWS = { '5m': 'readings_5m', '1h': 'readings_1h', '1d': 'readings_1d' } as const;

interface HistoryRow { metric: string; unit: string | null; t: Date; avg: number; min: number; max: number }
interface HistorySeries {
  metric: string; unit: string | null; t: number[]; avg: number[]; min: number[]; max: number[];
}

/**
 * One sensor's metrics over [from, to) from the tier that fits the range, column by column (what
 * uPlot draws: times in ms, then mean, min and max), so a year is a few hundred daily points.
 */
export async function history(db: Db, query: HistoryQuery) {
  const tier = tierFor(query.from, query.to);
  const { device, sensor, from, to } = query;
  const params = { device, sensor, metric: query.metric ?? null, from, to };
  const rows = tier === 'raw'
    ? await db.any<HistoryRow>(historyRaw, params)
    : await db.any<HistoryRow>(historyRollups, { ...params, view: VIEWS[tier] });
  const series = new Map<string, HistorySeries>();
  for (const row of rows) {
    let metric = series.get(row.metric);
    if (!metric) {
      metric = { metric: row.metric, unit: row.unit, t: [], avg: [], min: [], max: [] };
      series.set(row.metric, metric);
    }
    metric.t.push(row.t.getTime());
    metric.avg.push(row.avg);
    metric.min.push(row.min);
    metric.max.push(row.max);
  }
  return { device, sensor, tier, from, to, series: [...series.values()] };
}

/**
 * Alerts now, and the latest events, each with `text`: its words in the reader's units and zone
 * (alerts/words.ts), and `reason` when it resolved other than by its condition. `message` stays, as stored.
 */
export async function alerts(db: Db, limit: number, reader: Reader) {
  const [active, rows] = await Promise.all([
    db.any(activeAlerts),
    db.any<EventRow & { id: string; inhibited: boolean }>(alertEvents, { limit }),
  ]);
  const events = rows.map((event) => ({
    id: event.id, at: event.at, kind: event.kind, rule: event.rule, device: event.device, sensor: event.sensor,
    metric: event.metric, severity: event.severity, value: event.value, message: event.message,
    inhibited: event.inhibited, reason: event.reason ?? null, pastEpisode: event.past_episode ?? false,
    text: sentenceOf(event, reader),
  }));
  return { active, events };
}

interface RejectedRow {
  received_at: Date; topic: string; code: string | null; reason: string; payload_bytes: number; payload: Buffer;
}

export async function rejected(db: Db, limit: number) {
  const rows = await db.any<RejectedRow>(rejectedSql, { limit });
  // The payload as text a page can show: cut, control characters and invalid UTF-8 made visible.
  return rows.map((row) => ({
    receivedAt: row.received_at, topic: row.topic, code: row.code, reason: row.reason, bytes: row.payload_bytes,
    payload: safeText(row.payload.toString('utf8'), 200),
  }));
}
