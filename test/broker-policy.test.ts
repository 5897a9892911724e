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
