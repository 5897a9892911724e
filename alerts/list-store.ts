import type { Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { EventRow } from './words.js';

/** What `pimonitor alerts list` shows: the alerts active now, and the latest events with their notifications. */

const sql = {
  active: sqlFile('alerts', 'list-active.sql'),
  events: sqlFile('alerts', 'list-events.sql'),
};

export interface ActiveRow {
  rule: string;
  device: string;
  sensor: string;
  metric: string;
  phase: string;
  started_at: Date;
  value: number;
}

/** An event, with how many of its notifications were sent and how many wait. */
export type ListedEvent = EventRow & { inhibited: boolean; sent: number; pending: number };

export async function listAlerts(db: Db, latest = 20): Promise<{ active: ActiveRow[]; rows: ListedEvent[] }> {
  return {
    active: await db.any<ActiveRow>(sql.active),
    rows: await db.any<ListedEvent>(sql.events, { limit: latest }),
  };
}
