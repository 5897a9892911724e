import { join } from 'node:path';
import { pgp } from './db.js';
import { SQL_DIR } from './paths.js';

/**
 * A query from `sql/<folder>/<name>`, loaded once at import (pg-promise QueryFile, minified); a file
 * that cannot be read or parsed fails the import, not the first query.
 */
export function sqlFile(folder: string, name: string): InstanceType<typeof pgp.QueryFile> {
  const file = new pgp.QueryFile(join(SQL_DIR, folder, name), { minify: true, noWarnings: true });
  if (file.error) throw file.error;
  return file;
}
