// @engine-independent: opens no database (jest.config.js)
import { calibrate, rangeProblem, SpikeFilter } from '../sensor-node/quality.js';
import { parseSensorList } from '../sensor-node/sensor-config.js';
import { WallClock } from '../sensor-node/wall-clock.js';

describe('quality filters', () => {
  test('values outside the sensor range are named', () => {
    expect(rangeProblem({ temperature: 21, humidity: 123 }, { temperature: [-40, 80], humidity: [0, 100] })).toBe(
      'humidity 123 outside 0..100',
    );
    expect(rangeProblem({ temperature: -3276.7 }, { temperature: [-40, 80] })).toBe(
      'temperature -3276.7 outside -40..80',
    );
    expect(rangeProblem({ temperature: 21 }, { temperature: [-40, 80] })).toBeNull();
  });

  test('calibration offsets are added per metric', () => {
    expect(calibrate({ temperature: 21.33, humidity: 40 }, { temperature: -0.7 })).toEqual({
      temperature: 20.63, humidity: 40,
    });
  });

  test('a one-off jump is a spike; a jump the next reading confirms is a real change', () => {
    const filter = new SpikeFilter({ temperature: 5 });
    const minute = 60_000;
    expect(filter.check({ temperature: 20 }, 0)).toBeNull();
    expect(filter.check({ temperature: 21 }, 2000)).toBeNull();
    expect(filter.check({ temperature: 45 }, 4000)).toBe('temperature jumped from 21 to 45, more than 5 a minute');
    expect(filter.check({ temperature: 21.2 }, 6000)).toBeNull();
    expect(filter.check({ temperature: 30 }, 8000)).not.toBeNull();
    expect(filter.check({ temperature: 30.5 }, 10_000)).toBeNull(); // confirmed: the heater came on
    expect(filter.check({ temperature: 45 }, 10_000 + 5 * minute)).toBeNull(); // 5 minutes allow 25
  });
});

describe('sensor list', () => {
  test('a valid list builds specs with defaults', () => {
    const { sensors, problems } = parseSensorList(
      [
        { type: 'dht22-iio', name: 'dht22', calibration: { temperature: -0.5 } },
        { type: 'ds18b20', name: 'tank', id: '28-0316a2795cff', intervalMs: 30_000 },
        { type: 'gpio-input', name: 'door', pin: 17, activeLow: true, metric: 'open' },
      ],
      10_000,
    );
    expect(problems).toEqual([]);
    expect(sensors.map((s) => [s.name, s.intervalMs, s.options])).toEqual([
      ['dht22', 10_000, {}],
      ['tank', 30_000, { id: '28-0316a2795cff' }],
      ['door', 10_000, { pin: 17, activeLow: true, metric: 'open' }],
    ]);
    expect(sensors[0]!.maxChangePerMinute).toEqual({ temperature: 10, humidity: 30 });
  });

  test('every problem names the sensor and the field', () => {
    const { problems } = parseSensorList(
      [
        { type: 'dht23', name: 'a' },
        { type: 'dht22-node-dht-sensor', name: 'b', intervalMs: 500 },
        { type: 'ds18b20', name: 'b', pin: 4 },
        { type: 'cpu-temperature', name: 'status' },
        { type: 'simulated', name: 'bad name', calibration: { temperature: 'high' } },
        'dht22',
      ],
      10_000,
    );
    expect(problems).toEqual([
      'node.sensors[0] "a" (dht23): type "dht23" is not one of dht22-iio, iio, dht22-node-dht-sensor, ' +
        'dht22-rpi-dht-sensor, ds18b20, cpu-temperature, gpio-input, simulated',
      'node.sensors[1] "b" (dht22-node-dht-sensor): intervalMs 500 is below the 2000 ms this sensor allows',
      'node.sensors[1] "b" (dht22-node-dht-sensor): pin is required: BCM GPIO number (GPIO4 is pin 7)',
      'node.sensors[2] "b" (ds18b20): name "b" is used by another sensor of this node',
      'node.sensors[2] "b" (ds18b20): unknown field "pin" (this type takes id)',
      'node.sensors[3] "status" (cpu-temperature): name "status" is reserved for the device status topic',
      'node.sensors[4] "bad name" (simulated): sensor name "bad name" must be 1-64 characters of A-Z a-z 0-9 _ -',
      'node.sensors[4] "bad name" (simulated): calibration must be an object of metric: number, e.g. {"temperature": ' +
        '-0.5}',
      'node.sensors[5] must be an object with at least "type" and "name"',
    ]);
  });
});

describe('wall clock', () => {
  const files = new Set<string>(['/run/systemd/timesync']);
  let mono = 1000;
  const wall = Date.UTC(2026, 5, 1, 12);
  const clock = new WallClock({
    syncFile: '/run/systemd/timesync/synchronized', monotonicNow: () => mono, wallNow: () => wall,
    exists: (p) => files.has(p),
  });

  test('holds (undefined) until synchronised, then stamps with the time the reading was taken', () => {
    expect(clock.toWall(1000)).toBeUndefined();
    mono = 61_000;
    files.add('/run/systemd/timesync/synchronized');
    expect(clock.toWall(1000)).toEqual(new Date(wall - 60_000));
  });

  test('a 1970 clock is never trusted, sync file or not', () => {
    const c = new WallClock({ syncFile: '', wallNow: () => 5000 });
    expect(c.isSynchronized()).toBe(false);
  });

  test('without systemd-timesyncd, only plausibility counts', () => {
    const c = new WallClock({
      syncFile: '/run/systemd/timesync/synchronized', wallNow: () => wall, exists: () => false,
    });
    expect(c.syncFile).toBe('');
    expect(c.isSynchronized()).toBe(true);
  });
});
