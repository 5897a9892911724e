import { MAX_REASON_CHARS, unitOf } from '../shared/contract.js';
import { safeText } from '../shared/text.js';
import type { Entry } from './entries.js';

/** Rejected payloads are kept for diagnosis, not archived: the first 4 KiB tell what went wrong. */
export const REJECTED_PAYLOAD_KEEP_BYTES = 4096;
/** MQTT allows 64 KiB topics; the broker's limit is far lower, and a topic is shown, not parsed, here. */
const REJECTED_TOPIC_KEEP_CHARS = 1024;

export interface ReadingRow { ts: Date; device: string; sensor: string; metric: string; value: number }
export interface SeriesRow {
  device: string; sensor: string; metric: string; unit: string | null;
  first_ts: Date; last_ts: Date; last_value: number;
}
export interface DeviceRow {
  device: string; first_seen: Date; last_seen: Date; status: string | null; status_changed_at: Date | null;
}
export interface RejectedRow {
  received_at: Date; topic: string; payload: Buffer; payload_bytes: number; code: string; reason: string;
}

export interface BatchRows {
  readings: ReadingRow[];
  series: SeriesRow[];
  devices: DeviceRow[];
  rejected: RejectedRow[];
}

/**
 * Turns a batch of entries into rows, one per table. Series and devices are folded to one row per key,
 * because one INSERT ... ON CONFLICT DO UPDATE may not touch the same row twice.
 */
export function toRows(entries: readonly Entry[]): BatchRows {
  const readings: ReadingRow[] = [];
  const devices = new Map<string, DeviceRow>();
  const rejected: RejectedRow[] = [];

  const seeDevice = (device: string, at: Date): DeviceRow => {
    let row = devices.get(device);
    if (!row) {
      row = { device, first_seen: at, last_seen: at, status: null, status_changed_at: null };
      devices.set(device, row);
    }
    if (at < row.first_seen) row.first_seen = at;
    if (at > row.last_seen) row.last_seen = at;
    return row;
  };

  for (const entry of entries) {
    switch (entry.kind) {
      case 'readings':
        for (const { device, sensor, ts, metrics } of entry.readings) {
          seeDevice(device, entry.receivedAt);
          for (const { metric, value } of metrics) readings.push({ ts, device, sensor, metric, value });
        }
        // Part of the message was refused (ingest/series-quota.ts): the whole message is kept as a rejection too.
        if (entry.refused) rejected.push(rejectedRow({ ...entry.refused, receivedAt: entry.receivedAt }));
        break;
      case 'ignored':
        break;
      case 'status': {
        const row = seeDevice(entry.device, entry.receivedAt);
        if (!row.status_changed_at || entry.receivedAt >= row.status_changed_at) {
          row.status = entry.status;
          row.status_changed_at = entry.receivedAt;
        }
        break;
      }
      case 'rejected':
        rejected.push(rejectedRow(entry));
        break;
    }
  }
  const byDevice = [...devices.values()].sort((a, b) => byCodeUnits(a.device, b.device));
  return { readings, series: foldSeries(readings), devices: byDevice, rejected };
}

function rejectedRow(
  r: { topic: string; payload: Buffer; code: string; reason: string; receivedAt: Date },
): RejectedRow {
  return {
    received_at: r.receivedAt,
    // The payload is bytea and kept as it came; the texts are made storable (no NUL, valid UTF-8).
    topic: safeText(r.topic, REJECTED_TOPIC_KEEP_CHARS),
    payload: r.payload.subarray(0, REJECTED_PAYLOAD_KEEP_BYTES),
    payload_bytes: r.payload.length,
    code: r.code,
    reason: safeText(r.reason, MAX_REASON_CHARS + 500),
  };
}

/**
 * A series as one map key. Names cannot contain NUL (the contract allows A-Z a-z 0-9 _ -), so it separates
 * them safely.
 */
export const seriesKey = (device: string, sensor: string, metric: string) => `${device}\0${sensor}\0${metric}`;

/** One row per series with the widest times and the newest value. */
export function foldSeries(readings: readonly ReadingRow[]): SeriesRow[] {
  const series = new Map<string, SeriesRow>();
  for (const { ts, device, sensor, metric, value } of readings) {
    const key = seriesKey(device, sensor, metric);
    const s = series.get(key);
    if (!s) {
      series.set(key, { device, sensor, metric, unit: unitOf(metric), first_ts: ts, last_ts: ts, last_value: value });
    } else {
      if (ts < s.first_ts) s.first_ts = ts;
      // Strictly newer: on a tie the first delivery stays, as in readings_raw.
      if (ts > s.last_ts) {
        s.last_ts = ts;
        s.last_value = value;
      }
    }
  }
  // In key order, so two workers upserting overlapping series lock the rows in the same order and
  // cannot deadlock.
  return [...series.entries()].sort(([a], [b]) => byCodeUnits(a, b)).map(([, row]) => row);
}

/** Plain string order (not the locale's): all that matters is that every worker uses the same one. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
