import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { configOption, tzOption, zoneOfTzOption, type LoadConfig } from './options.js';
import { ExpectedError } from '../shared/expected-error.js';
import { machineTimeZone } from '../shared/time-zone.js';
import { parseExportOptions, type ExportOptions } from './export-args.js';
import { serializer } from '../storage/export-format.js';
import { progressBar } from './progress.js';
import { formatAge, formatBytes, formatCount, formatTable } from './text-output.js';
import { formatInstant } from './time-args.js';
import { withMigratedDatabase } from './with-database.js';

interface LatestRow {
  device: string;
  sensor: string;
  metric: string;
  value: number;
  unit: string | null;
  ts: Date;
  status: string | null;
}
/** `pimonitor latest`, `devices` and `export`: the data back out, for people and for programs. */
export function addDataCommands(program: Command, load: LoadConfig): void {
  program
    .command('latest')
    .description('newest value of every device, sensor and metric, with its age and the device\'s status')
    .addOption(configOption())
    .option('--device <names>', 'only these devices (comma-separated)')
    .option('--json', 'print JSON instead of a table')
    .addOption(tzOption())
    .action(async (o: { config?: string; device?: string; json?: boolean; tz?: string }) => {
      const tz = zoneOfTzOption(o.tz);
      const devices = o.device?.split(',').map((s) => s.trim()) ?? null;
      const rows = await withMigratedDatabase(load(o).config, 'pimonitor-latest', async (db) => {
        // Imported here, as the database modules are: commands that open no database do not load them.
        const { sqlFile } = await import('../shared/sql-file.js');
        return db.any<LatestRow>(sqlFile('cli', 'latest.sql'), { devices });
      });
      const now = Date.now();
      if (o.json) {
        const ageSeconds = (r: LatestRow) => Math.round((now - r.ts.getTime()) / 1000);
        const shown = rows.map((r) => ({ ...r, ts: formatInstant(r.ts, tz), ageSeconds: ageSeconds(r) }));
        console.log(JSON.stringify(shown, null, 2));
        return;
      }
      if (rows.length === 0) {
        return console.log(
          'no readings yet. Publish one: mosquitto_pub -t home/test/dht22 -m \'{"temperature": 21.5}\'',
        );
      }
      console.log(formatTable(['device', 'sensor', 'metric', 'value', 'taken', 'age', 'status'],
        rows.map((r) => [
          r.device, r.sensor, r.metric, `${r.value}${r.unit ? ` ${r.unit}` : ''}`,
          formatInstant(r.ts, tz), formatAge(now - r.ts.getTime()), r.status ?? '-',
        ])));
    });

  program
    .command('devices')
    .description('every device: status, first and last seen, series, values stored and the disk they take')
    .addOption(configOption())
    .option('--json', 'print JSON instead of a table')
    .addOption(tzOption())
    .action(async (o: { config?: string; json?: boolean; tz?: string }) => {
      const tz = zoneOfTzOption(o.tz);
      const { devices, databaseBytes } = await withMigratedDatabase(load(o).config, 'pimonitor-devices',
        async (db) => (await import('../storage/device-stats.js')).deviceStats(db));
      if (o.json) {
        const times = (d: (typeof devices)[number]) =>
          ({ first_seen: formatInstant(d.first_seen, tz), last_seen: formatInstant(d.last_seen, tz) });
        return console.log(JSON.stringify(devices.map((d) => ({ ...d, ...times(d) })), null, 2));
      }
      if (devices.length === 0) return console.log('no devices yet: none has published.');
      const now = Date.now();
      console.log(formatTable(['device', 'status', 'first seen', 'last seen', 'series', 'values', 'raw kept', 'disk'],
        devices.map((d) => [
          d.device, d.status ?? '-', formatInstant(d.first_seen, tz).slice(0, 10),
          `${formatAge(now - d.last_seen.getTime())} ago`,
          String(d.series), formatCount(d.values), formatCount(d.raw_values), `≈${formatBytes(d.bytes)}`])));
      console.log(`\ndatabase ${formatBytes(databaseBytes)}; \`pimonitor db\` shows it table by table.`);
    });

  program
    .command('export')
    .description(
      'stream readings or rollups as CSV, JSON or NDJSON, in constant memory, with a progress bar on a terminal',
    )
    .addOption(configOption())
    .option('--from <time>',
      'start: ISO 8601 (2026-11-01, 2026-11-01T08:00:00+01:00) or relative (-7d, -12h, -30m)', '-1d')
    .option('--to <time>', 'end (exclusive), same forms', 'now')
    .option('--device <names>', 'only these devices (comma-separated)')
    .option('--sensor <names>', 'only these sensors (comma-separated)')
    .option('--metric <names>', 'only these metrics (comma-separated)')
    .option('--every <tier>', 'raw readings, or rollups per 5m, 1h or 1d (count, avg, min, max)', 'raw')
    .option('--format <format>', 'csv, json or ndjson', 'csv')
    .option('--out <file>', 'write to this file instead of standard output')
    .addOption(tzOption())
    .action(async (o: ExportOptions & { config?: string }) => {
      const parsed = parseExportOptions(o, new Date(), machineTimeZone());
      if (!parsed.ok) throw new ExpectedError(parsed.reason);
      const { query, format, tz, out } = parsed.value;
      const { exportRows, ExportInterrupted } = await import('../storage/export.js');
      const sink: Writable = out ? createWriteStream(out) : process.stdout;
      // Piped into `head`: the reader has gone, which is not an error.
      if (!out) {
        process.stdout.on('error', (err: NodeJS.ErrnoException) =>
          (err.code === 'EPIPE' ? process.exit(0) : undefined));
      }
      if (out) {
        await once(sink, 'open').catch((err: Error) => {
          throw new ExpectedError(`cannot write ${out}: ${err.message}`);
        });
      }
      const write = async (text: string) => {
        if (text && !sink.write(text)) await once(sink, 'drain');
      };
      const s = serializer(format, query.every, tz);
      const bar = progressBar();
      let rows = 0;
      try {
        await withMigratedDatabase(load(o).config, 'pimonitor-export', async (db) => {
          await write(s.header());
          for await (const page of exportRows(db, query, (fraction) => bar.update(fraction, rows))) {
            rows += page.length;
            await write(s.page(page));
          }
          await write(s.footer());
        });
      } catch (err) {
        if (!(err instanceof ExportInterrupted)) throw err;
        // What was written stays (whole rows, in time order), and the exit status and stderr say it is a part.
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (out) await new Promise((resolve) => sink.end(resolve));
        const cause = (err.cause as Error)?.message ?? String(err.cause);
        const reached = formatInstant(err.reached, tz);
        throw new ExpectedError(`export incomplete: the database failed after ${formatCount(err.rows)} rows `
          + `(${cause}); `
          + `${out ?? 'the output'} has the rows before ${reached} only; the rest: --from ${reached}`);
      }
      bar.done(rows);
      if (out) {
        sink.end();
        await once(sink, 'finish');
        console.error(`wrote ${formatCount(rows)} rows to ${out}`);
      }
      if (rows === 0) {
        const what = query.every === 'raw' ? 'readings' : `${query.every} rollups`;
        const devices = query.devices ? ` for ${query.devices.join(', ')}` : '';
        const between = `between ${formatInstant(query.from, tz)} and ${formatInstant(query.to, tz)}`;
        console.error(`no ${what} ${between}${devices}`);
      }
    });
}
