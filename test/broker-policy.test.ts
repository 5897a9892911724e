// @engine-independent: opens no database (jest.config.js)
import { canPublish, canSubscribe, type Principal } from '../broker/policy.js';

const device: Principal = { kind: 'account', name: 'kitchen', role: 'device' };
const reader: Principal = { kind: 'account', name: 'ha', role: 'reader' };
const ingest: Principal = { kind: 'account', name: 'ingest', role: 'ingest' };
const alerts: Principal = { kind: 'account', name: 'alerts', role: 'alerts' };
const anonymous: Principal = { kind: 'anonymous' };

test.each([
  [device, 'home/kitchen/dht22', true],
  [device, 'home/kitchen/status', true],
  [device, 'home/kitchen/dht22/diag', true],
  [device, 'homeassistant/sensor/kitchen/dht22_temperature/config', true],
  [device, 'home/kitchenette/dht22', false],
  [device, 'home/garage/dht22', false],
  [device, 'homeassistant/sensor/garage/x/config', false],
  [reader, 'homeassistant/status', true],
  [reader, 'home/ha/dht22', false],
  [ingest, 'home/x/y', false],
  [alerts, 'pimonitor/alerts/kitchen', true],
  [alerts, 'home/kitchen/dht22', false],
  [anonymous, 'home/a/b', true],
  [anonymous, '$SYS/broker-id/new/clients', false],
  [reader, '$SYS/x/new/clients', false],
  [alerts, '$SYS/pimonitor/dropped', false],
])('publish %j to %s → %s', (who, topic, ok) => {
  expect(canPublish(who, topic).ok).toBe(ok);
});

test.each([
  [device, 'homeassistant/status', true],
  [device, 'home/#', false],
  [device, 'home/kitchen/#', false],
  [reader, 'home/#', true],
  [reader, 'homeassistant/#', true],
  [reader, '#', false],
  [reader, '+/kitchen/dht22', false],
  [reader, '$SYS/#', true],
  [anonymous, '$SYS/#', false],
  [anonymous, 'home/#', true],
  [device, '$SYS/#', false],
  [ingest, '$SYS/+/new/clients', false],
  [ingest, 'home/+/+', true],
  [ingest, 'homeassistant/#', false],
])('subscribe %j to %s → %s', (who, filter, ok) => {
  expect(canSubscribe(who, filter).ok).toBe(ok);
});

// Devices of other projects: each kind writes where its firmware does, under its own name only.
const tasmota: Principal = { kind: 'account', name: 'porch', role: 'device', deviceKind: 'tasmota' };
const bridge: Principal = { kind: 'account', name: 'zigbee2mqtt', role: 'device', deviceKind: 'zigbee2mqtt' };
const esphome: Principal = { kind: 'account', name: 'livingroom', role: 'device', deviceKind: 'esphome' };
const shelly: Principal = { kind: 'account', name: 'shellyplusht-08b61fcb7f3c', role: 'device', deviceKind: 'shelly' };
const rogue: Principal = { kind: 'account', name: 'home', role: 'device', deviceKind: 'esphome' };

test.each([
  [tasmota, 'tele/porch/SENSOR', true],
  [tasmota, 'stat/porch/RESULT', true],
  [tasmota, 'tasmota/discovery/A4CF12345678/config', true],
  [tasmota, 'tele/garage/SENSOR', false],
  [tasmota, 'home/porch/x', false],
  [bridge, 'zigbee2mqtt/Living Room/Thermometer', true],
  [bridge, 'homeassistant/sensor/0x00158d0001e1a2b3/temperature/config', true],
  [bridge, 'home/x/y', false],
  [esphome, 'livingroom/sensor/t/state', true],
  [esphome, 'homeassistant/sensor/livingroom/t/config', true],
  [esphome, 'kitchen/sensor/t/state', false],
  [shelly, 'shellyplusht-08b61fcb7f3c/events/rpc', true],
  [shelly, 'shellyplusht-other/events/rpc', false],
  [rogue, 'home/kitchen/dht22', false],
])('a device of another kind publishes %j to %s → %s', (who, topic, ok) => {
  expect(canPublish(who, topic).ok).toBe(ok);
});

test.each([
  [tasmota, 'cmnd/porch/#', true],
  [tasmota, 'cmnd/tasmotas/#', true],
  [tasmota, 'cmnd/DVES_123456_fb/#', true],
  // Another Tasmota's fallback topic would show it that device's commands (issue 23).
  [tasmota, 'cmnd/DVES_654321_fb/#', false],
  [tasmota, 'cmnd/+/#', false],
  [tasmota, 'cmnd/garage/#', false],
  [bridge, 'zigbee2mqtt/#', true],
  [bridge, 'home/#', false],
  [esphome, 'livingroom/switch/+/command', true],
  [esphome, 'homeassistant/status', true],
  [shelly, 'shellyplusht-08b61fcb7f3c/rpc', true],
  [shelly, '#', false],
])('a device of another kind subscribes %j to %s → %s', (who, filter, ok) => {
  expect(canSubscribe(who, filter, [], 'DVES_123456').ok).toBe(ok);
});

test.each([
  [ingest, 'tele/+/SENSOR', true],
  [ingest, 'tele/porch/SENSOR', true],
  [ingest, '+/sensor/+/state', true],
  [ingest, 'zigbee2mqtt/#', true],
  [ingest, '#', false],
  [ingest, 'tele/#', false],
  [reader, 'zigbee2mqtt/bridge/#', true],
  [device, 'tele/+/SENSOR', false],
])('with sources configured, %j subscribes to %s → %s', (who, filter, ok) => {
  expect(canSubscribe(who, filter, ['tele/+/SENSOR', 'tele/+/LWT', 'zigbee2mqtt/#', '+/sensor/+/state']).ok).toBe(ok);
});
