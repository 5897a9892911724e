import { pgp, type Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { SeriesNewest } from './engine.js';

/** alert_progress (sql/014_alert_progress.sql): how far each series has been judged, across restarts. */

const columns = new pgp.helpers.ColumnSet(['device', 'sensor', 'metric', { name: 'newest', cast: 'timestamptz' }]);
const saveSql = sqlFile('alerts', 'save-progress.sql');

export async function saveProgress(db: Pick<Db, 'none'>, rows: readonly SeriesNewest[]): Promise<void> {
  if (rows.length === 0) return;
  const values = pgp.helpers.values(rows.map((r) => ({ ...r, newest: new Date(r.newest) })), columns);
  await db.none(saveSql, { values });
}

export async function loadProgress(db: Db): Promise<SeriesNewest[]> {
  return db.map('SELECT device, sensor, metric, newest FROM alert_progress', [], (r: { device: string; sensor: string; metric: string; newest: Date }) => ({ ...r, newest: r.newest.getTime() }));
}
