import type { Command } from 'commander';
import { configOption, type LoadConfig } from './options.js';
import type { RetentionItem } from '../storage/retention.js';
import { progressBar } from './progress.js';
import { formatBytes, formatCount, formatDay as day, formatTable } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';
import { addArchiveCommand } from './archive-command.js';

/** What one retention item removes, in a line. Pure. */
export function describeRetentionItem(item: RetentionItem): string {
  const rows = `${formatCount(item.rows)} rows`;
  return item.kind === 'partition'
    ? `drop ${item.name} (${item.table}, ${day(item.from)} to ${day(item.to)}): ${rows}, ${formatBytes(item.bytes)}`
    : `delete from ${item.table} before ${item.before.toISOString()}: ${rows}, about ${formatBytes(item.bytes)}`;
}

/** `pimonitor db` (disk use, rollups) and `pimonitor retention`. */
export function addStorageCommands(program: Command, load: LoadConfig): void {
  const db = program.command('db').description('the database: disk use per table (default), rollups');

  db.command('usage', { isDefault: true })
    .description('disk use of each table, bytes per stored value, retention settings and the rollup backlog')
    .addOption(configOption())
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = load(options);
      const { diskUsage, PER_VALUE_FROM } = await import('../storage/usage.js');
      const usage = await withMigratedDatabase(config, 'pimonitor-db', diskUsage);
      if (options.json) return console.log(JSON.stringify({ ...usage, retention: config.storage }, null, 2));
      const tableRows = usage.tables.map((table) => [
        table.table,
        `${table.estimated ? '≈' : ''}${formatCount(table.rows)}`,
        formatBytes(table.bytes),
        table.partitions ? String(table.partitions) : '-',
      ]);
      console.log(formatTable(['table', 'rows', 'size', 'partitions'], tableRows));
      const keep = (days: number) => (days > 0 ? `${days} days` : 'forever');
      const archived = usage.archivedBytesPerValue === null
        ? `- (${formatCount(usage.archivedValues)} values archived; said from ${formatCount(PER_VALUE_FROM)} on)`
        : `${usage.archivedBytesPerValue.toFixed(1)} bytes (with index and TOAST; `
          + `${formatCount(usage.archivedValues)} values)`;
      const storage = config.storage;
      const perRaw = usage.rawBytesPerValue === null
        ? `- (said from ${formatCount(PER_VALUE_FROM)} readings on; a new database's pages are made for many)`
        : `${usage.rawBytesPerValue.toFixed(1)} bytes (with indexes)`;
      const archivedAfter = storage.archiveAfterDays > 0
        ? `${storage.archiveAfterDays} days after a month ends`
        : 'never (ARCHIVE_AFTER_DAYS=0)';
      const kept = `readings ${keep(storage.retentionRawDays)}, 5m ${keep(storage.retention5mDays)}, `
        + `1h ${keep(storage.retention1hDays)}, 1d ${keep(storage.retention1dDays)}, `
        + `rejected ${keep(storage.retentionRejectedDays)}`;
      console.log(`
database         ${formatBytes(usage.databaseBytes)}
per raw value    ${perRaw}
per archived     ${archived}
oldest raw       ${usage.oldestRaw?.toISOString() ?? '-'}
rollup backlog   ${formatCount(usage.rollupBacklog)} 5-minute buckets
archived after   ${archivedAfter}
kept             ${kept}`);
    });

  db.command('rollup')
    .description('roll up every reading not yet in the rollup tables now, buckets still filling too '
      + '(the ingest worker rolls each 5-minute bucket up a minute after it ends)')
    .addOption(configOption())
    .option('--rebuild', 'recompute every rollup from the raw readings kept')
    .action(async (options: { config?: string; rebuild?: boolean }) => {
      const { markAllForRollup, rollUp } = await import('../storage/rollup.js');
      const bar = progressBar();
      const done = await withMigratedDatabase(load(options).config, 'pimonitor-rollup', async (conn) => {
        if (options.rebuild) console.error(`marked ${formatCount(await markAllForRollup(conn))} buckets to recompute`);
        return rollUp(conn, { allOpen: true, onProgress: (step) => bar.update(step.done / step.total, step.done) });
      });
      bar.done(done);
      console.log(`rolled up ${formatCount(done)} 5-minute buckets`);
    });

  db.command('compact')
    .description('rewrite the raw readings and 5-minute rollups of months past in key order, so a series '
      + 'reads from few pages (the ingest worker does it COMPACT_AFTER_DAYS after a month ends)')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { compactPartitions } = await import('../storage/compact.js');
      const now = new Date();
      const { config } = load(options);
      const results = await withMigratedDatabase(config, 'pimonitor-compact', (conn) =>
        compactPartitions(conn, {
          olderThan: now,
          archiving: config.storage.archiveAfterDays > 0,
          onPartition: (partition) => console.error(`compacting ${partition.name} (${formatBytes(partition.bytes)})…`),
        }));
      if (results.length === 0) {
        return console.log('nothing to compact: every month that has ended is compacted already.');
      }
      for (const result of results) {
        console.log(`${result.name}: ${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)}`);
      }
      const saved = results.reduce((sum, result) => sum + result.bytesBefore - result.bytesAfter, 0);
      console.log(`freed ${formatBytes(saved)}`);
    });

  addArchiveCommand(db, load);

  program
    .command('retention')
    .description('remove data older than each tier keeps (RETENTION_*_DAYS): whole monthly partitions, '
      + 'old rows in small steps')
    .addOption(configOption())
    .option('--dry-run', 'only list what would be removed and the space it frees')
    .action(async (options: { config?: string; dryRun?: boolean }) => {
      const { config } = load(options);
      const { applyRetention, planRetention, retentionPolicyOf } = await import('../storage/retention.js');
      const { applyStorageSettings, storageSettingsOf } = await import('../storage/settings.js');
      await withMigratedDatabase(config, 'pimonitor-retention', async (conn) => {
        await applyStorageSettings(conn, storageSettingsOf(config));
        const plan = await planRetention(conn, retentionPolicyOf(config.storage), new Date());
        const bytes = plan.reduce((sum, item) => sum + item.bytes, 0);
        if (plan.length === 0) return console.log('nothing to remove: everything is within its retention.');
        if (options.dryRun) {
          for (const item of plan) console.log(`would ${describeRetentionItem(item)}`);
          console.log(`would free about ${formatBytes(bytes)} (dry run: nothing removed)`);
          return;
        }
        const pastTense = (line: string) => line.replace(/^drop/, 'dropped').replace(/^delete/, 'deleted');
        await applyRetention(conn, plan, (item) => console.log(pastTense(describeRetentionItem(item))));
        console.log(`freed about ${formatBytes(bytes)}`);
      });
    });
}
