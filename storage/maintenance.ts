import { EventEmitter } from 'node:events';
import type { Db } from '../shared/db.js';
import { Periodic } from '../shared/periodic.js';
import { archiveBefore, planArchive, runArchive, type ArchiveResult } from './archive.js';
import { compactPartitions, type CompactResult } from './compact.js';
import { createPartitionsAhead } from './partitions.js';
import { applyRetention, planRetention, type RetentionItem, type RetentionPolicy } from './retention.js';
import { rollUp } from './rollup.js';
import { applyStorageSettings, type StorageSettings } from './settings.js';

export interface MaintenanceOptions {
  settings: StorageSettings;
  retention: RetentionPolicy;
  /** How often new readings are rolled up. */
  intervalMs: number;
  /** How often partitions are made ahead and retention runs. */
  retentionEveryMs?: number;
  /** Days after a month ends before its raw partition is compacted; 0 never. */
  compactAfterDays: number;
  /** Days after a month ends before its raw readings are archived (storage/archive.ts); 0 (the default here) never. */
  archiveAfterDays?: number;
  /** Time each round may spend archiving before it leaves the rest for the next round. */
  archiveBudgetMs?: number;
  now?: () => number;
}

export interface MaintenanceEvents {
  rolledUp: [{ buckets: number; ms: number }];
  retained: [{ item: RetentionItem }];
  compacted: [CompactResult];
  archived: [ArchiveResult & { ms: number }];
  partitionsCreated: [{ count: number }];
  settingsApplied: [{ timeZoneChanged: boolean }];
  failed: [{ during: string; err: unknown }];
}

const HOUR_MS = 3_600_000;
const ARCHIVE_BUDGET_MS = 20_000;

/**
 * The storage upkeep that runs beside ingest: rolls up dirty buckets every interval, and every hour
 * makes next month's partitions, applies retention, compacts the partitions of months past and
 * archives the months due (in rounds of ARCHIVE_BUDGET_MS, every interval until none is left). A
 * failure is reported and tried again at the next run; it never stops ingest. Several workers may run
 * it: the rollup and each compaction take a lock, and a second runner finds nothing to do.
 */
export class Maintenance extends EventEmitter<MaintenanceEvents> {
  private readonly loop: Periodic;
  private settingsApplied = false;
  private lastRetentionAt = -Infinity;
  /** Whether the last archiving round left work (a time budget spent, a month busy): go on next round. */
  private archivePending = false;
  private readonly now: () => number;

  constructor(private readonly db: Db, private readonly options: MaintenanceOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.loop = new Periodic(() => this.runOnce(), () => options.intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  /** One round: settings (first time), partitions and retention (when due), then the rollup. Never rejects. */
  async runOnce(): Promise<void> {
    await this.step('settings', async () => {
      if (this.settingsApplied) return;
      this.emit('settingsApplied', await applyStorageSettings(this.db, this.options.settings));
      this.settingsApplied = true;
    });
    if (this.now() - this.lastRetentionAt >= (this.options.retentionEveryMs ?? HOUR_MS)) {
      this.lastRetentionAt = this.now();
      await this.step('partitions', async () => {
        const count = await createPartitionsAhead(this.db, new Date(this.now()));
        if (count > 0) this.emit('partitionsCreated', { count });
      });
      await this.step('retention', async () => {
        const plan = await planRetention(this.db, this.options.retention, new Date(this.now()));
        await applyRetention(this.db, plan, (item) => this.emit('retained', { item }));
      });
      if (this.options.compactAfterDays > 0) {
        await this.step('compact', async () => {
          const olderThan = new Date(this.now() - this.options.compactAfterDays * 86_400_000);
          const archiving = (this.options.archiveAfterDays ?? 0) > 0;
          const results = await compactPartitions(this.db, { olderThan, archiving });
          for (const result of results) this.emit('compacted', result);
        });
      }
      this.archivePending = true;
    }
    await this.archive();
    await this.step('rollup', async () => {
      const started = Date.now();
      const buckets = await rollUp(this.db);
      if (buckets > 0) this.emit('rolledUp', { buckets, ms: Date.now() - started });
    });
  }

  /** Archives the months due, one series and month per transaction, for at most archiveBudgetMs a round. */
  private async archive(): Promise<void> {
    const before = archiveBefore(new Date(this.now()), this.options.archiveAfterDays ?? 0);
    if (!before || !this.archivePending) return;
    await this.step('archive', async () => {
      const started = Date.now();
      const plan = await planArchive(this.db, before);
      const result = await runArchive(this.db, plan, { budgetMs: this.options.archiveBudgetMs ?? ARCHIVE_BUDGET_MS });
      this.archivePending = !result.complete;
      const ms = Date.now() - started;
      if (result.chunks > 0 || result.released.length > 0) this.emit('archived', { ...result, ms });
    });
  }

  private async step(during: string, work: () => Promise<void>): Promise<void> {
    if (this.loop.isStopped) return;
    try {
      await work();
    } catch (err) {
      this.emit('failed', { during, err });
    }
  }

  /** Stops the timer and waits for a round in progress, at most `timeoutMs`; safe to call twice. */
  async stop({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    await this.loop.stop({ timeoutMs });
  }
}
