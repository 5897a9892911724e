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
  .action(async (o: CommonOptions) => (await import('./up.js')).runUp(load(o).config, o.config));

program
  .command('broker')
  .description('run the MQTT broker alone')
  .addOption(configOption())
  .option('--cluster', 'keep state in Redis (REDIS_URL) and form one broker with the others that do')
  .action(async (o: CommonOptions & { cluster?: boolean }) =>
    (await import('../broker/main.js')).runBroker(load(o, { BROKER_PERSISTENCE: o.cluster ? 'redis' : undefined }).config));

program
  .command('ingest')
  .description('run the ingest worker: MQTT readings into PostgreSQL')
  .addOption(configOption())
  .action(async (o: CommonOptions) => (await import('../ingest/main.js')).runIngest(load(o).config));

program
  .command('web')
  .description('run the web API (latest values, history, devices, alerts, rejected messages, live events)')
  .addOption(configOption())
  .option('--port <port>', 'port to listen on (WEB_PORT)')
  .action(async (o: CommonOptions & { port?: string }) => (await import('../web/main.js')).runWeb(load(o, { WEB_PORT: o.port }).config));

program
  .command('node')
  .description('run a sensor node that publishes readings')
  .addOption(configOption())
  .option('--simulate', 'also publish a simulated DHT22 (no hardware needed)')
  .option('--device <name>', 'device name, the <device> in home/<device>/<sensor>')
  .option('--interval-ms <ms>', 'how often to read and publish')
  .action(async (o: CommonOptions & { simulate?: boolean; device?: string; intervalMs?: string }) =>
    (await import('../sensor-node/main.js')).runNode(load(o, { NODE_SIMULATE: o.simulate ? 'true' : undefined, NODE_DEVICE: o.device, NODE_INTERVAL_MS: o.intervalMs }).config));

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
  .action(async (o: CommonOptions) => {
    const { redactUrl } = await import('../shared/redact.js');
    await withMigratedDatabase(load(o).config, 'pimonitor-migrate', async (_db, result) => {
      console.log(`${redactUrl(result.url)}: schema version ${result.version}${result.applied.length ? '' : ' (already up to date)'}`);
      if (result.newerThanCode) console.log('warning: the database schema is newer than this pimonitor; upgrade pimonitor');
    }, (m) => console.log(`applied ${m.name}`));
  });

const configCommand = program
  .command('config')
  .description('print the effective configuration, secrets redacted')
  .addOption(configOption())
  .option('--explain', 'list every setting with its value, source, environment variable and meaning')
  .action((o: CommonOptions & { explain?: boolean }) => {
    const loaded = load(o);
    if (!o.explain) {
      const tree: Record<string, unknown> = {};
      for (const s of loaded.describe()) setPath(tree, s.key, s.value);
      console.log(JSON.stringify(tree, null, 2));
      return;
    }
    for (const s of loaded.describe()) {
      const from = s.source.startsWith('env ') ? 'environment' : s.source;
      console.log(`${s.key} = ${JSON.stringify(s.value)}   (from ${from}; variable ${s.env})\n    ${s.doc}`);
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
