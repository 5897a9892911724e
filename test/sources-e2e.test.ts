import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { DeviceKind } from '../broker/policy.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createBatchStore } from '../ingest/store.js';
import { IngestWorker } from '../ingest/worker.js';
import { DEFAULT_LIMITS } from '../shared/contract.js';
import { subscriptionsOf } from '../shared/sources/decode.js';
import { parseSources } from '../shared/sources/spec.js';
import { Spool } from '../shared/spool/spool.js';
import { useAccountsPipeline } from './helpers/accounts-pipeline.js';
import { eventually } from './helpers/net.js';

// Recorded payloads of each preset (the pages they come from are cited in test/sources.test.ts),
// published by device accounts of each kind through the real broker, read by the real ingest with
// INGEST_SOURCES=tasmota,zigbee2mqtt,esphome,shelly, and found in PostgreSQL (or PGlite).

let ingest: IngestWorker;
const ACCOUNTS: Array<[name: string, kind: DeviceKind]> = [
  ['porch', 'tasmota'], ['zigbee2mqtt', 'zigbee2mqtt'], ['livingroom', 'esphome'],
  ['shellyplusht-08b61fcb7f3c', 'shelly'],
];
let sent = 0;

const parsed = parseSources('tasmota,zigbee2mqtt,esphome,shelly', 'Europe/Berlin');
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const sources = parsed.value;
const rig = useAccountsPipeline({
  devices: ACCOUNTS,
  sources,
  async startIngest({ t, broker, passwords }) {
    ingest = new IngestWorker({
      url: broker.url, clientId: 'ingest-sources', username: 'ingest', password: passwords.ingest, sources,
      batchMaxRows: 100, flushIntervalMs: 20, limits: DEFAULT_LIMITS, store: createBatchStore(t.db),
      spool: Spool.open({
        dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-spool-')), 's'), segmentBytes: 1 << 20,
      }).spool,
      spoolMaxBytes: 1 << 24, syncIntervalMs: 1000,
    });
    await ingest.start();
  },
  stopIngest: () => ingest?.stop(),
});
const { login } = rig;
const publish = async (c: MqttClient, topic: string, payload: string, retain = false) => {
  await c.publishAsync(topic, payload, { qos: 1, retain });
  sent++;
};
const settled = () => eventually(
  `${sent} messages written`,
  async () => (ingest.stats.messages >= sent && ingest.backlogBytes === 0 ? true : undefined),
);
const readings = (device: string) =>
  rig.t.db.map(
    "SELECT sensor, metric, value, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') AS ts "
      + 'FROM readings WHERE device = $1 ORDER BY sensor, metric, ts',
    [device],
    (r: { sensor: string; metric: string; value: number; ts: string }) => `${r.sensor}/${r.metric}=${r.value}@${r.ts}`,
  );
const status = (device: string) => rig.t.db
  .oneOrNone<{ status: string }>('SELECT status FROM devices WHERE device = $1', [device])
  .then((r) => r?.status);

test('ingest subscribes to every source\'s topics with its ingest account', () => {
  expect(ingest.subscribed).toBe(true);
  expect(subscriptionsOf(sources)).toContain('zigbee2mqtt/#');
});

test('Tasmota: a SENSOR with several sensors and local time, the LWT as status', async () => {
  const porch = await login('porch');
  await publish(porch, 'tele/porch/LWT', 'Online', true);
  await publish(porch, 'tele/porch/SENSOR', '{"Time":"2026-11-25T11:00:00",'
    + '"AM2301":{"Temperature":24.6,"Humidity":58.2},'
    + '"DS18B20-1":{"Id":"00000566CC39","Temperature":13.3},"TempUnit":"C"}');
  await settled();
  expect(await readings('porch')).toEqual([
    'am2301/humidity=58.2@2026-11-25T10:00:00', 'am2301/temperature=24.6@2026-11-25T10:00:00',
    'ds18b20-1/temperature=13.3@2026-11-25T10:00:00',
  ]);
  expect(await status('porch')).toBe('online');
  expect(await rig.t.db.one("SELECT unit FROM series WHERE device = 'porch' AND metric = 'temperature' LIMIT 1"))
    .toEqual({ unit: '°C' });
});

test(
  'units are stored for every quantity, also after a conversion: ' +
    'dew point and sea-level pressure sent in °F and inHg, apparent and reactive power, a Shelly\'s switch temperature',
  async () => {
    const [porch, ht] = [await login('porch'), await login('shellyplusht-08b61fcb7f3c')];
    await publish(porch, 'tele/porch/SENSOR', '{"Time":"2026-11-25T11:01:00",'
      + '"BME280":{"Temperature":76.1,"DewPoint":47.3,"SeaPressure":29.93},'
      + '"ENERGY":{"ApparentPower":1250,"ReactivePower":350,"Today":0.25,"Yesterday":0.5},'
      + '"PressureUnit":"inHg","TempUnit":"F"}');
    await publish(ht, 'shellyplusht-08b61fcb7f3c/status/switch:0',
      '{"id":0,"apower":58.2,"temperature":{"tC":41.2,"tF":106.2}}');
    await settled();
    const units = await rig.t.db.map(
      "SELECT sensor || '/' || metric || ' ' || coalesce(unit, '-') AS u FROM series "
        + "WHERE (device = 'porch' AND sensor IN ('bme280', 'energy')) OR sensor = 'switch-0' ORDER BY 1",
      [],
      (r: { u: string }) => r.u,
    );
    expect(units).toEqual([
      'bme280/dew_point °C', 'bme280/sea_pressure hPa', 'bme280/temperature °C', 'energy/apparent_power VA',
      'energy/energy_today kWh', 'energy/energy_yesterday kWh', 'energy/reactive_power var',
      'switch-0/device_temperature °C', 'switch-0/power W',
    ]);
    expect(await readings('porch')).toContain('bme280/dew_point=8.5@2026-11-25T10:01:00');
  },
);

test(
  'Zigbee2MQTT: a friendly name with a space and a slash, mV to V, availability in JSON; bridge messages ignored',
  async () => {
    const bridge = await login('zigbee2mqtt');
    await publish(bridge, 'zigbee2mqtt/bridge/state', '{"state":"online"}', true);
    await publish(bridge, 'zigbee2mqtt/Living Room/Thermometer',
      '{"battery":100,"humidity":58.86,"linkquality":126,"pressure":1007.5,"temperature":20.44,"voltage":3005}');
    await publish(bridge, 'zigbee2mqtt/Living Room/Thermometer/availability', '{"state":"online"}', true);
    await publish(bridge, 'zigbee2mqtt/hall switch', '{"action":"single"}');
    await settled();
    expect((await readings('Living_Room-Thermometer_dc3e4f')).map((r) => r.split('@')[0])).toEqual([
      'zigbee/battery=100', 'zigbee/humidity=58.86', 'zigbee/linkquality=126', 'zigbee/pressure=1007.5',
      'zigbee/temperature=20.44', 'zigbee/voltage=3.005',
    ]);
    expect(await status('Living_Room-Thermometer_dc3e4f')).toBe('online');
    const bridgeOrSwitch =
      "SELECT count(*)::int AS n FROM devices WHERE device LIKE 'bridge%' OR device LIKE 'hall_switch%'";
    expect(await rig.t.db.one(bridgeOrSwitch)).toEqual({ n: 0 });
  },
);

test(
  'Zigbee2MQTT names that read alike stay apart: "Living Room", "Living.Room" and "Living_Room" are three devices; ' +
    'each renamed one is said once and counted',
  async () => {
    const bridge = await login('zigbee2mqtt');
    const renamed: string[] = [];
    ingest.on('renamed', ({ name, device }) => renamed.push(`${name} -> ${device}`));
    const before = ingest.stats.renamedNames;
    const temperatures = [['Living Room', 20], ['Living.Room', 21], ['Living_Room', 22], ['Living Room', 23]] as const;
    for (const [name, t] of temperatures) {
      await publish(bridge, `zigbee2mqtt/${name}`, JSON.stringify({ temperature: t }));
    }
    await settled();
    const devices = await rig.t.db.map(
      "SELECT device, max(value) AS v FROM readings WHERE device LIKE 'Living%Room%' "
        + "AND device NOT LIKE '%Thermometer%' "
        + 'GROUP BY device ORDER BY device',
      [],
      (r: { device: string; v: number }) => `${r.device}=${r.v}`,
    );
    expect(devices).toEqual(['Living_Room=22', 'Living_Room_068020=21', 'Living_Room_2fedc8=23']);
    expect(renamed).toEqual(['Living Room -> Living_Room_2fedc8', 'Living.Room -> Living_Room_068020']);
    expect(ingest.stats.renamedNames).toBe(before + 2);
    expect(await createIngestMetrics(ingest).metrics()).toMatch(/pimonitor_ingest_source_renamed_names_total [1-9]/);
  },
);

test('ESPHome: plain numbers per entity, birth message as status', async () => {
  const node = await login('livingroom');
  await publish(node, 'livingroom/status', 'online', true);
  await publish(node, 'livingroom/sensor/living_room_temperature/state', '21.4');
  await publish(node, 'livingroom/sensor/living_room_humidity/state', '45.0');
  await settled();
  expect((await readings('livingroom')).map((r) => r.split('@')[0])).toEqual([
    'living_room/humidity=45', 'living_room/temperature=21.4',
  ]);
  expect(await status('livingroom')).toBe('online');
});

test('Shelly Plus H&T: status topics and a NotifyFullStatus, online as status', async () => {
  const ht = await login('shellyplusht-08b61fcb7f3c');
  await publish(ht, 'shellyplusht-08b61fcb7f3c/online', 'true', true);
  await publish(ht, 'shellyplusht-08b61fcb7f3c/status/temperature:0', '{"id":0,"tC":21.6,"tF":70.9}');
  await publish(ht, 'shellyplusht-08b61fcb7f3c/events/rpc', JSON.stringify({
    src: 'shellyplusht-08b61fcb7f3c',
    dst: 'shellyplusht-08b61fcb7f3c/events',
    method: 'NotifyFullStatus',
    params: {
      ts: 1795600800.5,
      'devicepower:0': { id: 0, battery: { V: 5.97, percent: 100 } },
      'humidity:0': { id: 0, rh: 42.2 },
      'temperature:0': { id: 0, tC: 19.8, tF: 67.6 },
    },
  }));
  await settled();
  const rows = await readings('shellyplusht-08b61fcb7f3c');
  expect(rows.filter((r) => r.endsWith('2026-11-25T10:00:00'))).toEqual([
    'devicepower-0/battery=100@2026-11-25T10:00:00', 'devicepower-0/voltage=5.97@2026-11-25T10:00:00',
    'humidity-0/humidity=42.2@2026-11-25T10:00:00', 'temperature-0/temperature=19.8@2026-11-25T10:00:00',
  ]);
  expect(rows.map((r) => r.split('@')[0])).toContain('temperature-0/temperature=21.6');
  expect(await status('shellyplusht-08b61fcb7f3c')).toBe('online');
});

test(
  'the odd ones are rejected with the source and a reason, and counted per source on /metrics; nothing stops',
  async () => {
    const [porch, bridge, node] = [await login('porch'), await login('zigbee2mqtt'), await login('livingroom')];
    await publish(porch, 'tele/porch/SENSOR', 'Offline');
    await publish(bridge, 'zigbee2mqtt/lamp', 'ON');
    await publish(node, 'livingroom/sensor/living_room_temperature/state', 'nan');
    await publish(porch, 'tele/porch/SENSOR',
      '{"Time":"2026-11-25T11:05:00","AM2301":{"Temperature":24.8,"Humidity":58}}');
    await settled();
    const rejected = await rig.t.db.map(
      'SELECT topic, code, reason FROM rejected_messages ORDER BY id', [],
      (r: { topic: string; code: string; reason: string }) => `${r.topic} ${r.code} ${r.reason}`,
    );
    expect(rejected).toEqual([
      'tele/porch/SENSOR json tasmota: payload is not JSON: "Offline"',
      'zigbee2mqtt/lamp json zigbee2mqtt: payload is not JSON: "ON"',
      'livingroom/sensor/living_room_temperature/state metric esphome: livingroom/living_room: temperature is nan '
        + '(the sensor gave no value)',
    ]);
    expect(await readings('porch')).toContain('am2301/temperature=24.8@2026-11-25T10:05:00');
    const metrics = await createIngestMetrics(ingest).metrics();
    expect(metrics).toMatch(/pimonitor_ingest_source_messages_total\{source="tasmota",outcome="rejected"\} 1/);
    expect(metrics).toMatch(/pimonitor_ingest_source_messages_total\{source="zigbee2mqtt",outcome="ignored"\} [1-9]/);
    expect(metrics).toMatch(/pimonitor_ingest_source_messages_total\{source="esphome",outcome="stored"\} 3/);
  },
);

test('each kind of device account writes only where its firmware does', async () => {
  const porch = await login('porch');
  const before = ingest.stats.messages;
  // A Tasmota account publishing as another Tasmota, or as a pimonitor node, is disconnected by the broker.
  const closed = new Promise<void>((resolve) => porch.once('close', () => resolve()));
  porch.publish('tele/garage/SENSOR', '{"AM2301":{"Temperature":1}}', { qos: 0 });
  await closed;
  const node = await login('livingroom');
  const granted = await node.subscribeAsync('zigbee2mqtt/#', { qos: 1 }).then((g) => g[0]!.qos, () => 128);
  expect(granted).toBe(128);
  expect(ingest.stats.messages).toBe(before);
  expect(await status('garage')).toBeUndefined();
});
