// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { startBroker } from '../broker/broker.js';
import { canPublish, canSubscribe } from '../broker/policy.js';
import { createLogger } from '../shared/log.js';
import { DRIVERS } from '../sensor-node/drivers/registry.js';
import type { SensorSpec } from '../sensor-node/drivers/types.js';
import {
  discoveryMessages, discoveryState, type DiscoveryOptions, type DiscoverySensor,
} from '../sensor-node/discovery.js';
import { HaDiscovery } from '../sensor-node/ha-discovery.js';
import { SensorNode } from '../sensor-node/node.js';
import { Outbox } from '../sensor-node/outbox.js';
import { WallClock } from '../sensor-node/wall-clock.js';
import { fakeContext, piSysfs, scriptedDhtBinding } from './helpers/fake-hardware.js';
import { eventually } from './helpers/net.js';
import { discoveryProblems } from './support/ha-schema.js';

const FUZZ = { seed: 20261125, numRuns: Number(process.env.FUZZ_RUNS ?? 200) };
const OPTIONS: DiscoveryOptions = { prefix: 'homeassistant', mode: 'device', device: 'attic', version: '0.1.0' };

/** One sensor of every driver type, as the node builds them for discovery (iio after its first reading). */
const ALL_TYPES: DiscoverySensor[] = Object.entries(DRIVERS).map(([type, d]) => {
  const spec: SensorSpec = {
    type, name: type.replace(/[^a-z0-9]/g, ''), intervalMs: 10_000, calibration: {}, maxChangePerMinute: {},
    options: type === 'gpio-input' ? { pin: 17, metric: 'door' } : {},
  };
  return {
    name: spec.name,
    type,
    intervalMs: spec.intervalMs,
    metrics: d.metrics?.(spec) ?? ['temperature', 'humidity', 'pressure'],
    binary: d.binary ?? false,
  };
});

const valid = (messages: { topic: string; payload: string }[], prefix = 'homeassistant') => {
  for (const m of messages) expect(discoveryProblems(prefix, m.topic, m.payload)).toEqual([]);
};

test('a node with every driver type announces valid entities, in one device message or one message per entity', () => {
  const device = discoveryMessages(OPTIONS, ALL_TYPES, null);
  expect(device.map((m) => m.topic)).toEqual(['homeassistant/device/attic/config']);
  valid(device);
  const body = JSON.parse(device[0]!.payload);
  expect(body.dev)
    .toEqual({
      ids: ['pimonitor/attic'], name: 'attic', mf: 'pimonitor', mdl: 'Raspberry Pi sensor node', sw: '0.1.0',
    });
  expect(body.avty_t).toBe('home/attic/status');
  expect(body.cmps['dht22iio-temperature']).toEqual({
    p: 'sensor', name: 'dht22iio temperature', uniq_id: 'pimonitor/attic/dht22iio/temperature',
    stat_t: 'home/attic/dht22iio', val_tpl: '{{ value_json.temperature }}',
    exp_aft: 30, dev_cla: 'temperature', unit_of_meas: '°C', sug_dsp_prc: 1, stat_cla: 'measurement',
  });
  expect(body.cmps['iio-pressure']).toMatchObject({ dev_cla: 'atmospheric_pressure', unit_of_meas: 'hPa' });
  expect(body.cmps['gpioinput-door']).toMatchObject({ p: 'binary_sensor', dev_cla: 'door', pl_on: '1', pl_off: '0' });
  expect(body.cmps['ds18b20-_success'])
    .toMatchObject({ ent_cat: 'diagnostic', stat_t: 'home/attic/ds18b20/diag', unit_of_meas: '%' });

  const entity = discoveryMessages({ ...OPTIONS, mode: 'entity' }, ALL_TYPES, null);
  valid(entity);
  expect(entity).toHaveLength(Object.keys(body.cmps).length);
  expect(entity.map((m) => m.topic)).toContain('homeassistant/binary_sensor/attic/gpioinput-door/config');
  const uniqueIds = entity.map((m) => JSON.parse(m.payload).uniq_id);
  expect(new Set(uniqueIds).size).toBe(uniqueIds.length);
});

test('a sensor removed from the config is removed from Home Assistant; switching layouts clears the other one', () => {
  const before = discoveryState(OPTIONS, ALL_TYPES);
  const fewer = ALL_TYPES.filter((s) => s.type !== 'gpio-input');
  const [device] = discoveryMessages(OPTIONS, fewer, before);
  expect(JSON.parse(device!.payload).cmps['gpioinput-door']).toEqual({ p: 'binary_sensor' });
  valid([device!]);

  const entityBefore = discoveryState({ ...OPTIONS, mode: 'entity' }, ALL_TYPES);
  const entity = discoveryMessages({ ...OPTIONS, mode: 'entity' }, fewer, entityBefore);
  expect(entity.filter((m) => m.payload === '').map((m) => m.topic).sort()).toEqual([
    'homeassistant/binary_sensor/attic/gpioinput-door/config',
    'homeassistant/sensor/attic/gpioinput-_error/config',
    'homeassistant/sensor/attic/gpioinput-_success/config',
  ]);

  const switched = discoveryMessages(OPTIONS, fewer, entityBefore);
  expect(switched.filter((m) => m.payload === '')).toHaveLength(Object.keys(entityBefore.entities).length);
  expect(switched.at(-1)!.topic).toBe('homeassistant/device/attic/config');
  const back = discoveryMessages({ ...OPTIONS, mode: 'entity' }, fewer, before);
  expect(back[0]).toEqual({ topic: 'homeassistant/device/attic/config', payload: '' });
});

test(
  'any device, sensor and metric names give valid messages with unique ids, and the embedded broker lets the node ' +
    'publish them',
  () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    const metric = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
    const sensor = fc.record({
      name,
      type: fc.constantFrom('simulated', 'iio', 'gpio-input'),
      metrics: fc.uniqueArray(metric, { maxLength: 5 }),
      intervalMs: fc.integer({ min: 1, max: 86_400_000 }),
      binary: fc.boolean(),
    });
    const sensorLists = fc.uniqueArray(sensor, { maxLength: 6, selector: (s) => s.name });
    const modes = fc.constantFrom<'device' | 'entity'>('device', 'entity');
    fc.assert(fc.property(name, sensorLists, modes, (device, sensors, mode) => {
      const o = { ...OPTIONS, device, mode };
      const messages = discoveryMessages(o, sensors, null);
      valid(messages);
      const ids = mode === 'device'
        ? Object.values(messages[0] ? JSON.parse(messages[0].payload).cmps : {})
          .map((c) => (c as { uniq_id: string }).uniq_id)
        : messages.map((m) => JSON.parse(m.payload).uniq_id);
      expect(new Set(ids).size).toBe(ids.length);
      const principal = { kind: 'account', name: device, role: 'device' } as const;
      for (const m of messages) expect(canPublish(principal, m.topic)).toEqual({ ok: true });
      expect(canSubscribe(principal, 'homeassistant/status')).toEqual({ ok: true });
    }), FUZZ);
  },
);

describe('through a real broker', () => {
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let ha: mqtt.MqttClient;
  const seen: { topic: string; payload: string; retain: boolean; at: number }[] = [];

  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, log: createLogger('broker', 'silent') });
    ha = await mqtt.connectAsync(broker.url, { clientId: 'home-assistant', reconnectPeriod: 0 });
    ha.on('message', (topic, payload, packet) =>
      seen.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }));
    await ha.subscribeAsync(['homeassistant/#', 'home/attic/#']);
  });
  afterAll(async () => {
    await ha?.endAsync();
    await broker?.stop();
  });

  function node(sensors: SensorSpec[], statePath: string, mode: 'device' | 'entity' = 'device', ctx = fakeContext()) {
    let n: SensorNode | undefined;
    const discovery = new HaDiscovery({
      ...OPTIONS, mode, statePath, maxReplyDelayMs: 300,
      sensors: sensors.map((s) => ({
        name: s.name,
        type: s.type,
        intervalMs: s.intervalMs,
        metrics: DRIVERS[s.type]!.metrics?.(s) ?? [],
        binary: DRIVERS[s.type]!.binary ?? false,
      })),
    }, () => n?.resendLatest());
    n = new SensorNode({
      url: broker.url, device: 'attic', discovery, wallClock: new WallClock({ syncFile: '' }),
      diagIntervalMs: 60_000,
      sensors: sensors.map((spec) => ({ spec, driver: DRIVERS[spec.type]!.create(spec, ctx) })),
      outbox: Outbox.open({
        dir: join(mkdtempSync(join(tmpdir(), 'pimonitor-outbox-')), 'outbox'),
        maxBytes: 1 << 20,
        segmentBytes: 1 << 16,
      }),
    });
    return n;
  }
  const dht: SensorSpec = {
    type: 'simulated', name: 'dht22', intervalMs: 400, calibration: {}, maxChangePerMinute: {}, options: {},
  };
  const door: SensorSpec = {
    type: 'gpio-input', name: 'door', intervalMs: 400, calibration: {}, maxChangePerMinute: {},
    options: { pin: 17, metric: 'door' },
  };
  const isDeviceConfig = (m: { topic: string }) => m.topic === 'homeassistant/device/attic/config';

  test(
    'discovery on connect, again within seconds of Home Assistant\'s birth with the current state, and a removed ' +
      'sensor removed',
    async () => {
      const statePath = join(mkdtempSync(join(tmpdir(), 'pimonitor-ha-')), 'ha.json');
      const first = node([dht, door], statePath);
      await first.start();
      try {
        const config = await eventually('discovery', async () => seen.find(isDeviceConfig));
        expect(discoveryProblems('homeassistant', config.topic, config.payload)).toEqual([]);
        expect(Object.keys(JSON.parse(config.payload).cmps)).toEqual([
          'dht22-temperature', 'dht22-humidity', 'dht22-_success', 'dht22-_error',
          'door-door', 'door-_success', 'door-_error',
        ]);
        await eventually('a reading', async () => seen.find((m) => m.topic === 'home/attic/dht22'));
        const dht22 = (m: { topic: string }) => m.topic === 'home/attic/dht22';
        const before = new Set(seen.filter(dht22).map((m) => m.payload));
        seen.length = 0;

        // Home Assistant restarts: its birth message, retained as the MQTT integration sends it.
        const birth = Date.now();
        await ha.publishAsync('homeassistant/status', 'online', { qos: 1, retain: true });
        const again = await eventually(
          'discovery after the birth message',
          async () => seen.find((m) => isDeviceConfig(m) && !m.retain),
          5000,
        );
        expect(again.at - birth).toBeLessThan(3000);
        // The newest reading the broker acknowledged, sent again: one seen before the birth, or (when a
        // newer one was acknowledged meanwhile, readings come every 400 ms) one seen twice since.
        await eventually('the current state again', async () => {
          const since = seen.filter(dht22).map((m) => m.payload);
          return since.find((p, i) => before.has(p) || since.indexOf(p) !== i);
        });
        expect(seen.some((m) => m.topic === 'home/attic/status' && m.payload === 'online')).toBe(true);
      } finally {
        await first.stop();
        await ha.publishAsync('homeassistant/status', '', { qos: 1, retain: true });
      }

      // The door sensor is taken out of the config: its entities go.
      seen.length = 0;
      const second = node([dht], statePath);
      await second.start();
      try {
        const config = await eventually('discovery without the door', async () => seen.find(isDeviceConfig));
        const cmps = JSON.parse(config.payload).cmps;
        expect([cmps['door-door'], cmps['door-_success'], cmps['door-_error']])
          .toEqual([{ p: 'binary_sensor' }, { p: 'sensor' }, { p: 'sensor' }]);
        expect(discoveryProblems('homeassistant', config.topic, config.payload)).toEqual([]);
      } finally {
        await second.stop();
      }
    },
    30_000,
  );

  test(
    'a node with every driver type on fake hardware: every message it publishes passes the schema, in both layouts',
    async () => {
      const sys = piSysfs();
      const rpi = { DHT22: class { read() { return { temperature: 20, humidity: 40, isValid: true, errors: 0 }; } } };
      const dhtBinding = scriptedDhtBinding([{ temperature: 20, humidity: 40 }]).binding;
      const ctx = fakeContext({
        sysfsRoot: sys.root,
        optional: { 'node-dht-sensor': dhtBinding, 'rpi-dht-sensor': rpi },
      });
      const optionsOf = (type: string): SensorSpec['options'] => {
        if (type === 'iio') return { iioName: 'bme280' };
        if (type === 'gpio-input') return { pin: 17, metric: 'motion' };
        return type.startsWith('dht22-') && type !== 'dht22-iio' ? { pin: 4 } : {};
      };
      const every: SensorSpec[] = Object.keys(DRIVERS).map((type) => ({
        type, name: type.replace(/[^a-z0-9]/g, ''), intervalMs: type.startsWith('dht22') ? 2000 : 500, calibration: {},
        maxChangePerMinute: {},
        options: optionsOf(type),
      }));
      for (const mode of ['device', 'entity'] as const) {
        seen.length = 0;
        const n = node(every, join(mkdtempSync(join(tmpdir(), 'pimonitor-ha-')), 'ha.json'), mode, ctx);
        await n.start();
        try {
          // The iio sensor's metrics are learned from its first reading, then announced.
          const pressure = '"uniq_id":"pimonitor/attic/iio/pressure"';
          const announcedPressure = () =>
            seen.some((m) => m.topic.startsWith('homeassistant/') && m.payload.includes(pressure));
          await eventually(
            'the bme280 pressure announced',
            async () => (announcedPressure() ? true : undefined),
            10_000,
          );
          const discovery = seen.filter((m) => m.topic.startsWith('homeassistant/'));
          for (const m of discovery) {
            expect({ topic: m.topic, problems: discoveryProblems('homeassistant', m.topic, m.payload) })
              .toEqual({ topic: m.topic, problems: [] });
          }
          const announced = new Set(discovery.filter((m) => m.payload).flatMap((m) => {
            const body = JSON.parse(m.payload);
            return mode === 'device'
              ? Object.values(body.cmps).map((c) => (c as { uniq_id: string }).uniq_id)
              : [body.uniq_id];
          }));
          for (const spec of every) expect(announced.has(`pimonitor/attic/${spec.name}/_success`)).toBe(true);
          expect(announced.has('pimonitor/attic/gpioinput/motion')).toBe(true);
        } finally {
          await n.stop();
        }
      }
    },
    30_000,
  );
});
