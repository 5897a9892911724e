// @engine-independent: opens no database (jest.config.js)
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import { SensorReadError, SensorSetupError, type SensorSpec } from '../sensor-node/drivers/types.js';
import { fakeContext, fakeSysfs, FakePin, scriptedDhtBinding } from './helpers/fake-hardware.js';

const spec = (type: string, options: SensorSpec['options'] = {}): SensorSpec => ({
  type, name: 's', intervalMs: 2000, calibration: {}, maxChangePerMinute: {}, options,
});
const open = async (type: string, sysfsRoot: string, options: SensorSpec['options'] = {}) => {
  const driver = DRIVERS[type]!.create(spec(type, options), fakeContext({ sysfsRoot }));
  await driver.open();
  return driver;
};

test('dht22-iio reads the kernel driver\'s milli-units, finding the device by its name', async () => {
  const sys = fakeSysfs({
    'sys/bus/iio/devices/iio:device0/name': 'bme280\n',
    'sys/bus/iio/devices/iio:device0/in_temp_input': '19000\n',
    'sys/bus/iio/devices/iio:device1/name': 'dht11\n',
    'sys/bus/iio/devices/iio:device1/in_temp_input': '21500\n',
    'sys/bus/iio/devices/iio:device1/in_humidityrelative_input': '45300\n',
  });
  const driver = await open('dht22-iio', sys.root);
  expect(await driver.read()).toEqual({ temperature: 21.5, humidity: 45.3 });
  expect(driver.minReadIntervalMs).toBe(2000);
  expect(driver.staleAfterPause).toBe(true);
});

test('iio reads a BME280 with pressure in hPa', async () => {
  const sys = fakeSysfs({
    'sys/bus/iio/devices/iio:device0/name': 'bme280',
    'sys/bus/iio/devices/iio:device0/in_temp_input': '22125',
    'sys/bus/iio/devices/iio:device0/in_humidityrelative_input': '51234',
    'sys/bus/iio/devices/iio:device0/in_pressure_input': '101.325',
  });
  expect(await (await open('iio', sys.root, { iioName: 'bme280' })).read()).toEqual({
    temperature: 22.125, humidity: 51.234, pressure: 1013.25,
  });
});

test('a missing IIO device says what was found and how to enable the overlay', async () => {
  const sys = fakeSysfs({ 'sys/bus/iio/devices/iio:device0/name': 'bme280' });
  await expect(open('dht22-iio', sys.root)).rejects.toThrow(
    'expected an IIO device named dht11 under /sys/bus/iio/devices, found iio:device0 (bme280) (is dtoverlay=dht11,' +
      'gpiopin=<pin> in /boot/firmware/config.txt, and did you reboot?); set "device" to choose one',
  );
});

test('ds18b20 reads `temperature`, or `w1_slave` with its CRC check', async () => {
  const sys = fakeSysfs({
    'sys/bus/w1/devices/28-0316a2795cff/temperature': '23125\n', 'sys/bus/w1/devices/w1_bus_master1/x': '',
  });
  const driver = await open('ds18b20', sys.root);
  expect(await driver.read()).toEqual({ temperature: 23.125 });

  const old = fakeSysfs({
    'sys/bus/w1/devices/28-aa/w1_slave':
      '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=-1250\n',
  });
  const oldDriver = await open('ds18b20', old.root, { id: '28-aa' });
  expect(await oldDriver.read()).toEqual({ temperature: -1.25 });
  old.write(
    'sys/bus/w1/devices/28-aa/w1_slave', '72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n72 01 4b 46 7f ff 0e 10 57 t=23000\n',
  );
  await expect(oldDriver.read()).rejects.toMatchObject({ kind: 'checksum' });
  old.write('sys/bus/w1/devices/28-aa/w1_slave', 'xx : crc=57 YES\nxx t=85000\n');
  await expect(oldDriver.read()).rejects.toThrow('85 °C is the power-on value');
});

test('ds18b20 without an id and two sensors asks for the id', async () => {
  const sys = fakeSysfs({ 'sys/bus/w1/devices/28-a/temperature': '1', 'sys/bus/w1/devices/28-b/temperature': '2' });
  await expect(open('ds18b20', sys.root)).rejects.toThrow(
    new SensorSetupError('expected one DS18B20 (28-*) under /sys/bus/w1/devices, found 28-a, 28-b; set "id"'),
  );
});

test('cpu-temperature reads the thermal zone', async () => {
  const sys = fakeSysfs({ 'sys/class/thermal/thermal_zone1/temp': '48312\n' });
  expect(await (await open('cpu-temperature', sys.root, { zone: 1 })).read()).toEqual({ temperature: 48.312 });
  await expect(open('cpu-temperature', sys.root)).rejects.toBeInstanceOf(SensorReadError);
});

test('dht22 through node-dht-sensor; a missing package says what to install and why it may fail', async () => {
  const dht = scriptedDhtBinding([
    { temperature: 21.2, humidity: 40.1 }, new Error('failed to read sensor: checksum error'),
  ]);
  const driver = DRIVERS['dht22-node-dht-sensor']!.create(
    spec('dht22-node-dht-sensor', { pin: 4 }), fakeContext({ optional: { 'node-dht-sensor': dht.binding } }),
  );
  await driver.open();
  expect(await driver.read()).toEqual({ temperature: 21.2, humidity: 40.1 });
  await expect(driver.read()).rejects.toMatchObject({ kind: 'checksum' });

  const missing = DRIVERS['dht22-rpi-dht-sensor']!.create(spec('dht22-rpi-dht-sensor', { pin: 4 }), fakeContext());
  await expect(missing.open()).rejects.toThrow(
    new RegExp(
      'needs the optional package rpi-dht-sensor: run `npm install rpi-dht-sensor`; ' +
        'it may fail because its native addon targets the V8 of Node 10',
    ),
  );
});

test('gpio-input reports each edge at once and the state on read', async () => {
  const pins = new Map<number, FakePin>();
  const driver = DRIVERS['gpio-input']!.create(
    spec('gpio-input', { pin: 17, metric: 'motion', debounceMs: 20 }), fakeContext({ pins }),
  );
  await driver.open();
  const changes: unknown[] = [];
  driver.watch!((r) => changes.push(r));
  const pin = pins.get(17)!;
  expect(pin.options).toEqual({ direction: 'in', edge: 'both', debounceMs: 20, activeLow: false });
  pin.set(1);
  pin.set(0);
  expect(changes).toEqual([{ motion: 1 }, { motion: 0 }]);
  pin.value = 1;
  expect(await driver.read()).toEqual({ motion: 1 });
});
