import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import type { Config } from '../config/index.js';
import { createLogger, type Logger } from '../shared/log.js';
import { stopOnSignal } from '../shared/shutdown.js';
import { DRIVERS } from './drivers/registry.js';
import type { DriverContext, GpioOptions, GpioPin, SensorSpec } from './drivers/types.js';
import { HaDiscovery } from './ha-discovery.js';
import { CONNECT_TIMEOUT_MS, SensorNode, STOP_TIMEOUT_MS } from './node.js';
import { describeLinkProblem } from './link-problem.js';
import { Summary } from '../shared/summary.js';
import { Outbox } from './outbox.js';
import { diskOf, outboxSizing } from './outbox-size.js';
import { parseSensorList } from './sensor-config.js';
import { WallClock } from './wall-clock.js';

import { ExpectedError } from '../shared/expected-error.js';
import { ensureWritableDir } from '../shared/writable-dir.js';

/** A node configuration problem: shown without a stack trace. */
export class NodeConfigError extends ExpectedError {}

/** What one spooled reading takes on disk, about: a DHT22 payload, its topic and the record header. */
const BYTES_PER_READING = 160;
const OUTBOX_DAYS = 7;

/** Readings all sensors make in a week, in bytes: the default outbox size. */
export function weekOfReadingsBytes(sensors: SensorSpec[]): number {
  const perSecond = sensors.reduce((n, s) => n + 1000 / s.intervalMs, 0);
  return Math.ceil(perSecond * OUTBOX_DAYS * 86_400 * BYTES_PER_READING);
}

/**
 * The node's hardware access: onoff for GPIO and dynamic import for optional DHT packages, both loaded on
 * first use.
 */
export const hardware = (sysfsRoot: string): DriverContext => ({
  sysfsRoot,
  random: Math.random,
  loadOptional: (name) => import(name),
  async openGpio(pin: number, { direction, edge, debounceMs, activeLow }: GpioOptions): Promise<GpioPin> {
    const { Gpio } = await import('onoff');
    if (!Gpio.accessible) {
      throw new NodeConfigError(
        `GPIO ${pin}: /sys/class/gpio is not accessible on this machine ` +
          '(not a Pi, or the user is not in the gpio group)',
      );
    }
    return new Gpio(pin, direction, edge ?? 'none', { debounceTimeout: debounceMs, activeLow }) as unknown as GpioPin;
  },
});

/** pimonitor's version, announced to Home Assistant as the node's software version. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The sensor node process: `pimonitor node --config node.json`. */
export async function runNode(config: Config, ctx: DriverContext = hardware(config.node.sysfsRoot)): Promise<void> {
  const log = createLogger('node', config.log.level);
  const { node, mqtt } = config;
  const { sensors: specs, problems } = parseSensorList(node.sensors, node.intervalMs);
  if (problems.length > 0) throw new NodeConfigError(problems.join('\n'));
  if (node.simulate) {
    const simulated = { calibration: {}, maxChangePerMinute: {}, options: {} };
    specs.push({ type: 'simulated', name: 'dht22', intervalMs: node.intervalMs, ...simulated });
  }
  if (specs.length === 0) {
    throw new NodeConfigError(
      'no sensors configured: list them in node.sensors (see docs/sensor-nodes.md), ' +
        'or run with --simulate to publish a simulated DHT22',
    );
  }
  const outboxDir = resolve(config.dataDir, 'outbox', node.device);
  ensureWritableDir(outboxDir);
  const sizing = outboxSizing({
    configured: node.outboxMaxBytes,
    weekBytes: weekOfReadingsBytes(specs),
    ...diskOf(outboxDir, config.dataDir),
  });
  const outbox = Outbox.open({ dir: outboxDir, maxBytes: sizing.maxBytes, segmentBytes: sizing.segmentBytes });
  if (outbox.staleLock) {
    log.warn({ outbox: outboxDir, reason: outbox.staleLock }, 'took over a stale lock on the outbox');
  }
  const wallClock = new WallClock({ syncFile: node.clockSyncFile });
  if (node.clockSyncFile && !wallClock.syncFile) {
    log.warn(
      { clockSyncFile: node.clockSyncFile },
      'no systemd-timesyncd here: trusting the system clock once it reads 2024 or later',
    );
  }
  const statusLed = node.statusLedPin >= 0 ? await ctx.openGpio(node.statusLedPin, { direction: 'out' }) : undefined;
  let sensorNode: SensorNode | undefined;
  const discovery = node.discovery.enabled
    ? new HaDiscovery({
      prefix: node.discovery.prefix,
      mode: node.discovery.mode as 'device' | 'entity',
      device: node.device,
      version: packageVersion(),
      sensors: specs.map((spec) => ({
        name: spec.name,
        type: spec.type,
        intervalMs: spec.intervalMs,
        metrics: DRIVERS[spec.type]!.metrics?.(spec) ?? [],
        binary: DRIVERS[spec.type]!.binary ?? false,
      })),
      statePath: resolve(config.dataDir, `ha-discovery-${node.device}.json`),
    }, () => sensorNode?.resendLatest())
    : undefined;
  sensorNode = new SensorNode({
    url: mqtt.url,
    device: node.device,
    username: mqtt.username,
    password: mqtt.password,
    sensors: specs.map((spec) => ({ spec, driver: DRIVERS[spec.type]!.create(spec, ctx) })),
    outbox,
    wallClock,
    diagIntervalMs: node.diagIntervalMs,
    statusLed,
    discovery,
  });
  logNodeEvents(sensorNode, log, mqtt.url);
  // The node stops by its own deadline, the process a little later, both below systemd's TimeoutStopSec
  // (30 s).
  stopOnSignal(async () => {
    await sensorNode.stop({ timeoutMs: STOP_TIMEOUT_MS });
    statusLed?.unexport();
  }, log, STOP_TIMEOUT_MS + 5_000);
  log.info({
    device: node.device,
    mqtt: mqtt.url,
    homeAssistant: discovery ? `${node.discovery.mode} discovery under ${node.discovery.prefix}/` : 'off',
    sensors: specs.map((spec) => `${spec.name} (${spec.type})`),
    outbox: outboxDir,
    backlogBytes: outbox.pendingBytes,
    outboxMaxBytes: sizing.maxBytes,
    outboxLimitedBy: sizing.limitedBy,
    reservedForSystem: sizing.reserveBytes,
  }, 'node starting');
  await sensorNode.start();
}

/** Repeated problems are told once, then summarised this often, never one line per reading or attempt. */
const SUMMARY_EVERY_MS = 10 * 60_000;

function logNodeEvents(node: SensorNode, log: Logger, url: string): void {
  let up = false;
  const failures = new Summary(SUMMARY_EVERY_MS);
  const drops = new Map<string, Summary>();
  node.on('connected', ({ broker }) => {
    up = true;
    const { unreported, total } = failures.endStreak();
    const missed = total > 0 ? { failedAttempts: total, notLoggedSinceLast: unreported } : {};
    log.info({ url, broker, ...missed }, 'connected to the broker');
  });
  node.on('brokerSwitched', ({ from, to, switches }) =>
    log.warn({ from, to, switches }, 'failed over to another broker of MQTT_URL'));
  node.on('disconnected', () => {
    if (up) log.warn({ url }, 'lost the broker; readings wait in the outbox');
    up = false;
  });
  node.on('linkProblem', ({ err, broker }) => {
    const attempts = failures.add(1, Date.now());
    if (attempts === 0) return;
    // With a list, the broker of it that failed, not the whole list as if it were one URL.
    const { cause, check } = describeLinkProblem(err, broker ?? url, CONNECT_TIMEOUT_MS);
    const message = failures.total === 1
      ? 'cannot connect to the broker; readings wait in the outbox'
      : 'still cannot connect to the broker';
    log.warn({ url, broker, cause, check, failedAttempts: failures.total }, message);
  });
  node.on('diskTrouble', ({ trouble }) => {
    if (trouble) {
      log.error(
        { code: trouble.code, err: trouble.message },
        'the outbox cannot store readings (is DATA_DIR full?): sending them straight to the broker while it is up, ' +
          'dropping the oldest while it is away',
      );
    } else log.info('the outbox stores readings again');
  });
  node.on('held', () =>
    log.warn(
      'the system clock is not synchronised yet; holding readings in the outbox until it is ' +
        '(they leave first, with the times they were taken)',
    ));
  node.on('dropped', ({ what, count }) => {
    const summary = drops.get(what) ?? drops.set(what, new Summary(SUMMARY_EVERY_MS)).get(what)!;
    const dropped = summary.add(count, Date.now());
    if (dropped > 0) log.warn({ what, dropped, droppedInAll: summary.total }, 'dropped readings');
  });
  node.on('reading', ({ sensor, readings, ts }) => log.debug({ sensor, ts: ts.toISOString(), ...readings }, 'reading'));
}
