import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addAccount, listAccounts, rotateAccount } from '../broker/accounts.js';
import type { Db } from '../shared/db.js';

/**
 * The MQTT account of a worker that `pimonitor up` runs (ingest, alerts, web: `purpose`). It is managed
 * (it does not switch the broker to "login required"), and its password lives in DATA_DIR/secrets,
 * readable by us alone.
 */
export async function upCredentials(
  db: Db,
  dataDir: string,
  role: 'ingest' | 'alerts' | 'reader',
  purpose: string = role,
): Promise<{ username: string; password: string }> {
  const accountName = `pimonitor-up-${purpose}`;
  const file = join(dataDir, 'secrets', `${accountName}.password`);
  const exists = (await listAccounts(db)).some((account) => account.name === accountName);
  if (exists) {
    try {
      return { username: accountName, password: readFileSync(file, 'utf8').trim() };
    } catch {
      // The secret is gone (a new DATA_DIR): give the account a new password.
    }
  }
  const password = exists ? await rotateAccount(db, accountName) : await addAccount(db, accountName, role, 'up');
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  writeFileSync(file, password, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { username: accountName, password };
}
