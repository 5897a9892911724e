import type { Command } from 'commander';
import { configOption } from './options.js';
import type { LoadedConfig } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { withMigratedDatabase } from './with-database.js';

const ROLE_HELP = 'device (publishes its own readings), ingest, alerts, or reader (Home Assistant, Node-RED)';

/** `pimonitor device add|list|revoke|rotate`: MQTT accounts in the database the broker reads. */
export function addDeviceCommands(program: Command, load: (o: { config?: string }) => LoadedConfig): void {
  const device = program.command('device').description('manage MQTT accounts: devices and service accounts');
  const withDb = async <T>(o: { config?: string }, work: (db: import('../shared/db.js').Db) => Promise<T>): Promise<T> => {
    const { AccountError } = await import('../broker/accounts.js');
    return withMigratedDatabase(load(o).config, 'pimonitor-device', (db) => work(db)).catch((err: unknown) => {
      throw err instanceof AccountError ? new ExpectedError(err.message) : err;
    });
  };
  const accounts = () => import('../broker/accounts.js');

  device
    .command('add <name>')
    .description('create an account and print its password (shown once)')
    .option('-r, --role <role>', ROLE_HELP, 'device')
    .addOption(configOption())
    .action(async (name: string, o: { role: string; config?: string }) => {
      const password = await withDb(o, async (db) => (await accounts()).addAccount(db, name, o.role as never));
      console.log(`account ${name} (${o.role}) created. Its password, shown only now:\n\n  ${password}\n`);
      console.log(o.role === 'device'
        ? `On the node: MQTT_USERNAME=${name} MQTT_PASSWORD='${password}', or "mqtt": {"username": "${name}", "password": "…"} in node.json.\nIt may publish only to home/${name}/#.`
        : `Give it to the ${o.role} client as its MQTT user name and password.`);
      console.log('From now on every MQTT client must log in (anonymous access ends with the first account).');
    });

  device
    .command('list')
    .description('list accounts')
    .addOption(configOption())
    .action(async (o: { config?: string }) => {
      const rows = await withDb(o, (db) =>
        db.any<{ name: string; role: string; created_at: Date; rotated_at: Date | null; revoked_at: Date | null; managed_by: string | null }>(
          'SELECT name, role, created_at, rotated_at, revoked_at, managed_by FROM mqtt_accounts ORDER BY name'));
      if (rows.length === 0) return console.log('no accounts: anonymous clients are accepted on loopback only. Add one with `pimonitor device add <name>`.');
      const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '-');
      console.log(['name', 'role', 'created', 'rotated', 'state'].join('\t'));
      for (const r of rows) {
        console.log([r.name, r.role, day(r.created_at), day(r.rotated_at), r.revoked_at ? `revoked ${day(r.revoked_at)}` : r.managed_by ? `active (managed by ${r.managed_by})` : 'active'].join('\t'));
      }
    });

  device
    .command('revoke <name>')
    .description('revoke an account; its clients are disconnected within seconds')
    .addOption(configOption())
    .action(async (name: string, o: { config?: string }) => {
      await withDb(o, async (db) => (await accounts()).revokeAccount(db, name));
      console.log(`account ${name} revoked`);
    });

  device
    .command('rotate <name>')
    .description('give an account a new password (printed once); the old one stops working')
    .addOption(configOption())
    .action(async (name: string, o: { config?: string }) => {
      const password = await withDb(o, async (db) => (await accounts()).rotateAccount(db, name));
      console.log(`new password for ${name}, shown only now:\n\n  ${password}\n`);
    });
}
