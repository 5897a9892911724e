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
export function describeDecoded(d: Decoded): { lines: string[]; stored: boolean } {
  if ('ok' in d) return { lines: [`rejected (${d.code}), kept in rejected_messages with the reason:`, `  ${d.reason}`], stored: false };
  switch (d.kind) {
    case 'ignored':
      return { lines: [`ignored by the ${d.source} source's rule (not stored, counted on /metrics): ${d.reason}`], stored: false };
    case 'status':
      return { lines: [`device status: ${d.device} is ${d.status} (read by ${d.source})`], stored: true };
    case 'readings':
      return {
        lines: [
          `would store ${d.readings.reduce((n, r) => n + r.metrics.length, 0)} value(s) (read by ${d.source}):`,
          ...d.readings.flatMap((r) => r.metrics.map((m) => `  ${r.device}/${r.sensor}/${m.metric} = ${m.value}${unitOf(m.metric) ? ` ${unitOf(m.metric)}` : ''} at ${r.ts.toISOString()}`)),
        ],
        stored: true,
      };
  }
}

/** `pimonitor sources list|test`: what the configured sources read, and what one message would become. */
export function addSourcesCommands(program: Command, load: (o: { config?: string }) => LoadedConfig): void {
  const sources = program.command('sources').description('devices of other projects (Tasmota, Zigbee2MQTT, ESPHome, Shelly, your own mapping) read beside pimonitor\'s');

  sources
    .command('list')
    .description('the configured sources (ingest.sources / INGEST_SOURCES) and the topics each subscribes to')
    .addOption(configOption())
    .action(async (o: { config?: string }) => {
      const { configuredSources } = await import('../shared/sources/spec.js');
      const { fencedRoots } = await import('../shared/sources/territory.js');
      const { config } = load(o);
      const list = configuredSources(config.ingest.sources, config.node.discovery.prefix);
      if (list.length === 0) {
        return console.log("no sources: only pimonitor's own home/<device>/<sensor>. "
          + 'Add some with INGEST_SOURCES=tasmota,zigbee2mqtt (see docs/devices.md).');
      }
      console.log(['name', 'preset', 'topics'].join('\t'));
      for (const s of list) console.log([s.name, s.preset, s.filters.join(' ')].join('\t'));
      if (list.some((s) => s.filters.some((f) => f.startsWith('+/'))))
        console.log(`A + first level never takes another system's topics: ${fencedRoots(list, config.node.discovery.prefix).map((r) => `${r}/`).join(' ')} are left to their owners.`);
    });

  sources
    .command('test')
    .description('show what one message would become (stored values, a status, or why not), without a broker or a database')
    .option('-p, --preset <name>', 'read it with this preset (tasmota, zigbee2mqtt, esphome, shelly); default: the configured sources')
    .requiredOption('-t, --topic <topic>', 'the MQTT topic, e.g. tele/porch/SENSOR')
    .requiredOption('-m, --payload <text>', 'the payload as the device sends it, e.g. \'{"AM2301":{"Temperature":21.5}}\'')
    .option('--time-zone <zone>', 'with --preset: the zone of device times without an offset (default: this machine\'s)')
    .option('--at <time>', 'the receive time (ISO 8601; default now)')
    .addOption(configOption())
    .action(async (o: TestOptions) => {
      const chosen = await chosenSources(load, o);
      const at = o.at === undefined ? new Date() : new Date(o.at);
      if (Number.isNaN(at.getTime())) throw new ExpectedError(`--at: "${o.at}" is not a time (ISO 8601, e.g. 2026-11-25T10:00:00Z)`);
      const { decodeMessage } = await import('../shared/sources/decode.js');
      const config = load(o).config;
      const limits = { maxPayloadBytes: config.ingest.maxPayloadBytes, maxFutureSkewMs: config.ingest.maxFutureSkewMs, ranges: { ...DEFAULT_METRIC_RANGES, ...(config.ingest.metricRanges as object) } };
      const { lines, stored } = describeDecoded(decodeMessage(chosen, o.topic!, Buffer.from(o.payload!), at, limits));
      console.log(lines.join('\n'));
      if (!stored) process.exitCode = 1;
    });
}

async function chosenSources(load: (o: { config?: string }) => LoadedConfig, o: TestOptions): Promise<Source[]> {
  const { parseSources, configuredSources } = await import('../shared/sources/spec.js');
  const { machineTimeZone } = await import('../shared/time-zone.js');
  if (o.preset === undefined) {
    if (o.timeZone !== undefined) throw new ExpectedError('--time-zone goes with --preset (a configured source has its own timeZone)');
    return configuredSources(load(o).config.ingest.sources, load(o).config.node.discovery.prefix);
  }
  const parsed = parseSources([{ preset: o.preset, ...(o.timeZone !== undefined ? { timeZone: o.timeZone } : {}) }], machineTimeZone(), load(o).config.node.discovery.prefix);
  if (!parsed.ok) throw new ExpectedError(parsed.problems.map((p) => p.replace(/^source 1 \([^)]*\): (preset|timeZone): /, (_, key: string) => `--${key === 'timeZone' ? 'time-zone' : key}: `)).join('\n'));
  return parsed.value;
}
