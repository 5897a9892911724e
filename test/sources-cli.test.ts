import { runCli } from './helpers/cli.js';
import { createMigratedTestDatabase, type TestDatabase } from './helpers/database.js';

// `pimonitor sources test|list` and `pimonitor device add --kind`, run from the build as a user would.

let t: TestDatabase;
beforeAll(async () => {
  t = await createMigratedTestDatabase();
}, 60_000);
afterAll(async () => t?.stop());

test('sources test shows what a Tasmota message would store, in the zone given', async () => {
  const payload = '{"Time":"2026-11-25T11:00:00","AM2301":{"Temperature":24.6,"Humidity":58.2},"TempUnit":"C"}';
  const { code, output } = await runCli([
    'sources', 'test', '--preset', 'tasmota', '--topic', 'tele/porch/SENSOR', '--payload', payload,
    '--time-zone', 'Europe/Berlin', '--at', '2026-11-25T10:00:05Z',
  ]);
  expect(code).toBe(0);
  expect(output).toContain(
    'would store 2 value(s) (read by tasmota):\n' +
      '  porch/am2301/temperature = 24.6 °C at 2026-11-25T10:00:00.000Z\n' +
      '  porch/am2301/humidity = 58.2 % at 2026-11-25T10:00:00.000Z',
  );
}, 30_000);

test(
  'sources test with the configured sources: an ignored and a rejected message exit 1 with the reason; bad options ' +
    'are named',
  async () => {
    const env = { INGEST_SOURCES: 'zigbee2mqtt,esphome' };
    const ignored = await runCli(
      ['sources', 'test', '--topic', 'zigbee2mqtt/bridge/state', '--payload', 'online'],
      env,
    );
    expect(ignored)
      .toMatchObject({ code: 1, output: expect.stringContaining("ignored by the zigbee2mqtt source's rule") });
    const rejected = await runCli(
      ['sources', 'test', '--topic', 'livingroom/sensor/living_room_temperature/state', '--payload', 'nan'],
      env,
    );
    expect(rejected).toMatchObject({
      code: 1,
      output: expect.stringContaining(
        'rejected (metric), kept in rejected_messages with the reason:\n' +
          '  esphome: livingroom/living_room: temperature is nan',
      ),
    });
    expect(await runCli(['sources', 'test', '--preset', 'zigbee', '--topic', 'x', '--payload', 'y'])).toMatchObject({
      code: 1,
      output: expect.stringContaining('--preset: "zigbee" is not one of tasmota, zigbee2mqtt, esphome, shelly'),
    });
    expect(await runCli(['sources', 'list'], { INGEST_SOURCES: 'tasmota,zigbe' })).toMatchObject({
      code: 2,
      output: expect.stringContaining('source 2 ("zigbe"): preset: "zigbe" is not one of'),
    });
    expect((await runCli(['sources', 'list'], env)).output)
      .toContain('esphome\tesphome\t+/sensor/+/state +/binary_sensor/+/state +/status');
  },
  60_000,
);

test(
  'sources test: every quantity has its unit, also after a conversion; a source time that is no date is refused as ' +
    'the contract refuses it on home/…',
  async () => {
    const tasmotaPayload = '{"Time":"2026-11-25T11:00:00","BME280":{"DewPoint":47.3,"SeaPressure":29.93},' +
      '"ENERGY":{"ApparentPower":1250,"ReactivePower":350,"Today":0.25},"PressureUnit":"inHg","TempUnit":"F"}';
    const tasmota = await runCli([
      'sources', 'test', '--preset', 'tasmota', '--topic', 'tele/porch/SENSOR', '--payload', tasmotaPayload,
      '--time-zone', 'Europe/Berlin', '--at', '2026-11-25T10:00:05Z',
    ]);
    expect(tasmota.code).toBe(0);
    const lines = [
      'porch/bme280/dew_point = 8.5 °C at',
      'porch/bme280/sea_pressure = 1013.546108 hPa at',
      'porch/energy/apparent_power = 1250 VA at',
      'porch/energy/reactive_power = 350 var at',
      'porch/energy/energy_today = 0.25 kWh at',
    ];
    for (const line of lines) expect(tasmota.output).toContain(line);
    const shelly = await runCli([
      'sources', 'test', '--preset', 'shelly', '--topic', 'shellyplus1pm-a8032ab12345/status/switch:0',
      '--payload', '{"id":0,"apower":58.2,"temperature":{"tC":41.2,"tF":106.2}}',
    ]);
    expect(shelly.output).toContain('shellyplus1pm-a8032ab12345/switch-0/device_temperature = 41.2 °C at');
    // 2026-02-31 is not 3 March: Date.parse would roll it over; the contract's parser (shared/timestamp.ts)
    // refuses it, for both.
    const at = '2026-03-03T10:00:05Z';
    expect(await runCli([
      'sources', 'test', '--preset', 'zigbee2mqtt', '--topic', 'zigbee2mqtt/plug',
      '--payload', '{"power":120,"last_seen":"2026-02-31T10:00Z"}', '--at', at,
    ])).toMatchObject({
      code: 1,
      output: expect.stringContaining(
        'rejected (timestamp), kept in rejected_messages with the reason:\n' +
          '  zigbee2mqtt: last_seen: time "2026-02-31T10:00Z" is not a valid date',
      ),
    });
    expect(await runCli([
      'sources', 'test', '--topic', 'home/plug/meter',
      '--payload', '{"power":120,"ts":"2026-02-31T10:00Z"}', '--at', at,
    ])).toMatchObject({
      code: 1,
      output: expect.stringContaining(
        'rejected (timestamp), kept in rejected_messages with the reason:\n' +
          '  ts "2026-02-31T10:00Z" is not a valid date',
      ),
    });
  },
  60_000,
);

test(
  'sources test: Home Assistant\'s status is not an ESPHome node (nor under a configured discovery prefix); names ' +
    'that read alike stay apart',
  async () => {
    expect(await runCli([
      'sources', 'test', '--preset', 'esphome', '--topic', 'homeassistant/status', '--payload', 'offline',
    ])).toMatchObject({
      code: 1,
      output: expect.stringContaining(
        "ignored by the esphome source's rule (not stored, counted on /metrics): " +
          "homeassistant/ is Home Assistant's topic tree, not a device of the esphome source",
      ),
    });
    expect(await runCli(
      ['sources', 'test', '--topic', 'hass/status', '--payload', 'online'],
      { INGEST_SOURCES: 'esphome,zigbee2mqtt', HA_DISCOVERY_PREFIX: 'hass' },
    )).toMatchObject({ code: 1, output: expect.stringContaining("hass/ is Home Assistant's topic tree") });
    expect(await runCli([
      'sources', 'test', '--preset', 'shelly', '--topic', 'zigbee2mqtt/online', '--payload', 'true',
    ])).toMatchObject({
      code: 1,
      output: expect.stringContaining("zigbee2mqtt/ is Zigbee2MQTT's topic tree, not a device of the shelly source"),
    });
    expect((await runCli([
      'sources', 'test', '--preset', 'esphome', '--topic', 'livingroom/status', '--payload', 'offline',
    ])).output).toContain('device status: livingroom is offline (read by esphome)');
    expect((await runCli(['sources', 'list'], { INGEST_SOURCES: 'esphome' })).output).toContain(
      "A + first level never takes another system's topics: " +
        'home/ pimonitor/ homeassistant/ tele/ stat/ cmnd/ tasmota/ zigbee2mqtt/ are left to their owners.',
    );
    const spaced = await runCli([
      'sources', 'test', '--preset', 'zigbee2mqtt', '--topic', 'zigbee2mqtt/Living Room',
      '--payload', '{"temperature":20}', '--at', '2026-11-25T10:00:05Z',
    ]);
    expect(spaced.output).toContain('Living_Room_2fedc8/zigbee/temperature = 20 °C at');
    expect((await runCli([
      'sources', 'test', '--preset', 'zigbee2mqtt', '--topic', 'zigbee2mqtt/Living_Room',
      '--payload', '{"temperature":20}', '--at', '2026-11-25T10:00:05Z',
    ])).output).toContain('  Living_Room/zigbee/temperature = 20 °C at');
  },
  60_000,
);

test('device add --kind: the account of a Tasmota, where to enter it, and the names a kind may not take', async () => {
  const env = { DATABASE_URL: t.url };
  const added = await runCli(['device', 'add', 'porch', '--kind', 'tasmota'], env);
  expect(added.code).toBe(0);
  expect(added.output).toMatch(new RegExp(
    /account porch \(device, tasmota\) created[\s\S]*/.source +
      /Backlog MqttUser porch; MqttPassword \S+; Topic porch[\s\S]*tele\/porch\/# and stat\/porch\/#/.source,
  ));
  expect((await runCli(['device', 'list'], env)).output).toMatch(/porch\tdevice\ttasmota\t/);
  expect(await runCli(['device', 'add', 'home', '--kind', 'esphome'], env))
    .toMatchObject({
      code: 1,
      output: expect.stringContaining("home/ is pimonitor's own topic tree: choose another name"),
    });
  expect(await runCli(['device', 'add', 'ha', '--role', 'reader', '--kind', 'shelly'], env))
    .toMatchObject({ code: 1, output: expect.stringContaining('--kind shelly is for device accounts') });
  expect(await runCli(['device', 'add', 'x', '--kind', 'sonoff'], env)).toMatchObject({
    code: 1,
    output: expect.stringContaining('kind "sonoff" is not one of pimonitor, tasmota, zigbee2mqtt, esphome, shelly'),
  });
}, 60_000);
