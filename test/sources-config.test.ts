// @engine-independent: opens no database (jest.config.js)
import { deviceKeyOf, sourceFor, subscriptionsOf } from '../shared/sources/decode.js';
import { legalName, metricName } from '../shared/sources/mapping.js';
import { parseSources } from '../shared/sources/spec.js';
import { topicMatches } from '../shared/sources/source.js';
import { ALL, decode, received, rows, sourcesOf } from './helpers/sources.js';

// Custom mappings, the configuration of ingest.sources, and dispatch: which source a topic belongs to,
// partition keys and the names a device or metric is given. Pure: no broker, no database. The presets'
// documented payloads: test/sources.test.ts.

describe('custom mappings', () => {
  const [weather] = sourcesOf([{
    name: 'weather',
    topic: 'weather/{device}/{sensor}',
    metrics: { temperature: 'main.temp', humidity: 'main.humidity' },
    units: { temperature: 'F' },
    time: 'dt',
    availability: { topic: 'weather/{device}/lwt', online: 'up', offline: 'down' },
  }]);
  const [plain] = sourcesOf([
    { name: 'meters', topic: 'meters/{device}/{metric}', payload: 'number', sensor: 'meter' },
  ]);

  test('paths, units, a time in epoch seconds, availability words', () => {
    const owm = '{"main":{"temp":50,"humidity":80},"dt":1795600800}';
    expect(rows(decode('weather/garden/owm', owm, received, [weather!]))).toEqual([
      'garden/owm temperature=10 @2026-11-25T10:00:00.000Z',
      'garden/owm humidity=80 @2026-11-25T10:00:00.000Z',
    ]);
    expect(decode('weather/garden/lwt', 'down', received, [weather!]))
      .toMatchObject({ kind: 'status', device: 'garden', status: 'offline' });
    const warm = '{"main":{"temp":"warm"},"dt":1795600800}';
    expect(decode('weather/garden/owm', warm, received, [weather!])).toMatchObject({
      ok: false,
      code: 'metric',
      reason: 'weather: garden/owm: metric temperature is a string, expected a number',
    });
    expect(rows(decode('meters/cellar/power', '1234.5', received, [plain!])))
      .toEqual(['cellar/meter power=1234.5 @2026-11-25T10:00:05.000Z']);
  });
});

describe('configuration', () => {
  test.each([
    ['zigbee', 'source 1 ("zigbee"): preset: "zigbee" is not one of tasmota, zigbee2mqtt, esphome, shelly'],
    [[{ preset: 'tasmota', timezone: 'UTC' }], 'source 1 ("tasmota"): timezone: not a setting of a preset'],
    [[{ preset: 'tasmota', timeZone: 'Mars/Olympus' }], 'timeZone: "Mars/Olympus" is not an IANA time zone'],
    [[{ preset: 'zigbee2mqtt', prefix: 'home' }], "prefix: home/ is pimonitor's own topic tree"],
    ['tasmota,tasmota', 'another source is called tasmota'],
    [[{ name: 'w', topic: 'weather/+/x' }], 'topic: has no {device} level'],
    [[{ name: 'w', topic: 'w/{device}', units: { temperature: 'Rankine' } }], 'units.temperature: must be one of'],
    [[{ name: 'w', topic: 'w/{device}/#/x' }], 'level "#" is not text'],
  ])('%j is refused: %s', (raw, problem) => {
    const parsed = parseSources(raw, 'UTC');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('\n')).toContain(problem);
  });

  test('one line: presets by name, their subscriptions after home/+/+', () => {
    expect(subscriptionsOf(ALL)).toEqual([
      'home/+/+', 'tele/+/SENSOR', 'tele/+/LWT', 'zigbee2mqtt/#', '+/sensor/+/state', '+/binary_sensor/+/state',
      '+/status', '+/status/+', '+/events/rpc', '+/online',
    ]);
    expect(parseSources('', 'UTC')).toEqual({ ok: true, value: [] });
  });
});

describe('dispatch', () => {
  test('home/… is always the contract\'s, even where a source filter would match it', () => {
    expect(sourceFor(ALL, 'home/status/x')).toBeUndefined();
    expect(decode('home/attic/dht22', '{"temperature":21}')).toMatchObject({ kind: 'readings', source: 'pimonitor' });
    expect(decode('elsewhere/x', '{}')).toMatchObject({ ok: false, source: 'pimonitor', code: 'topic' });
  });

  test('all of one device\'s messages have one partition key', () => {
    expect(deviceKeyOf(ALL, 'zigbee2mqtt/Living Room/Thermometer'))
      .toBe(deviceKeyOf(ALL, 'zigbee2mqtt/Living Room/Thermometer/availability'));
    expect(deviceKeyOf(ALL, 'tele/porch/SENSOR')).toBe(deviceKeyOf(ALL, 'tele/porch/LWT'));
    expect(deviceKeyOf(ALL, 'livingroom/status')).toBe(deviceKeyOf(ALL, 'livingroom/sensor/t/state'));
    expect(deviceKeyOf(ALL, 'shx/online')).toBe(deviceKeyOf(ALL, 'shx/events/rpc'));
    expect(deviceKeyOf([], 'home/attic/dht22')).toBe('attic');
  });

  test.each([
    ['home/+/+', 'home/a/b', true],
    ['home/+/+', 'home/a/b/c', false],
    ['zigbee2mqtt/#', 'zigbee2mqtt', true],
    ['+/status', '$SYS/status', false],
    ['a/#', 'a/b/c', true],
  ])('%s matches %s: %s', (filter, topic, expected) => expect(topicMatches(filter, topic)).toBe(expected));

  test.each([
    ['Living Room/Thermometer', 'Living_Room-Thermometer_dc3e4f'],
    ['0x00158d0001e1a2b3', '0x00158d0001e1a2b3'],
    ['Küche', 'K_che_d714e2'],
    ['  ', 'x_b1c5b2'],
    ['a'.repeat(80), `${'a'.repeat(57)}_5143e6`],
    ['Living_Room', 'Living_Room'], ['a-', 'a-'], ['_x', '_x'], ['Living Room', 'Living_Room_2fedc8'],
    ['Living.Room', 'Living_Room_068020'],
  ])('legalName(%j) is %s: a legal name is kept, any other made legal with a hash of the original', (name, legal) => {
    expect(legalName(name)).toBe(legal);
    expect(legalName(name)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  test(
    'names that read alike stay apart, whatever else: legal ones are kept, the others are distinct, every time',
    () => {
      const names = [
        'Living Room', 'Living.Room', 'Living_Room', 'Living  Room', 'Living/Room', 'Living-Room', 'living room',
      ];
      const legal = names.map(legalName);
      expect(new Set(legal).size).toBe(names.length);
      expect(names.map(legalName)).toEqual(legal);
    },
  );

  test.each([
    ['DewPoint', 'dew_point'], ['PM2.5', 'pm2_5'], ['ApparentPower', 'apparent_power'], ['1', 'm1'], ['eCO2', 'e_co2'],
  ])('metricName(%s) = %s', (key, metric) => expect(metricName(key)).toBe(metric));
});

test(
  'the dashboard\'s live feed shows a Tasmota\'s sensors as events like a node\'s (web/live.ts, same decoding)',
  async () => {
    const { liveEventsOf } = await import('../web/live.js');
    const payload = '{"Time":"2026-11-25T11:00:00+01:00","AM2301":{"Temperature":21},"DS18B20":{"Temperature":7}}';
    expect(liveEventsOf('tele/porch/SENSOR', Buffer.from(payload), received, ALL)).toEqual([
      {
        type: 'reading', device: 'porch', sensor: 'am2301', ts: '2026-11-25T10:00:00.000Z', values: { temperature: 21 },
      },
      {
        type: 'reading', device: 'porch', sensor: 'ds18b20', ts: '2026-11-25T10:00:00.000Z', values: { temperature: 7 },
      },
    ]);
    expect(liveEventsOf('zigbee2mqtt/bridge/state', Buffer.from('online'), received, ALL)).toEqual([]);
    expect(liveEventsOf('tele/porch/LWT', Buffer.from('Offline'), received, ALL))
      .toEqual([{ type: 'status', device: 'porch', status: 'offline' }]);
  },
);

test('the sources example of docs/devices.md is a valid configuration', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PACKAGE_ROOT } = await import('../shared/paths.js');
  const page = readFileSync(join(PACKAGE_ROOT, 'docs', 'devices.md'), 'utf8');
  const block = /or in the configuration file, with options:\n\n```json\n([\s\S]*?)\n```/.exec(page)?.[1];
  expect(block).toBeDefined();
  const parsed = parseSources((JSON.parse(block!) as { ingest: { sources: unknown } }).ingest.sources, 'UTC');
  expect(parsed.ok && parsed.value.map((s) => s.name)).toEqual(['zigbee2mqtt', 'tasmota', 'esphome', 'weather']);
});
