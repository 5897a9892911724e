import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DriverContext, GpioOptions, GpioPin } from '../../sensor-node/drivers/types.js';

/** A temporary /sys with the files the drivers read; `write` changes one, as the kernel would. */
export function fakeSysfs(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'pimonitor-sysfs-'));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { root, write };
}

/** A Pi's /sys with one sensor of each sysfs driver: a DHT22 and a BME280 on IIO, a DS18B20, the CPU. */
export function piSysfs() {
  return fakeSysfs({
    'sys/bus/iio/devices/iio:device0/name': 'dht11',
    'sys/bus/iio/devices/iio:device0/in_temp_input': '21500',
    'sys/bus/iio/devices/iio:device0/in_humidityrelative_input': '45300',
    'sys/bus/iio/devices/iio:device1/name': 'bme280',
    'sys/bus/iio/devices/iio:device1/in_temp_input': '22125',
    'sys/bus/iio/devices/iio:device1/in_pressure_input': '101.325',
    'sys/bus/w1/devices/28-0316a2795cff/temperature': '18250',
    'sys/class/thermal/thermal_zone0/temp': '48312',
  });
}

/** A GPIO pin a test sets like a switch; it remembers what was written to it. */
export class FakePin extends EventEmitter implements GpioPin {
  value: 0 | 1 = 0;
  written: Array<0 | 1> = [];
  constructor(readonly options: GpioOptions) {
    super();
  }
  readSync() {
    return this.value;
  }
  writeSync(value: 0 | 1) {
    this.written.push(value);
  }
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void) {
    this.on('change', (v: 0 | 1) => callback(null, v));
  }
  set(value: 0 | 1) {
    this.value = value;
    this.emit('change', value);
  }
  unexport() {}
}

export type DhtStep = { temperature: number; humidity: number } | Error;

/**
 * A node-dht-sensor stand-in that answers from a script, one step per read (the last repeats):
 * what the real driver loads with import('node-dht-sensor') on a Pi.
 */
export function scriptedDhtBinding(script: DhtStep[]) {
  let i = 0;
  return {
    reads: () => i,
    binding: {
      promises: {
        async read(type: number, pin: number) {
          if (type !== 22) throw new Error(`expected sensor type 22, got ${type} on pin ${pin}`);
          const step = script[Math.min(i++, script.length - 1)]!;
          if (step instanceof Error) throw step;
          return step;
        },
      },
    },
  };
}

export function fakeContext(
  overrides: Partial<DriverContext> & { pins?: Map<number, FakePin>; optional?: Record<string, unknown> } = {},
): DriverContext {
  const pins = overrides.pins ?? new Map<number, FakePin>();
  return {
    sysfsRoot: overrides.sysfsRoot ?? '/nonexistent',
    random: overrides.random ?? (() => 0.5),
    async openGpio(pin, options) {
      const fake = new FakePin(options);
      pins.set(pin, fake);
      return fake;
    },
    async loadOptional(name) {
      const found = overrides.optional?.[name];
      if (!found) throw new Error(`Cannot find package '${name}'`);
      return found;
    },
  };
}
