import type { Command } from 'commander';
import type { LoadedConfig } from '../config/index.js';
import { DEFAULT_METRIC_RANGES, unitOf } from '../shared/contract.js';
import { ExpectedError } from '../shared/expected-error.js';
import type { Decoded, Source } from '../shared/sources/source.js';
import { configOption } from './options.js';

interface TestOptions {
  preset?: string;
  topic?: string;
  payload?: string;
  timeZone?: string;
  at?: string;
  config?: string;
}

/** What a decoded message would become in the database, as lines a person reads. Pure. */
export function describeDecoded(decoded: Decoded): { lines: string[]; stored: boolean } {
  if ('ok' in decoded) {
    return {
      lines: [`rejected (${decoded.code}), kept in rejected_messages with the reason:`, `  ${decoded.reason}`],
      stored: false,
    };
  }
  switch (decoded.kind) {
    case 'ignored':
      return {
        lines: [`ignored by the ${decoded.source} source's rule (not stored, counted on /metrics): ${decoded.reason}`],
        stored: false,
      };
    case 'status':
      return {
        lines: [`device status: ${decoded.device} is ${decoded.status} (read by ${decoded.source})`],
        stored: true,
      };
    case 'readings': {
      const valueCount = decoded.readings.reduce((n, r) => n + r.metrics.length, 0);
      const valueLines = decoded.readings.flatMap((reading) =>
        reading.metrics.map((m) => {
          const unit = unitOf(m.metric) ? ` ${unitOf(m.metric)}` : '';
          return `  ${reading.device}/${reading.sensor}/${m.metric} = ${m.value}${unit} at ${reading.ts.toISOString()}`;
        }),
      );
      const heading = `would store ${valueCount} value(s) (read by ${decoded.source}):`;
      return { lines: [heading, ...valueLines], stored: true };
    }
  }
}

/** `pimonitor sources list|test`: what the configured sources read, and what one message would become. */
export function addSourcesCommands(program: Command, load: (options: { config?: string }) => LoadedConfig): void {
  const sources = program
    .command('sources')
    .description(
      'devices of other projects (Tasmota, Zigbee2MQTT, ESPHome, Shelly, your own mapping) read beside pimonitor\'s',
    );

  sources
    .command('list')
    .description('the configured sources (ingest.sources / INGEST_SOURCES) and the topics each subscribes to')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { configuredSources } = await import('../shared/sources/spec.js');
      const { fencedRoots } = await import('../shared/sources/territory.js');
      const { config } = load(options);
      const list = configuredSources(config.ingest.sources, config.node.discovery.prefix);
      if (list.length === 0) {
        return console.log("no sources: only pimonitor's own home/<device>/<sensor>. "
          + 'Add some with INGEST_SOURCES=tasmota,zigbee2mqtt (see docs/devices.md).');
      }
      console.log(['name', 'preset', 'topics'].join('\t'));
      for (const source of list) console.log([source.name, source.preset, source.filters.join(' ')].join('\t'));
      if (list.some((source) => source.filters.some((filter) => filter.startsWith('+/')))) {
        const fenced = fencedRoots(list, config.node.discovery.prefix).map((root) => `${root}/`).join(' ');
        console.log(`A + first level never takes another system's topics: ${fenced} are left to their owners.`);
      }
    });

  sources
    .command('test')
    .description(
      'show what one message would become (stored values, a status, or why not), without a broker or a database',
    )
    .option(
      '-p, --preset <name>',
      'read it with this preset (tasmota, zigbee2mqtt, esphome, shelly); default: the configured sources',
    )
    .requiredOption('-t, --topic <topic>', 'the MQTT topic, e.g. tele/porch/SENSOR')
    .requiredOption(
      '-m, --payload <text>',
      'the payload as the device sends it, e.g. \'{"AM2301":{"Temperature":21.5}}\'',
    )
    .option(
      '--time-zone <zone>',
      'with --preset: the zone of device times without an offset (default: this machine\'s)',
    )
    .option('--at <time>', 'the receive time (ISO 8601; default now)')
    .addOption(configOption())
    .action(async (options: TestOptions) => {
      const chosen = await chosenSources(load, options);
      const at = options.at === undefined ? new Date() : new Date(options.at);
      if (Number.isNaN(at.getTime())) {
        throw new ExpectedError(`--at: "${options.at}" is not a time (ISO 8601, e.g. 2026-11-25T10:00:00Z)`);
      }
      const { decodeMessage } = await import('../shared/sources/decode.js');
      const config = load(options).config;
      const limits = {
        maxPayloadBytes: config.ingest.maxPayloadBytes,
        maxFutureSkewMs: config.ingest.maxFutureSkewMs,
        ranges: { ...DEFAULT_METRIC_RANGES, ...(config.ingest.metricRanges as object) },
      };
      const decoded = decodeMessage(chosen, options.topic!, Buffer.from(options.payload!), at, limits);
      const { lines, stored } = describeDecoded(decoded);
      console.log(lines.join('\n'));
      if (!stored) process.exitCode = 1;
    });
}

async function chosenSources(
  load: (options: { config?: string }) => LoadedConfig,
  options: TestOptions,
): Promise<Source[]> {
  const { parseSources, configuredSources } = await import('../shared/sources/spec.js');
  const { machineTimeZone } = await import('../shared/time-zone.js');
  if (options.preset === undefined) {
    if (options.timeZone !== undefined) {
      throw new ExpectedError('--time-zone goes with --preset (a configured source has its own timeZone)');
    }
    return configuredSources(load(options).config.ingest.sources, load(options).config.node.discovery.prefix);
  }
  const prefix = load(options).config.node.discovery.prefix;
  const zone = options.timeZone !== undefined ? { timeZone: options.timeZone } : {};
  const parsed = parseSources([{ preset: options.preset, ...zone }], machineTimeZone(), prefix);
  if (!parsed.ok) {
    // "source 1 (...): preset: ..." reads as "--preset: ..." on the command line.
    const asOptions = parsed.problems.map((problem) =>
      problem.replace(
        /^source 1 \([^)]*\): (preset|timeZone): /,
        (_, key: string) => `--${key === 'timeZone' ? 'time-zone' : key}: `,
      ),
    );
    throw new ExpectedError(asOptions.join('\n'));
  }
  return parsed.value;
}
