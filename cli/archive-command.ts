import type { Command } from 'commander';
import { configOption, type LoadConfig } from './options.js';
import { progressBar } from './progress.js';
import { formatBytes, formatCount, formatDay as day } from './text-output.js';
import { withMigratedDatabase } from './with-database.js';

/**
 * `pimonitor db archive [--dry-run] [--all]`: folds the raw readings of months past into the archive
 * (storage/archive.ts), as the ingest worker does ARCHIVE_AFTER_DAYS after a month ends; a progress bar
 * on a terminal, one series and month at a time.
 */
export function addArchiveCommand(db: Command, load: LoadConfig): void {
  db.command('archive')
    .description('fold the raw readings of months past into the archive (about 5 bytes per value instead of 84; '
      + 'the ingest worker does it ARCHIVE_AFTER_DAYS after a month ends)')
    .addOption(configOption())
    .option('--dry-run', 'only list the months that would be archived, their series and size')
    .option('--all', 'every month that has ended, whatever ARCHIVE_AFTER_DAYS says')
    .action(async (o: { config?: string; dryRun?: boolean; all?: boolean }) => {
      const { config } = load(o);
      const { archiveBefore, planArchive, runArchive } = await import('../storage/archive.js');
      const { monthStartUtc } = await import('../storage/partitions.js');
      const now = new Date();
      const before = o.all ? monthStartUtc(now) : archiveBefore(now, config.storage.archiveAfterDays);
      if (!before) {
        console.log('archiving is off (ARCHIVE_AFTER_DAYS=0): --all archives every month that has ended.');
        return;
      }
      await withMigratedDatabase(config, 'pimonitor-archive', async (conn) => {
        const plan = await planArchive(conn, before);
        if (plan.length === 0) {
          return console.log(`nothing to archive: no raw readings left in months that ended before ${day(before)}.`);
        }
        for (const m of plan) {
          console.log(`${o.dryRun ? 'would archive' : 'archiving'} ${m.partition} (${day(m.from)} to ${day(m.to)}): `
            + `${formatCount(m.seriesIds.length)} series, ${formatBytes(m.bytes)} raw`);
        }
        if (o.dryRun) return console.log('dry run: nothing moved');
        const bar = progressBar();
        const result = await runArchive(conn, plan, { onProgress: (p) => bar.update(p.done / p.total, p.readings) });
        bar.done(result.readings);
        console.log(`archived ${formatCount(result.readings)} readings in ${formatCount(result.chunks)} series-months`
          + (result.released.length ? `; emptied ${result.released.join(', ')}` : ''));
        if (result.busy > 0) {
          console.log(`${formatCount(result.busy)} series-months were being written by ingest: run again for them`);
        }
      });
    });
}
