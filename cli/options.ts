import { Option } from 'commander';

/** The `--config FILE` option every command takes. */
export const configOption = () =>
  new Option('-c, --config <file>', 'JSON configuration file (environment variables override it)');
