import { Option } from 'commander';
import type { LoadedConfig } from '../config/index.js';
import { ExpectedError } from '../shared/expected-error.js';
import { isTimeZone, machineTimeZone, timeZoneProblem } from '../shared/time-zone.js';

/** The `--config FILE` option every command takes. */
export const configOption = () =>
  new Option('-c, --config <file>', 'JSON configuration file (environment variables override it)');

/** How a command reads its configuration: the file its --config names, then the environment over it. */
export type LoadConfig = (options: { config?: string }) => LoadedConfig;

/** The `--tz ZONE` option of the commands that print times. */
export const tzOption = () =>
  new Option('--tz <zone>', 'time zone of the times printed (IANA name); default: this machine\'s');

/** The zone `--tz` names, or this machine's without it; a name that is not a zone is refused, named. */
export function zoneOfTzOption(tz: string | undefined): string {
  const zone = tz ?? machineTimeZone();
  if (!isTimeZone(zone)) throw new ExpectedError(timeZoneProblem('--tz', zone));
  return zone;
}
