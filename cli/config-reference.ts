import type { Command } from 'commander';

/**
 * `pimonitor config reference`: the configuration reference (docs/configuration.md) as Markdown on stdout,
 * rendered from the schemas; `npm run docs:config` writes the file with it. Reads no configuration.
 */
export function addConfigReferenceCommand(config: Command): void {
  config
    .command('reference')
    .description('print the reference of every setting (key, variable, default, range, meaning) as Markdown')
    .action(async () => {
      const [{ renderReference }, { SECTIONS }] = await Promise.all([
        import('../config/reference.js'),
        import('../config/schema.js'),
      ]);
      process.stdout.write(renderReference(SECTIONS));
    });
}
