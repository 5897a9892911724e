import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnLogged, type LoggedProcess } from '../support/processes.js';
import { PACKAGE_ROOT } from '../../shared/paths.js';

const CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
export type CliProcess = LoggedProcess;

/** The environment a CLI child gets: ours without the test run's own settings, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, NODE_OPTIONS: _jest, ...rest } = process.env;
  // No fixed ports for the ops endpoints: tests run side by side. A test that wants one sets it.
  // Tests publish readings dated early 2026, which 90 days of raw retention would refuse; the
  // retention tests set it themselves.
  // A data directory of its own (the broker's journal, the node's outbox, PGlite's files), never the
  // checkout's ./data: tests side by side would share it, and a run would replay an earlier run's outbox.
  // A test that restarts a process on the same directory passes DATA_DIR itself.
  return {
    ...rest, LOG_LEVEL: 'info', BROKER_HTTP_PORT: '0', INGEST_HTTP_PORT: '0', ALERTS_HTTP_PORT: '0', WEB_PORT: '0',
    RETENTION_RAW_DAYS: '0', DATA_DIR: mkdtempSync(join(tmpdir(), 'pimonitor-cli-')), ...env,
  };
}

/** Starts `pimonitor <args>` from the build, as a user would run it. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return spawnLogged(process.execPath, [CLI, ...args], childEnv(env));
}

/** Runs `pimonitor <args>` to completion. */
export async function runCli(
  args: string[], env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const cli = startCli(args, env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}
