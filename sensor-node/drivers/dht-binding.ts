import {
  SensorReadError,
  SensorSetupError,
  type DriverContext,
  type Readings,
  type SensorDriver,
  type SensorSpec,
} from './types.js';

/** The DHT22 datasheet: at most one read per 2 s, -40..80 °C, 0..100 %RH. */
export const DHT22_MIN_READ_INTERVAL_MS = 2000;
const DHT22_RANGES = { temperature: [-40, 80], humidity: [0, 100] } as const;

const WHY: Record<string, string> = {
  'node-dht-sensor': 'it compiles a native addon with node-gyp (needs python3, make and g++)',
  'rpi-dht-sensor':
    'its native addon targets the V8 of Node 10 and does not compile on Node 12 or newer; prefer the dht22-iio driver',
};

/**
 * A DHT22 read by bit-banging GPIO from a native addon; the package is optional and loaded only when
 * configured.
 */
export function createDhtBindingDriver(
  spec: SensorSpec,
  ctx: DriverContext,
  packageName: 'node-dht-sensor' | 'rpi-dht-sensor',
): SensorDriver {
  const pin = Number(spec.options.pin);
  let readOnce: () => Promise<Readings>;
  return {
    minReadIntervalMs: DHT22_MIN_READ_INTERVAL_MS,
    staleAfterPause: true,
    ranges: DHT22_RANGES,
    async open() {
      let binding: unknown;
      try {
        binding = await ctx.loadOptional(packageName);
      } catch (err) {
        throw new SensorSetupError(
          `sensor ${spec.name} (${spec.type}) needs the optional package ${packageName}: ` +
            `run \`npm install ${packageName}\`; ` +
            `it may fail because ${WHY[packageName]} (${(err as Error).message.split('\n')[0]})`,
        );
      }
      readOnce = packageName === 'node-dht-sensor' ? nodeDhtSensor(binding, pin) : rpiDhtSensor(binding, pin);
    },
    read: () => readOnce(),
    async close() {},
  };
}

function nodeDhtSensor(binding: unknown, pin: number): () => Promise<Readings> {
  type NodeDhtSensor = {
    promises: { read(type: number, pin: number): Promise<{ temperature: number; humidity: number }> };
  };
  const sensor = ((binding as { default?: unknown }).default ?? binding) as NodeDhtSensor;
  return async () => {
    try {
      const { temperature, humidity } = await sensor.promises.read(22, pin);
      return { temperature, humidity };
    } catch (err) {
      const message = (err as Error).message;
      throw new SensorReadError(/checksum/i.test(message) ? 'checksum' : 'timeout', message);
    }
  };
}

function rpiDhtSensor(binding: unknown, pin: number): () => Promise<Readings> {
  type RpiDhtRead = { temperature: number; humidity: number; isValid: boolean; errors: number };
  type RpiDhtSensor = { DHT22: new (pin: number) => { read(): RpiDhtRead } };
  const lib = ((binding as { default?: unknown }).default ?? binding) as RpiDhtSensor;
  const dht = new lib.DHT22(pin);
  return async () => {
    const result = dht.read();
    if (!result.isValid) throw new SensorReadError('checksum', `invalid read after ${result.errors} errors`);
    return { temperature: result.temperature, humidity: result.humidity };
  };
}
