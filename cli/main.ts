#!/usr/bin/env node
import { Command } from 'commander';
import { configOption } from './options.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/index.js';
import { ListenError } from '../shared/listen.js';
import { addDeviceCommands } from './device.js';
import { addDataCommands } from './data-commands.js';
import { addStorageCommands } from './storage-commands.js';
import { addAlertsCommands } from './alerts-commands.js';
import { addReportCommands } from './report-commands.js';
import { addSourcesCommands } from './sources-commands.js';
import { addConfigReferenceCommand } from './config-reference.js';
import { ExpectedError } from '../shared/expected-error.js';
import { databaseProblem } from '../shared/database-problem.js';
import { watchParent } from '../shared/shutdown.js';
import { withMigratedDatabase } from './with-database.js';

// Each command loads its own modules when it runs: a sensor node on a Pi Zero must not pay for the
// broker, the database drivers and PGlite in memory.

interface CommonOptions {
  config?: string;
}

/** Loads configuration with command-line flags applied as environment overrides (flags win). */
function load(options: CommonOptions, overrides: Record<string, string | undefined> = {}): LoadedConfig {
  const env = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
  return loadConfig({ file: options.config, env });
}

// A child of `pimonitor up` exits when `up` is gone, even while it is still starting.
watchParent();

const program = new Command('pimonitor')
  .description('Self-hosted telemetry for Raspberry Pi sensors: MQTT in, PostgreSQL out.')
  .showHelpAfterError();

program
  .command('up')
  .description('run the whole pipeline: embedded database, MQTT broker and ingest (what `npm start` runs)')
  .addOption(configOption())
  .action(async (options: CommonOptions) => (await import('./up.js')).runUp(load(options).config, options.config));

program
  .command('broker')
  .description('run the MQTT broker alone')
  .addOption(configOption())
  .option('--cluster', 'keep state in Redis (REDIS_URL) and form one broker with the others that do')
  .action(async (options: CommonOptions & { cluster?: boolean }) => {
    const { runBroker } = await import('../broker/main.js');
    return runBroker(load(options, { BROKER_PERSISTENCE: options.cluster ? 'redis' : undefined }).config);
  });

program
  .command('ingest')
  .description('run the ingest worker: MQTT readings into PostgreSQL')
  .addOption(configOption())
  .action(async (options: CommonOptions) => (await import('../ingest/main.js')).runIngest(load(options).config));

program
  .command('web')
  .description('run the web API (latest values, history, devices, alerts, rejected messages, live events)')
  .addOption(configOption())
  .option('--port <port>', 'port to listen on (WEB_PORT)')
  .action(async (options: CommonOptions & { port?: string }) =>
    (await import('../web/main.js')).runWeb(load(options, { WEB_PORT: options.port }).config));

program
  .command('node')
  .description('run a sensor node that publishes readings')
  .addOption(configOption())
  .option('--simulate', 'also publish a simulated DHT22 (no hardware needed)')
  .option('--device <name>', 'device name, the <device> in home/<device>/<sensor>')
  .option('--interval-ms <ms>', 'how often to read and publish')
  .action(async (options: CommonOptions & { simulate?: boolean; device?: string; intervalMs?: string }) => {
    const { runNode } = await import('../sensor-node/main.js');
    return runNode(load(options, {
      NODE_SIMULATE: options.simulate ? 'true' : undefined,
      NODE_DEVICE: options.device,
      NODE_INTERVAL_MS: options.intervalMs,
    }).config);
  });

addDeviceCommands(program, load);
addDataCommands(program, load);
addStorageCommands(program, load);
addAlertsCommands(program, load);
addReportCommands(program, load);
addSourcesCommands(program, load);

program
  .command('migrate')
  .description('apply missing schema migrations to the database and exit')
  .addOption(configOption())
  .action(async (options: CommonOptions) => {
    const { redactUrl } = await import('../shared/redact.js');
    await withMigratedDatabase(load(options).config, 'pimonitor-migrate', async (_db, result) => {
      const upToDate = result.applied.length ? '' : ' (already up to date)';
      console.log(`${redactUrl(result.url)}: schema version ${result.version}${upToDate}`);
      if (result.newerThanCode) {
        console.log('warning: the database schema is newer than this pimonitor; upgrade pimonitor');
      }
    }, (migration) => console.log(`applied ${migration.name}`));
  });

const configCommand = program
  .command('config')
  .description('print the effective configuration, secrets redacted')
  .addOption(configOption())
  .option('--explain', 'list every setting with its value, source, environment variable and meaning')
  .action((options: CommonOptions & { explain?: boolean }) => {
    const loaded = load(options);
    if (!options.explain) {
      const tree: Record<string, unknown> = {};
      for (const setting of loaded.describe()) setPath(tree, setting.key, setting.value);
      console.log(JSON.stringify(tree, null, 2));
      return;
    }
    for (const setting of loaded.describe()) {
      const from = setting.source.startsWith('env ') ? 'environment' : setting.source;
      const value = JSON.stringify(setting.value);
      console.log(`${setting.key} = ${value}   (from ${from}; variable ${setting.env})\n    ${setting.doc}`);
    }
  });
addConfigReferenceCommand(configCommand);

function setPath(tree: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

program.parseAsync().catch((err: unknown) => {
  // Expected failures get their message alone; anything else gets the stack, because it is a bug.
  if (err instanceof ConfigError) {
    console.error(`pimonitor: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ListenError || err instanceof ExpectedError) {
    console.error(`pimonitor: ${err.message}`);
    process.exit(1);
  }
  const database = databaseProblem(err);
  if (database) {
    console.error(`pimonitor: ${database}`);
    process.exit(1);
  }
  console.error('pimonitor: failed:', err);
  process.exit(1);
});
