// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEEPEST_TOPIC, MAX_TIMER_MS, MIN_TOPIC_LENGTH, MIN_TOPIC_LEVELS, projectTopics, topicLevels, withinBounds,
} from '../config/bounds.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { collide, listenersOf } from '../config/listeners.js';
import { diagTopic, nameProblem } from '../shared/contract.js';
import { deviceTopic, entityTopic } from '../sensor-node/discovery.js';

// Issue 23, item 6: every setting bounded, with a reason; non-numbers named as given; listeners apart.

const problemsOf = (env: NodeJS.ProcessEnv, file?: string): string[] => {
  try {
    loadConfig({ env, file });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};
const settings = loadConfig({ env: {} }).describe();

test(
  'a delay past setTimeout\'s limit is refused, not turned into 1 ms ' +
    '(MQTT_FAILED_LOGIN_DELAY_MS=99999999999 answered in 0.1 s)',
  () => {
    expect(problemsOf({ MQTT_FAILED_LOGIN_DELAY_MS: '99999999999' })).toEqual([
      'broker.failedLoginDelayMs (env MQTT_FAILED_LOGIN_DELAY_MS): 99999999999 is more than 60000 ms (1 min): ' +
        'each failed login holds its connection open that long, ' +
        'and clients stop waiting for an answer after 30 s (MQTT.js connectTimeout)',
    ]);
    // Every duration: one past the timer limit is refused, naming its variable and the value as given.
    const durations = settings.filter((s) => s.bounded?.format === 'duration-ms');
    expect(durations.length).toBeGreaterThanOrEqual(15);
    for (const s of durations) {
      expect(s.bounded!.bounds.max).toBeLessThanOrEqual(MAX_TIMER_MS);
      const keyPattern = `^${s.key.replace(/\./g, '\\.')} \\(env ${s.env}\\): 2147483648 is more than `;
      const refused = expect.stringMatching(new RegExp(keyPattern));
      expect(problemsOf({ [s.env]: String(MAX_TIMER_MS + 1) })).toEqual([refused]);
    }
  },
);

test('too few topic levels for pimonitor\'s own topics is refused with the deepest one named', () => {
  expect(problemsOf({ MQTT_MAX_TOPIC_LEVELS: '1' })).toEqual([
    'broker.maxTopicLevels (env MQTT_MAX_TOPIC_LEVELS): 1 is less than 6: fewer refuses pimonitor\'s own topics: ' +
      'pimonitor/alerts/rule/device/sensor/metric has 6 levels',
  ]);
  expect(loadConfig({ env: { MQTT_MAX_TOPIC_LEVELS: String(MIN_TOPIC_LEVELS) } }).config.broker.maxTopicLevels)
    .toBe(MIN_TOPIC_LEVELS);
  // Derived from the topics themselves: the diag topic, the presets' filters (+/sensor/+/state) and
  // the alert topics are among them, and the node's discovery topics (not imported by config) fit.
  expect(projectTopics()).toEqual(expect.arrayContaining([
    'home/+/+/diag', '+/sensor/+/state', '+/status/+', 'zigbee2mqtt/#',
  ]));
  expect(DEEPEST_TOPIC).toBe('pimonitor/alerts/rule/device/sensor/metric');
  const discovery = { prefix: 'homeassistant', device: 'd', mode: 'entity' as const };
  expect(MIN_TOPIC_LEVELS).toBeGreaterThanOrEqual(topicLevels(entityTopic(discovery as never, 'sensor', 'id')));
  expect(MIN_TOPIC_LEVELS).toBeGreaterThanOrEqual(topicLevels(deviceTopic(discovery as never)));
  // The shortest topic length allowed holds a diag topic with the longest names the contract takes.
  const longest = 'x'.repeat(64);
  expect(nameProblem('device', longest)).toBeNull();
  expect(nameProblem('device', `${longest}x`)).not.toBeNull();
  expect(MIN_TOPIC_LENGTH).toBe(diagTopic(longest, longest).length);
});

test('a source whose filters are deeper than the broker allows is refused at start', () => {
  const sources = JSON.stringify([{ name: 'deep', topic: 'a/b/c/d/e/f/{device}/{sensor}', metrics: { t: 't' } }]);
  expect(problemsOf({ INGEST_SOURCES: sources, MQTT_MAX_TOPIC_LEVELS: '7' })).toEqual([
    'broker.maxTopicLevels (env MQTT_MAX_TOPIC_LEVELS): 7 is fewer than the 8 levels of a/b/c/d/e/f/+/+, ' +
      'which ingest.sources subscribes to; the broker would refuse it',
  ]);
  expect(problemsOf({ INGEST_SOURCES: sources, MQTT_MAX_TOPIC_LEVELS: '8' })).toEqual([]);
  // Another broker's limits are not ours to check.
  expect(problemsOf({ INGEST_SOURCES: sources, MQTT_MAX_TOPIC_LEVELS: '7', BROKER_EMBEDDED: 'false' })).toEqual([]);
});

test('sizes and counts past what can work are refused with the reason', () => {
  const env = { MQTT_MAX_PAYLOAD_BYTES: '99999999999999', DATABASE_POOL_SIZE: '1000000', INGEST_SPOOL_MAX_BYTES: '1' };
  expect(problemsOf(env)).toEqual([
    'database.poolSize (env DATABASE_POOL_SIZE): 1000000 is more than 100: ' +
      'PostgreSQL allows 100 connections by default (max_connections), shared by every process',
    'broker.maxPayloadBytes (env MQTT_MAX_PAYLOAD_BYTES): 99999999999999 is more than 268435455 bytes ' +
      '(about 256 MiB): no MQTT packet is larger (its Remaining Length, MQTT-2.2.3)',
    'ingest.spoolMaxBytes (env INGEST_SPOOL_MAX_BYTES): 1 is less than 65536 bytes (64 KiB): ' +
      'a spool that small holds a few readings: ' +
      'ingest would stop acknowledging at once and leave everything to the broker',
  ]);
  // A pool the embedded database cannot serve.
  expect(problemsOf({ DATABASE_POOL_SIZE: '20' })).toEqual([
    'database.poolSize (env DATABASE_POOL_SIZE): 20 is more than the 16 connections of ' +
      'database.embedded.maxConnections (default): the embedded database would refuse some of ingest\'s',
  ]);
  expect(problemsOf({ DATABASE_POOL_SIZE: '20', DATABASE_URL: 'postgres://db/pimonitor' })).toEqual([]);
});

test('a non-number is named as given, with what was expected', () => {
  expect(problemsOf({ MQTT_PORT: 'abc' })).toEqual([
    'broker.port (env MQTT_PORT): "abc" is not a port number (1-65535, or 0 to pick a free one)',
  ]);
  // convict's parseInt read these as 1, 12 and 1: the whole value must be a number now.
  const env = { INGEST_BATCH_MAX_ROWS: '1e3', ALERTS_MAX_ATTEMPTS: '12abc', BROKER_HTTP_PORT: '1.5' };
  expect(problemsOf(env).sort()).toEqual([
    'alerts.maxAttempts (env ALERTS_MAX_ATTEMPTS): "12abc" is not a whole number (1-1000)',
    'broker.httpPort (env BROKER_HTTP_PORT): "1.5" is not a port number (1-65535, or 0 to turn it off)',
    'ingest.batchMaxRows (env INGEST_BATCH_MAX_ROWS): "1e3" is not a whole number (1-100000)',
  ]);
  // Beyond 2^53 a number is no longer the one given: the digits are shown as they came.
  expect(problemsOf({ INGEST_FLUSH_INTERVAL_MS: '99999999999999999999999' })).toEqual([
    'ingest.flushIntervalMs (env INGEST_FLUSH_INTERVAL_MS): "99999999999999999999999" is more than 60000 ms (1 min): ' +
      'a reading would wait that long to be stored, with nothing gained: a full batch is written at once',
  ]);
  // From a file, the JSON value as written.
  const path = join(mkdtempSync(join(tmpdir(), 'pimonitor-bounds-')), 'c.json');
  writeFileSync(path, JSON.stringify({ broker: { port: 'abc', maxInflight: 2.5 }, node: { statusLedPin: -2 } }));
  expect(problemsOf({}, path).sort()).toEqual([
    `broker.maxInflight (file ${path}): 2.5 is not a whole number (1-65535)`,
    `broker.port (file ${path}): "abc" is not a port number (1-65535, or 0 to pick a free one)`,
    `node.statusLedPin (file ${path}): -2 is less than 0 (allowed: 0-1023, or -1 for none)`,
  ]);
  // Valid values still load as before, spaces around them included.
  const valid = {
    MQTT_PORT: ' 1884 ', NODE_STATUS_LED_PIN: '-1', NODE_OUTBOX_MAX_BYTES: '0', INGEST_FLUSH_INTERVAL_MS: '0',
  };
  expect(loadConfig({ env: valid }).config).toMatchObject({
    broker: { port: 1884 }, node: { statusLedPin: -1, outboxMaxBytes: 0 }, ingest: { flushIntervalMs: 0 },
  });
});

test(
  'the WebSocket listener no longer takes the dashboard\'s port, and two listeners on one port fail at start',
  () => {
    const { config } = loadConfig({ env: { MQTT_WS: 'true' } });
    expect(config.broker.websocket.port).toBe(9001);
    expect(config.web.port).toBe(8080);
    // The README's old example: one line naming both settings.
    expect(problemsOf({ MQTT_WS: 'true', MQTT_WS_PORT: '8080' })).toEqual([
      'broker.websocket.port (env MQTT_WS_PORT): port 8080 on 0.0.0.0 is also web.port\'s (default, on 127.0.0.1): ' +
        'two listeners cannot share a port; change MQTT_WS_PORT or WEB_PORT',
    ]);
    // Every listener on at once, with its default port: none collide.
    const allOn = {
      MQTT_WS: 'true', MQTT_TLS: 'true', MQTT_TLS_CERT_FILE: '/c.pem', MQTT_TLS_KEY_FILE: '/k.pem',
      ALERT_RULES: '[{"name":"x"}]',
    };
    expect(problemsOf(allOn)).toEqual([]);
    expect(listenersOf(loadConfig({ env: allOn }).config).map((l) => l.key).sort()).toEqual([
      'alerts.httpPort', 'broker.httpPort', 'broker.port', 'broker.tls.port', 'broker.websocket.port',
      'database.embedded.port', 'ingest.httpPort', 'web.port',
    ]);
  },
);

test.each([
  ['two settings, one port and host', { INGEST_HTTP_PORT: '9465' }, [
    'ingest.httpPort (env INGEST_HTTP_PORT): port 9465 on 127.0.0.1 is also broker.httpPort\'s '
      + '(default, on 127.0.0.1): two listeners cannot share a port; change INGEST_HTTP_PORT or BROKER_HTTP_PORT',
  ]],
  ['loopback and any address collide', { PGLITE_PORT: '1883' }, [
    'database.embedded.port (env PGLITE_PORT): port 1883 on 127.0.0.1 is also broker.port\'s (default, on 0.0.0.0): '
      + 'two listeners cannot share a port; change PGLITE_PORT or MQTT_PORT',
  ]],
  ['localhost is 127.0.0.1', { WEB_HOST: 'localhost', WEB_PORT: '9464' }, [
    expect.stringContaining('web.port (env WEB_PORT): port 9464 on localhost is also ingest.httpPort\'s'),
  ]],
  ['two addresses of this machine do not', { WEB_HOST: '192.168.1.10', WEB_PORT: '9464' }, []],
  ['0 picks a port or turns one off: never a collision',
    { WEB_PORT: '0', INGEST_HTTP_PORT: '0', BROKER_HTTP_PORT: '0', MQTT_PORT: '0' }, []],
  ['a listener that is off does not collide', { MQTT_TLS_PORT: '8080', MQTT_WS_PORT: '8080' }, []],
  ['the broker\'s listeners are not ours without the embedded broker',
    { BROKER_EMBEDDED: 'false', MQTT_PORT: '8080' }, []],
  ['nor the embedded database\'s with DATABASE_URL', { DATABASE_URL: 'postgres://db/p', PGLITE_PORT: '8080' }, []],
  ['the alerts worker listens only when it has rules', { ALERTS_HTTP_PORT: '8080' }, []],
  ['and then it does', { ALERTS_HTTP_PORT: '8080', ALERT_RULES: '[{"name":"x"}]' }, [
    expect.stringContaining(
      'alerts.httpPort (env ALERTS_HTTP_PORT): port 8080 on 127.0.0.1 is also web.port\'s (default, on 127.0.0.1)',
    ),
  ]],
  ['every collision at once', { INGEST_HTTP_PORT: '8080', BROKER_HTTP_PORT: '8080' }, [
    expect.stringContaining(
      'ingest.httpPort (env INGEST_HTTP_PORT): port 8080 on 127.0.0.1 is also broker.httpPort\'s (env BROKER_HTTP_PORT',
    ),
    expect.stringContaining('broker.httpPort (env BROKER_HTTP_PORT): port 8080 on 127.0.0.1 is also web.port\'s'),
    expect.stringContaining('ingest.httpPort (env INGEST_HTTP_PORT): port 8080 on 127.0.0.1 is also web.port\'s'),
  ]],
])('listeners: %s', (_name, env, expected) => {
  expect(problemsOf(env as NodeJS.ProcessEnv)).toEqual(expected);
});

test('hosts: any address collides with every other; IPv6 any too', () => {
  const at = (host: string, port = 1) => ({ key: host, host, port });
  expect(collide(at('::'), at('127.0.0.1'))).toBe(true);
  expect(collide(at('0.0.0.0'), at('::1'))).toBe(true);
  expect(collide(at('127.0.0.1'), at('::1'))).toBe(false);
  expect(collide(at('127.0.0.1'), at('127.0.0.1', 2))).toBe(false);
});

test('every whole-number setting has bounds, and its default is within them', () => {
  const defaults = Object.fromEntries(settings.map((s) => [s.key, s.value]));
  const unbounded = settings.filter((s) => typeof s.value === 'number' && !s.bounded).map((s) => s.key);
  // A new numeric setting takes a format of config/bounds.ts (duration-ms, bytes, count, days, port) and its bounds.
  expect(unbounded).toEqual([]);
  for (const s of settings.filter((x) => x.bounded)) {
    expect([s.key, withinBounds(defaults[s.key], s.bounded!.bounds)]).toEqual([s.key, true]);
    expect(s.bounded!.bounds.min).toBeLessThanOrEqual(s.bounded!.bounds.max);
  }
});
