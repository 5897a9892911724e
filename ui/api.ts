/** The JSON API of `pimonitor web` (docs/dashboard.md), typed as the page uses it. */

export interface Latest {
  device: string;
  sensor: string;
  metric: string;
  value: number;
  unit: string | null;
  ts: string;
  status: string | null;
}
export interface SensorDiag {
  attempts: number;
  readings: number;
  failures: Record<string, number>;
  lastError: { kind: string; message: string; at: string | null } | null;
}
export interface Device {
  device: string;
  firstSeen: string;
  lastSeen: string;
  status: string | null;
  sensors: string[];
  series: number;
  values: number;
  rawValues: number;
  bytes: number;
  diag: Record<string, SensorDiag>;
}
export interface HistorySeries {
  metric: string;
  unit: string | null;
  t: number[];
  avg: number[];
  min: number[];
  max: number[];
}
/** from, to: the range asked for (ISO 8601), which the chart spans however few readings are in it. */
export interface History {
  device: string;
  sensor: string;
  tier: string;
  from: string;
  to: string;
  series: HistorySeries[];
}
export interface AlertState {
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  phase: string;
  startedAt: string;
  value: number;
}
/** text: the event in words (the server's alerts/words.ts); reason: why it resolved, when not by its condition. */
export interface AlertEvent {
  id: number;
  at: string;
  kind: string;
  rule: string;
  device: string;
  severity: string;
  value: number | null;
  message: string;
  text: string;
  reason: string | null;
  pastEpisode: boolean;
  inhibited: boolean;
}
export interface Rejected {
  receivedAt: string;
  topic: string;
  code: string | null;
  reason: string;
  bytes: number;
  payload: string;
}

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}

/**
 * /api/alerts worded in this browser's time zone, as the page's other times are (alerts/words.ts says a
 * past episode's "from 12:00 to 12:09" in the zone it is given); a zone the server does not know is
 * answered 400, and then the server's own zone is used rather than no page.
 */
export async function alerts<T>(limit: number): Promise<T> {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const plain = `/api/alerts?limit=${limit}`;
  return zone ? get<T>(`${plain}&tz=${encodeURIComponent(zone)}`).catch(() => get<T>(plain)) : get<T>(plain);
}

export const history = (device: string, sensor: string, from: string, metric?: string, to?: string) => {
  const query = new URLSearchParams({ device, sensor, from, ...(metric ? { metric } : {}), ...(to ? { to } : {}) });
  return get<History>(`/api/history?${query}`);
};
