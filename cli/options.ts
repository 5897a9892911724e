import { Option } from 'commander';
import type { LoadedConfig } from '../config/index.js';

/** The `--config FILE` option every command takes. */
export const configOption = () =>
  new Option('-c, --config <file>', 'JSON configuration file (environment variables override it)');

/** How a command reads its configuration: the file its --config names, then the environment over it. */
export type LoadConfig = (options: { config?: string }) => LoadedConfig;
