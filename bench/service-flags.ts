import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';

/** How a systemd unit in deploy/ runs node: its flags (ExecStart) and its environment (Environment=). */
export interface ServiceCommand {
  flags: string[];
  env: Record<string, string>;
}

/**
 * Reads a unit in deploy/, so a bench measures the production shape and the unit stays the one place
 * its flags and environment are written.
 */
export function serviceCommand(unit: string): ServiceCommand {
  const text = readFileSync(join(PACKAGE_ROOT, 'deploy', unit), 'utf8');
  const execStart = /^ExecStart=\S*node((?:\s+--\S+)*)\s/m.exec(text);
  if (!execStart) throw new Error(`deploy/${unit}: no ExecStart running node`);
  const settings = [...text.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/gm)];
  const env = Object.fromEntries(settings.map((m) => [m[1]!, m[2]!]));
  return { flags: execStart[1]!.trim().split(/\s+/).filter(Boolean), env };
}

/** The node flags of a unit in deploy/. */
export const serviceNodeFlags = (unit: string): string[] => serviceCommand(unit).flags;
