import type { Command } from 'commander';
import { configOption } from './options.js';
import type { LoadedConfig } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { formatDay } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';
import { addDeviceExportCommand } from './device-export.js';

const ROLE_HELP = 'device (publishes its own readings), ingest, alerts, or reader (Home Assistant, Node-RED)';
const KIND_HELP = 'what the device runs: pimonitor (home/<name>/#), '
  + 'tasmota (tele/<name>/#, stat/<name>/#; name = its Topic), zigbee2mqtt (<name>/#; name = its base topic), '
  + 'esphome (<name>/#; name = its topic prefix) or shelly (<name>/#; name = its MQTT prefix)';

/** Where a new device account's credentials go, and what it may publish, per kind. */
function deviceHint(name: string, kind: string, password: string): string {
  switch (kind) {
    case 'tasmota':
      return `In Tasmota (Configuration → MQTT, or the console): Backlog MqttUser ${name}; MqttPassword ${password}; `
        + `Topic ${name}\nIt may publish to tele/${name}/# and stat/${name}/#. `
        + 'Add "tasmota" to INGEST_SOURCES to store its readings.';
    case 'zigbee2mqtt': {
      const source = name === 'zigbee2mqtt' ? '"zigbee2mqtt"' : `{"preset": "zigbee2mqtt", "prefix": "${name}"}`;
      return `In Zigbee2MQTT's configuration.yaml: mqtt: {base_topic: ${name}, user: ${name}, password: '${password}'}`
        + `\nIt may publish to ${name}/# and homeassistant/#. Add ${source} to INGEST_SOURCES.`;
    }
    case 'esphome':
      return `In the node's YAML: mqtt: {username: ${name}, password: '${password}', topic_prefix: ${name}}`
        + `\nIt may publish to ${name}/#. Add "esphome" to INGEST_SOURCES.`;
    case 'shelly':
      return `In the Shelly's web page (Settings → MQTT): user ${name}, password as above, MQTT prefix ${name}; `
        + `turn on "Generic status update over MQTT"\nIt may publish to ${name}/#. Add "shelly" to INGEST_SOURCES.`;
    default:
      return `On the node: MQTT_USERNAME=${name} MQTT_PASSWORD='${password}', `
        + `or "mqtt": {"username": "${name}", "password": "…"} in node.json.\nIt may publish only to home/${name}/#.`;
  }
}

/** `pimonitor device add|list|revoke|rotate`: MQTT accounts in the database the broker reads. */
export function addDeviceCommands(program: Command, load: (o: { config?: string }) => LoadedConfig): void {
  const device = program.command('device').description('manage MQTT accounts: devices and service accounts');
  type Db = import('../shared/db.js').Db;
  const withDb = async <T>(o: { config?: string }, work: (db: Db) => Promise<T>): Promise<T> => {
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
    .option('-k, --kind <kind>', KIND_HELP, 'pimonitor')
    .addOption(configOption())
    .action(async (name: string, o: { role: string; kind: string; config?: string }) => {
      const password = await withDb(o, async (db) =>
        (await accounts()).addAccount(db, name, o.role as never, null, o.kind as never));
      const what = `${o.role}${o.kind === 'pimonitor' ? '' : `, ${o.kind}`}`;
      console.log(`account ${name} (${what}) created. Its password, shown only now:\n\n  ${password}\n`);
      console.log(o.role === 'device'
        ? deviceHint(name, o.kind, password) : `Give it to the ${o.role} client as its MQTT user name and password.`);
      console.log('From now on every MQTT client must log in (anonymous access ends with the first account).');
    });

  device
    .command('list')
    .description('list accounts')
    .addOption(configOption())
    .action(async (o: { config?: string }) => {
      const rows = await withDb(o, async (db) => (await accounts()).listAllAccounts(db));
      if (rows.length === 0) {
        return console.log(
          'no accounts: anonymous clients are accepted on loopback only. Add one with `pimonitor device add <name>`.',
        );
      }
      const day = (d: Date | null) => (d ? formatDay(d) : '-');
      console.log(['name', 'role', 'kind', 'created', 'rotated', 'state'].join('\t'));
      for (const r of rows) {
        const state = r.revoked_at
          ? `revoked ${day(r.revoked_at)}` : r.managed_by ? `active (managed by ${r.managed_by})` : 'active';
        const kind = r.role === 'device' ? r.kind : '-';
        console.log([r.name, r.role, kind, day(r.created_at), day(r.rotated_at), state].join('\t'));
      }
    });

  device
    .command('revoke <name>')
    .description('revoke an account; its clients are disconnected, and its client ids, retained topics and devices '
      + 'released for others, within seconds')
    .addOption(configOption())
    .action(async (name: string, o: { config?: string }) => {
      await withDb(o, async (db) => (await accounts()).revokeAccount(db, name));
      console.log(`account ${name} revoked: within 5 s the broker disconnects its clients and releases its client ids, `
        + 'retained topics and devices');
    });

  device
    .command('rotate <name>')
    .description('give an account a new password (printed once); the old one stops working')
    .addOption(configOption())
    .action(async (name: string, o: { config?: string }) => {
      const password = await withDb(o, async (db) => (await accounts()).rotateAccount(db, name));
      console.log(`new password for ${name}, shown only now:\n\n  ${password}\n`);
    });

  addDeviceExportCommand(device, load);
}
