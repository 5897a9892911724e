// @engine-independent: opens no database (jest.config.js)
import { instantOf } from '../shared/sources/mapping.js';
import { decode, received, rows, sourcesOf } from './helpers/sources.js';

// Table tests of the presets on payloads as the projects' documentation prints them (the page is
// cited above each). Pure: no broker, no database; test/sources-e2e.test.ts sends them through both.
// Custom mappings, configuration and dispatch: test/sources-config.test.ts.

describe('Tasmota', () => {
  test('AM2301 (https://tasmota.github.io/docs/AM2301): local Time read in the source zone', () => {
    const payload = '{"Time":"2019-01-01T00:00:00","AM2301":{"Temperature":24.6,"Humidity":58.2},"TempUnit":"C"}';
    const d = decode('tele/tasmota_th16/SENSOR', payload, new Date('2018-12-31T23:00:04Z'));
    expect(rows(d)).toEqual([
      'tasmota_th16/am2301 temperature=24.6 @2018-12-31T23:00:00.000Z',
      'tasmota_th16/am2301 humidity=58.2 @2018-12-31T23:00:00.000Z',
    ]);
  });

  test(
    'several DS18B20 on one device (https://tasmota.github.io/docs/DS18x20/): one sensor each, the Id text left out',
    () => {
      const payload = '{"Time":"2021-01-02T09:09:44","DS18B20-1":{"Id":"00000566CC39","Temperature":13.3},' +
        '"DS18B20-2":{"Id":"0000056B1A49","Temperature":48.1},"TempUnit":"C"}';
      const d = decode('tele/boiler/SENSOR', payload, new Date('2021-01-02T08:09:50Z'));
      expect(rows(d)).toEqual([
        'boiler/ds18b20-1 temperature=13.3 @2021-01-02T08:09:44.000Z',
        'boiler/ds18b20-2 temperature=48.1 @2021-01-02T08:09:44.000Z',
      ]);
    },
  );

  test('°F and mmHg are converted; a Time with an offset (SetOption52) is taken as it is', () => {
    const d = decode(
      'tele/porch/SENSOR',
      '{"Time":"2026-11-25T11:00:00+01:00",' +
        '"BME280":{"Temperature":71.6,"Humidity":40,"DewPoint":46.4,"Pressure":760},' +
        '"PressureUnit":"mmHg","TempUnit":"F"}',
    );
    expect(rows(d)).toEqual([
      'porch/bme280 temperature=22 @2026-11-25T10:00:00.000Z',
      'porch/bme280 humidity=40 @2026-11-25T10:00:00.000Z',
      'porch/bme280 dew_point=8 @2026-11-25T10:00:00.000Z',
      'porch/bme280 pressure=1013.25024 @2026-11-25T10:00:00.000Z',
    ]);
  });

  test(
    'ENERGY of a plug (https://tasmota.github.io/docs/Power-Monitoring-Calibration/): Total is energy in kWh, ' +
      'texts left out',
    () => {
      const d = decode(
        'tele/washer/SENSOR',
        '{"Time":"2026-11-25T11:00:00","ENERGY":{"TotalStartTime":"2019-12-23T17:02:03","Total":12.345,' +
          '"Yesterday":0.5,"Today":0.25,"Period":3,"Power":1200,"ApparentPower":1250,"ReactivePower":350,' +
          '"Factor":0.96,"Voltage":231,"Current":5.41}}',
      );
      expect(rows(d).map((r) => r.split(' @')[0])).toEqual([
        'washer/energy energy=12.345', 'washer/energy energy_yesterday=0.5', 'washer/energy energy_today=0.25',
        'washer/energy energy_period=3', 'washer/energy power=1200',
        'washer/energy apparent_power=1250', 'washer/energy reactive_power=350', 'washer/energy power_factor=0.96',
        'washer/energy voltage=231', 'washer/energy current=5.41',
      ]);
    },
  );

  test('the Last Will (tele/<topic>/LWT Online/Offline) is the device status', () => {
    expect(decode('tele/porch/LWT', 'Online'))
      .toEqual({ kind: 'status', source: 'tasmota', device: 'porch', status: 'online' });
    expect(decode('tele/porch/LWT', 'Offline')).toMatchObject({ kind: 'status', status: 'offline' });
    expect(decode('tele/porch/LWT', 'gone')).toMatchObject({
      ok: false,
      code: 'status',
      reason: expect.stringMatching(/^tasmota: availability of porch is "gone", not Online or Offline/),
    });
  });

  test(
    'the odd ones: not JSON is rejected, switches only are ignored, an impossible Time is rejected, a clock not ' +
      'set is named',
    () => {
      expect(decode('tele/porch/SENSOR', 'Offline'))
        .toMatchObject({ ok: false, code: 'json', reason: expect.stringMatching(/^tasmota: payload is not JSON/) });
      expect(decode('tele/porch/SENSOR', '{"Time":"2026-11-25T11:00:00","Switch1":"ON"}'))
        .toMatchObject({ kind: 'ignored', reason: 'no sensor values in Time, Switch1' });
      expect(decode('tele/porch/SENSOR', '{"Time":"2026-02-30T11:00:00","SI7021":{"Temperature":20}}'))
        .toMatchObject({ ok: false, code: 'timestamp' });
      expect(decode('tele/porch/SENSOR', '{"Time":"1970-01-01T00:00:12","SI7021":{"Temperature":20}}'))
        .toMatchObject({ ok: false, code: 'clock', reason: expect.stringContaining('clock is not set') });
      expect(decode('tele/porch/SENSOR', '{"SI7021":{"Temperature":2000}}')).toMatchObject({
        ok: false,
        code: 'range',
        reason: 'tasmota: porch/si7021: temperature 2000 out of range -273.15..1000',
      });
    },
  );

  test('the hour clocks show twice in autumn is the one nearer the receive time; the spring gap moves forward', () => {
    const autumn = '{"Time":"2026-10-25T02:30:00","SI7021":{"Temperature":20}}';
    expect(rows(decode('tele/porch/SENSOR', autumn, new Date('2026-10-25T00:31:00Z')))[0])
      .toMatch(/@2026-10-25T00:30:00.000Z$/);
    expect(rows(decode('tele/porch/SENSOR', autumn, new Date('2026-10-25T01:31:00Z')))[0])
      .toMatch(/@2026-10-25T01:30:00.000Z$/);
    expect(instantOf('2026-03-29T02:30:00', 'Europe/Berlin', new Date('2026-03-29T01:00:00Z')))
      .toEqual({ ok: true, ts: new Date('2026-03-29T01:30:00Z'), local: true });
  });
});

describe('Zigbee2MQTT', () => {
  test(
    'a thermometer (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html): friendly names with ' +
      'spaces and / made legal',
    () => {
      expect(rows(decode('zigbee2mqtt/Living Room/Thermometer', '{"temperature":27.34,"humidity":44.72}'))).toEqual([
        'Living_Room-Thermometer_dc3e4f/zigbee temperature=27.34 @2026-11-25T10:00:05.000Z',
        'Living_Room-Thermometer_dc3e4f/zigbee humidity=44.72 @2026-11-25T10:00:05.000Z',
      ]);
    },
  );

  test(
    'an Aqara WSDCGQ11LM (https://www.zigbee2mqtt.io/devices/WSDCGQ11LM.html): battery voltage in mV stored in V, ' +
      'last_seen as the time',
    () => {
      const d = decode(
        'zigbee2mqtt/0x00158d0001e1a2b3',
        '{"battery":100,"humidity":58.86,"linkquality":126,"pressure":1007.5,"temperature":20.44,"voltage":3005,' +
          '"last_seen":"2026-11-25T11:00:01+01:00"}',
      );
      const metrics = [
        'battery=100', 'humidity=58.86', 'linkquality=126', 'pressure=1007.5', 'temperature=20.44', 'voltage=3.005',
      ];
      expect(rows(d)).toEqual(metrics.map((m) => `0x00158d0001e1a2b3/zigbee ${m} @2026-11-25T10:00:01.000Z`));
      expect(rows(decode('zigbee2mqtt/plug', '{"power":120,"voltage":231,"state":"ON","last_seen":1795600801000}')))
        .toEqual([
          'plug/zigbee power=120 @2026-11-25T10:00:01.000Z',
          'plug/zigbee voltage=231 @2026-11-25T10:00:01.000Z',
        ]);
    },
  );

  test('true/false are 1/0; a button press, the bridge and commands are ignored', () => {
    expect(rows(decode('zigbee2mqtt/hall/motion', '{"occupancy":true,"battery":91,"illuminance":12}'))).toEqual(
      ['occupancy=1', 'battery=91', 'illuminance=12']
        .map((m) => `hall-motion_3ffbde/zigbee ${m} @2026-11-25T10:00:05.000Z`),
    );
    expect(decode('zigbee2mqtt/switch', '{"action":"single"}'))
      .toMatchObject({ kind: 'ignored', reason: 'no numeric fields (action)' });
    expect(decode('zigbee2mqtt/bridge/state', '{"state":"online"}'))
      .toMatchObject({ kind: 'ignored', reason: 'a message of the bridge itself' });
    expect(decode('zigbee2mqtt/bridge/logging', '{"level":"info","message":"…"}')).toMatchObject({ kind: 'ignored' });
    expect(decode('zigbee2mqtt/lamp/set', '{"state":"ON"}'))
      .toMatchObject({ kind: 'ignored', reason: 'a command to a device' });
    expect(decode('zigbee2mqtt/lamp', 'not json')).toMatchObject({ ok: false, code: 'json' });
  });

  test(
    'availability (https://www.zigbee2mqtt.io/guide/configuration/device-availability.html) in its JSON and its ' +
      'legacy plain form',
    () => {
      expect(decode('zigbee2mqtt/Living Room/Thermometer/availability', '{"state":"online"}'))
        .toEqual({ kind: 'status', source: 'zigbee2mqtt', device: 'Living_Room-Thermometer_dc3e4f', status: 'online' });
      expect(decode('zigbee2mqtt/Living Room/Thermometer/availability', 'offline'))
        .toMatchObject({ kind: 'status', status: 'offline' });
      expect(decode('zigbee2mqtt/x/availability', '{"state":"maybe"}')).toMatchObject({ ok: false, code: 'status' });
    },
  );
});

describe('ESPHome', () => {
  test('sensor states (https://esphome.io/components/mqtt.html): the object id gives sensor and metric', () => {
    expect(rows(decode('livingroom/sensor/living_room_temperature/state', '21.4')))
      .toEqual(['livingroom/living_room temperature=21.4 @2026-11-25T10:00:05.000Z']);
    expect(rows(decode('livingroom/sensor/living_room_humidity/state', '45')))
      .toEqual(['livingroom/living_room humidity=45 @2026-11-25T10:00:05.000Z']);
    expect(rows(decode('livingroom/sensor/temperature/state', '21.4')))
      .toEqual(['livingroom/sensor temperature=21.4 @2026-11-25T10:00:05.000Z']);
    expect(rows(decode('livingroom/sensor/wifi_signal/state', '-61')))
      .toEqual(['livingroom/wifi_signal value=-61 @2026-11-25T10:00:05.000Z']);
    expect(rows(decode('hall/binary_sensor/hall_motion/state', 'ON')))
      .toEqual(['hall/hall motion=1 @2026-11-25T10:00:05.000Z']);
  });

  test('birth and will on <node>/status; nan and words are rejected with the value', () => {
    expect(decode('livingroom/status', 'online'))
      .toEqual({ kind: 'status', source: 'esphome', device: 'livingroom', status: 'online' });
    expect(decode('livingroom/status', 'offline')).toMatchObject({ status: 'offline' });
    expect(decode('livingroom/sensor/living_room_temperature/state', 'nan')).toMatchObject({
      ok: false,
      code: 'metric',
      reason: 'esphome: livingroom/living_room: temperature is nan (the sensor gave no value)',
    });
    expect(decode('livingroom/sensor/x/state', '0x10')).toMatchObject({ ok: false, code: 'metric' });
  });

  test('temperatureUnit F converts; a topic prefix moves the node level', () => {
    const [f] = sourcesOf([{ preset: 'esphome', temperatureUnit: 'F', prefix: 'esphome' }]);
    expect(f!.filters).toEqual(['esphome/+/sensor/+/state', 'esphome/+/binary_sensor/+/state', 'esphome/+/status']);
    expect(rows(decode('esphome/garage/sensor/temperature/state', '50', received, [f!])))
      .toEqual(['garage/sensor temperature=10 @2026-11-25T10:00:05.000Z']);
  });
});

describe('Shelly Gen2', () => {
  test(
    'status topics (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Temperature, …/Humidity)',
    () => {
      expect(rows(decode('shellyplusht-08b61fcb7f3c/status/temperature:0', '{"id":0,"tC":21.6,"tF":70.9}')))
        .toEqual(['shellyplusht-08b61fcb7f3c/temperature-0 temperature=21.6 @2026-11-25T10:00:05.000Z']);
      expect(rows(decode('shellyplusht-08b61fcb7f3c/status/humidity:0', '{"id":0,"rh":54.3}')))
        .toEqual(['shellyplusht-08b61fcb7f3c/humidity-0 humidity=54.3 @2026-11-25T10:00:05.000Z']);
      expect(decode('shellyplusht-08b61fcb7f3c/status/sys', '{"mac":"08B61FCB7F3C","uptime":3}'))
        .toMatchObject({ kind: 'ignored' });
    },
  );

  test(
    'NotifyStatus / NotifyFullStatus on events/rpc ' +
      '(https://shelly-api-docs.shelly.cloud/gen2/General/Notifications): params.ts is the time',
    () => {
      const full = {
        src: 'shellyplusht-b8d61a8b17cc', dst: 'shellyplusht-b8d61a8b17cc/events', method: 'NotifyFullStatus',
        params: {
          ts: 1795600800.62,
          cloud: { connected: false },
          'devicepower:0': { id: 0, battery: { V: 5.97, percent: 100 }, external: { present: false } },
          'humidity:0': { id: 0, rh: 42.2 },
          'temperature:0': { id: 0, tC: 19.8, tF: 67.6 },
          wifi: { rssi: -58 },
        },
      };
      expect(rows(decode('shellyplusht-b8d61a8b17cc/events/rpc', JSON.stringify(full)))).toEqual([
        'shellyplusht-b8d61a8b17cc/devicepower-0 battery=100 @2026-11-25T10:00:00.620Z',
        'shellyplusht-b8d61a8b17cc/devicepower-0 voltage=5.97 @2026-11-25T10:00:00.620Z',
        'shellyplusht-b8d61a8b17cc/humidity-0 humidity=42.2 @2026-11-25T10:00:00.620Z',
        'shellyplusht-b8d61a8b17cc/temperature-0 temperature=19.8 @2026-11-25T10:00:00.620Z',
      ]);
      const notifyEvent = '{"method":"NotifyEvent","params":{"ts":1795600800,"events":[]}}';
      expect(decode('shellyplusht-b8d61a8b17cc/events/rpc', notifyEvent)).toMatchObject({ kind: 'ignored' });
    },
  );

  test('a Plus 1PM switch: energy in Wh is stored in kWh; online true/false is the status', () => {
    const payload = '{"id":0,"source":"init","output":true,"apower":58.2,"voltage":230.1,"current":0.27,' +
      '"aenergy":{"total":1234.5},"temperature":{"tC":41.2,"tF":106.2}}';
    const metrics = ['power=58.2', 'voltage=230.1', 'current=0.27', 'energy=1.2345', 'device_temperature=41.2'];
    expect(rows(decode('shellyplus1pm-a8032ab12345/status/switch:0', payload)).map((r) => r.split(' @')[0])).toEqual(
      metrics.map((m) => `shellyplus1pm-a8032ab12345/switch-0 ${m}`));
    expect(decode('shellyplus1pm-a8032ab12345/online', 'false'))
      .toMatchObject({ kind: 'status', device: 'shellyplus1pm-a8032ab12345', status: 'offline' });
  });
});

test(
  'a Tasmota time an hour ahead names the zone it was read in: the usual cause is a source set to another zone',
  () => {
    const utc = sourcesOf('tasmota', 'UTC');
    const payload = '{"Time":"2026-11-25T11:00:05","AM2301":{"Temperature":20}}';
    expect(decode('tele/porch/SENSOR', payload, received, utc)).toMatchObject({
      ok: false,
      code: 'clock',
      reason: expect.stringMatching(new RegExp(
        /s in the future .*the sender's clock is wrong \(its time has no offset and was read as UTC time: /.source +
          /if the device keeps another zone, set this source's timeZone\)$/.source,
      )),
    });
  },
);
