import type { Command } from 'commander';
import { configOption } from './options.js';
import type { LoadedConfig } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { withMigratedDatabase } from './with-database.js';
import type { ExportedAccount } from '../broker/nats-config.js';

/** The command that gives `account` a bcrypt hash, which accounts made before schema 19 lack. */
function fixFor(account: ExportedAccount, dataDir: string): string {
  if (account.managedBy === 'up') {
    return `account ${account.name} is pimonitor up's own: delete ${dataDir}/secrets/${account.name}.password `
      + 'and restart `pimonitor up`, which gives it a new password';
  }
  return `account ${account.name} has no password NATS can check (set before schema version 19): `
    + `run \`pimonitor device rotate ${account.name}\` and give its client the new password`;
}

/** Writes `text` to `file` whole or not at all (a reloading nats-server never reads half of it), mode 600. */
export async function writeWhole(file: string, text: string): Promise<void> {
  const { writeFileSync, renameSync, rmSync, statSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const dir = dirname(file);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ExpectedError(`--output ${file}: directory ${dir} does not exist`);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ExpectedError(`--output ${file} is a directory; give a file name (users.conf)`);
  }
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    // A new file (wx: never one already there, such as a link planted to where the hashes would be
    // written, which would also keep its own mode).
    rmSync(temporary, { force: true });
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new ExpectedError(`--output ${file}: ${(err as Error).message}`);
  }
}

/** `pimonitor device export --nats [--output file]`: the accounts as nats-server users with the same permissions. */
export function addDeviceExportCommand(device: Command, load: (options: { config?: string }) => LoadedConfig): void {
  device
    .command('export')
    .description(
      'write the active accounts for another broker: --nats gives nats-server users with the embedded broker\'s '
        + 'permissions',
    )
    .option('--nats', 'nats-server users (`authorization { users = [...] }`) to include in its configuration')
    .option('-o, --output <file>', 'write to this file (whole, mode 600) instead of standard output')
    .addOption(configOption())
    .action(async (options: { nats?: boolean; output?: string; config?: string }) => {
      if (!options.nats) throw new ExpectedError('say what to export: --nats (nats-server users) is the one format');
      if (options.output !== undefined && options.output.trim() === '') {
        throw new ExpectedError('--output needs a file name (users.conf)');
      }
      const { config } = load(options);
      const { configuredSources } = await import('../shared/sources/spec.js');
      let readable: string[];
      try {
        readable = configuredSources(config.ingest.sources, config.node.discovery.prefix)
          .flatMap((source) => [...source.filters]);
      } catch (err) {
        throw new ExpectedError((err as Error).message);
      }
      const { listAccountsForNats } = await import('../broker/accounts.js');
      const { natsUsersConf } = await import('../broker/nats-config.js');
      const accounts = await withMigratedDatabase(config, 'pimonitor-device', (db) => listAccountsForNats(db));
      const result = natsUsersConf(accounts, readable, new Date());
      const toFile = options.output !== undefined && options.output !== '-';
      if (toFile) await writeWhole(options.output!, result.text);
      else process.stdout.write(result.text);
      for (const account of result.missing) {
        process.stderr.write(`not exported: ${fixFor(account, config.dataDir)}\n`);
      }
      for (const narrowed of result.narrowed) {
        const ingestNote = narrowed.role === 'ingest'
          ? '; pimonitor ingest does not start when a filter is refused'
          : '';
        process.stderr.write(
          `account ${narrowed.name} (${narrowed.role}) may not subscribe to ${narrowed.filters.join(', ')} on NATS, `
            + `which cannot say it without allowing more (see its comment in the file)${ingestNote}: `
            + 'give those sources\' devices a topic prefix of their own (the source\'s "prefix" in INGEST_SOURCES) '
            + 'so that their filters do not overlap\n',
        );
      }
      if (result.exported.length === 0) {
        process.stderr.write(accounts.length === 0
          ? 'no active account: nats-server gets one user who can do nothing (with none it would accept anyone). '
            + 'Add accounts with `pimonitor device add <name>`.\n'
          : 'no account could be exported: nats-server gets one user who can do nothing until the accounts above '
            + 'have new passwords.\n');
      }
      if (toFile) {
        const count = `${result.exported.length} account${result.exported.length === 1 ? '' : 's'}`;
        process.stderr.write(`${count} written to ${options.output}; `
          + 'reload nats-server: nats-server --signal reload (or kill -HUP <pid>)\n');
      }
    });
}
