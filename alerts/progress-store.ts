import { pgp, type Db } from '../shared/db.js';
import { sqlFile } from '../shared/sql-file.js';
import type { SeriesNewest } from './progress.js';

/** alert_progress (sql/014_alert_progress.sql): how far each series has been judged, across restarts. */

const columns = new pgp.helpers.ColumnSet(['device', 'sensor', 'metric', { name: 'newest', cast: 'timestamptz' }]);
const sql = {
  save: sqlFile('alerts', 'save-progress.sql'),
  load: sqlFile('alerts', 'load-progress.sql'),
};

export async function saveProgress(db: Pick<Db, 'none'>, rows: readonly SeriesNewest[]): Promise<void> {
  if (rows.length === 0) return;
  const values = pgp.helpers.values(rows.map((row) => ({ ...row, newest: new Date(row.newest) })), columns);
  await db.none(sql.save, { values });
}

export async function loadProgress(db: Db): Promise<SeriesNewest[]> {
  return db.map(sql.load, [], (row: { device: string; sensor: string; metric: string; newest: Date }) =>
    ({ ...row, newest: row.newest.getTime() }));
}
