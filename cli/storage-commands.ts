import type { Command } from 'commander';
import { configOption } from './options.js';
import type { LoadedConfig } from '../config/index.js';
import type { RetentionItem } from '../storage/retention.js';
import { progressBar } from './progress.js';
import { formatBytes, formatCount, formatDay as day, formatTable } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';
import { addArchiveCommand } from './archive-command.js';

type Load = (o: { config?: string }) => LoadedConfig;

/** What one retention item removes, in a line. Pure. */
export function describeRetentionItem(item: RetentionItem): string {
  return item.kind === 'partition'
    ? `drop ${item.name} (${item.table}, ${day(item.from)} to ${day(item.to)}): ${formatCount(item.rows)} rows, ${formatBytes(item.bytes)}`
    : `delete from ${item.table} before ${item.before.toISOString()}: ${formatCount(item.rows)} rows, about ${formatBytes(item.bytes)}`;
}

/** `pimonitor db` (disk use, rollups) and `pimonitor retention`. */
export function addStorageCommands(program: Command, load: Load): void {
  const db = program.command('db').description('the database: disk use per table (default), rollups');

  db.command('usage', { isDefault: true })
    .description('disk use of each table, bytes per stored value, retention settings and the rollup backlog')
    .addOption(configOption())
    .option('--json', 'print JSON instead of a table')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { config } = load(o);
      const { diskUsage, PER_VALUE_FROM } = await import('../storage/usage.js');
      const usage = await withMigratedDatabase(config, 'pimonitor-db', diskUsage);
      if (o.json) return console.log(JSON.stringify({ ...usage, retention: config.storage }, null, 2));
      console.log(formatTable(['table', 'rows', 'size', 'partitions'],
        usage.tables.map((t) => [t.table, `${t.estimated ? '≈' : ''}${formatCount(t.rows)}`, formatBytes(t.bytes), t.partitions ? String(t.partitions) : '-'])));
      const keep = (days: number) => (days > 0 ? `${days} days` : 'forever');
      const archived = usage.archivedBytesPerValue === null
        ? `- (${formatCount(usage.archivedValues)} values archived; said from ${formatCount(PER_VALUE_FROM)} on)`
        : `${usage.archivedBytesPerValue.toFixed(1)} bytes (with index and TOAST; `
          + `${formatCount(usage.archivedValues)} values)`;
      const s = config.storage;
      console.log(`
database         ${formatBytes(usage.databaseBytes)}
per raw value    ${usage.rawBytesPerValue === null ? `- (said from ${formatCount(PER_VALUE_FROM)} readings on; a new database's pages are made for many)` : `${usage.rawBytesPerValue.toFixed(1)} bytes (with indexes)`}
per archived     ${archived}
oldest raw       ${usage.oldestRaw?.toISOString() ?? '-'}
rollup backlog   ${formatCount(usage.rollupBacklog)} 5-minute buckets
archived after   ${s.archiveAfterDays > 0 ? `${s.archiveAfterDays} days after a month ends` : 'never (ARCHIVE_AFTER_DAYS=0)'}
kept             readings ${keep(s.retentionRawDays)}, 5m ${keep(s.retention5mDays)}, 1h ${keep(s.retention1hDays)}, 1d ${keep(s.retention1dDays)}, rejected ${keep(s.retentionRejectedDays)}`);
    });

  db.command('rollup')
    .description('roll up every reading not yet in the rollup tables now, buckets still filling too (the ingest worker rolls each 5-minute bucket up a minute after it ends)')
    .addOption(configOption())
    .option('--rebuild', 'recompute every rollup from the raw readings kept')
    .action(async (o: { config?: string; rebuild?: boolean }) => {
      const { markAllForRollup, rollUp } = await import('../storage/rollup.js');
      const bar = progressBar();
      const done = await withMigratedDatabase(load(o).config, 'pimonitor-rollup', async (conn) => {
        if (o.rebuild) console.error(`marked ${formatCount(await markAllForRollup(conn))} buckets to recompute`);
        return rollUp(conn, { allOpen: true, onProgress: (p) => bar.update(p.done / p.total, p.done) });
      });
      bar.done(done);
      console.log(`rolled up ${formatCount(done)} 5-minute buckets`);
    });

  db.command('compact')
    .description('rewrite the raw readings and 5-minute rollups of months past in key order, so a series reads from few pages (the ingest worker does it COMPACT_AFTER_DAYS after a month ends)')
    .addOption(configOption())
    .action(async (o: { config?: string }) => {
      const { compactPartitions } = await import('../storage/compact.js');
      const now = new Date();
      const { config } = load(o);
      const results = await withMigratedDatabase(config, 'pimonitor-compact', (conn) =>
        compactPartitions(conn, {
          olderThan: now,
          archiving: config.storage.archiveAfterDays > 0,
          onPartition: (p) => console.error(`compacting ${p.name} (${formatBytes(p.bytes)})…`),
        }));
      if (results.length === 0) return console.log('nothing to compact: every month that has ended is compacted already.');
      for (const r of results) console.log(`${r.name}: ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}`);
      const saved = results.reduce((n, r) => n + r.bytesBefore - r.bytesAfter, 0);
      console.log(`freed ${formatBytes(saved)}`);
    });

  addArchiveCommand(db, load);

  program
    .command('retention')
    .description('remove data older than each tier keeps (RETENTION_*_DAYS): whole monthly partitions, old rows in small steps')
    .addOption(configOption())
    .option('--dry-run', 'only list what would be removed and the space it frees')
    .action(async (o: { config?: string; dryRun?: boolean }) => {
      const { config } = load(o);
      const { applyRetention, planRetention, retentionPolicyOf } = await import('../storage/retention.js');
      const { applyStorageSettings, storageSettingsOf } = await import('../storage/settings.js');
      await withMigratedDatabase(config, 'pimonitor-retention', async (conn) => {
        await applyStorageSettings(conn, storageSettingsOf(config));
        const plan = await planRetention(conn, retentionPolicyOf(config.storage), new Date());
        const bytes = plan.reduce((n, i) => n + i.bytes, 0);
        if (plan.length === 0) return console.log('nothing to remove: everything is within its retention.');
        if (o.dryRun) {
          for (const item of plan) console.log(`would ${describeRetentionItem(item)}`);
          console.log(`would free about ${formatBytes(bytes)} (dry run: nothing removed)`);
          return;
        }
        await applyRetention(conn, plan, (item) => console.log(describeRetentionItem(item).replace(/^drop/, 'dropped').replace(/^delete/, 'deleted')));
        console.log(`freed about ${formatBytes(bytes)}`);
      });
    });
}
