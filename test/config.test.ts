// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pimonitor-config-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

test('defaults need no file and no environment', () => {
  const { config } = loadConfig({ env: {} });
  expect(config.dataDir).toBe('./data');
  expect(config.database).toMatchObject({ url: '', embedded: { host: '127.0.0.1', port: 5433 } });
  expect(config.broker).toMatchObject({ host: '0.0.0.0', port: 1883, embedded: true });
  expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
  expect(config.ingest).toMatchObject({ batchMaxRows: 2000, flushIntervalMs: 250, maxFutureSkewMs: 300_000 });
});

test('the environment overrides the file, which overrides the defaults', () => {
  const path = file('layers.json', JSON.stringify({
    broker: { port: 1884 }, ingest: { flushIntervalMs: 100, batchMaxRows: 10 },
  }));
  const { config, describe } = loadConfig({ file: path, env: { INGEST_FLUSH_INTERVAL_MS: '50', LOG_LEVEL: 'debug' } });
  expect(config.broker.port).toBe(1884);
  expect(config.ingest.flushIntervalMs).toBe(50);
  expect(config.ingest.batchMaxRows).toBe(10);
  expect(config.log.level).toBe('debug');
  const sources = Object.fromEntries(describe().map((s) => [s.key, s.source]));
  expect(sources).toMatchObject({
    'broker.port': `file ${path}`,
    'ingest.flushIntervalMs': 'env INGEST_FLUSH_INTERVAL_MS',
    'ingest.statsIntervalMs': 'default',
  });
});

test('every bad key is reported at once, with its source and what was expected', () => {
  const path = file('bad.json', JSON.stringify({ ingest: { flushIntervalMs: 'soon' }, brokr: { port: 1 } }));
  const problems = problemsOf(() =>
    loadConfig({
      file: path,
      env: { MQTT_PORT: '99999', LOG_LEVEL: 'loud', MQTT_URL: 'localhost:1883', DATABASE_URL: 'mysql://x' },
    }),
  );
  expect(problems).toEqual(
    expect.arrayContaining([
      'broker.port (env MQTT_PORT): 99999 is more than 65535: port numbers are 16 bits',
      expect.stringMatching(/^log\.level \(env LOG_LEVEL\): must be one of the possible values/),
      expect.stringMatching(/^mqtt\.url \(env MQTT_URL\): must be an MQTT URL such as mqtt:\/\/127\.0\.0\.1:1883/),
      expect.stringMatching(
        /^database\.url \(env DATABASE_URL\): must be empty \(embedded database\) or a postgres:\/\//,
      ),
      `ingest.flushIntervalMs (file ${path}): "soon" is not a whole number of milliseconds (0-60000)`,
      expect.stringContaining(`brokr.port (file ${path}): not a known setting`),
    ]),
  );
  expect(problems).toHaveLength(6);
});

test('metric ranges come from JSON in the environment and are checked', () => {
  expect(loadConfig({ env: { INGEST_METRIC_RANGES: '{"co2": [0, 10000]}' } }).config.ingest.metricRanges)
    .toEqual({ co2: [0, 10000] });
  expect(problemsOf(() => loadConfig({ env: { INGEST_METRIC_RANGES: '{"co2": [10, 0]}' } }))).toEqual([
    expect.stringContaining(
      'ingest.metricRanges (env INGEST_METRIC_RANGES): range of co2 must be [min, max] with min <= max',
    ),
  ]);
  expect(problemsOf(() => loadConfig({ env: { INGEST_METRIC_RANGES: 'co2=0..1' } }))).toEqual([
    expect.stringContaining('ingest.metricRanges (env INGEST_METRIC_RANGES): must be an object of metric: [min, max]'),
  ]);
});

test('a missing or malformed file is named', () => {
  expect(problemsOf(() => loadConfig({ file: join(dir, 'nope.json'), env: {} }))).toEqual([
    `config file ${join(dir, 'nope.json')} cannot be read: ENOENT`,
  ]);
  const broken = file('broken.json', '{ "broker": ');
  expect(problemsOf(() => loadConfig({ file: broken, env: {} }))[0])
    .toMatch(new RegExp(`^config file ${broken} is not a JSON object: `));
});

test('secrets are redacted in the description', () => {
  const { describe } = loadConfig({
    env: { DATABASE_URL: 'postgres://ingest:hunter2@db:5432/pimonitor', MQTT_PASSWORD: 's3cret' },
  });
  const values = Object.fromEntries(describe().map((s) => [s.key, s.value]));
  expect(values['database.url']).toBe('postgres://ingest:***@db:5432/pimonitor');
  expect(values['mqtt.password']).toBe('[redacted]');
  expect(JSON.stringify(describe())).not.toMatch(/hunter2|s3cret/);
});

test('an invalid device name for the node is refused', () => {
  expect(problemsOf(() => loadConfig({ env: { NODE_DEVICE: 'living room' } }))).toEqual([
    'node.device (env NODE_DEVICE): device name "living room" must be 1-64 characters of A-Z a-z 0-9 _ -: '
      + 'value was "living room"',
  ]);
});

test('counts that cannot be zero refuse zero', () => {
  const env = { INGEST_BATCH_MAX_ROWS: '0', NODE_INTERVAL_MS: '0', DATABASE_POOL_SIZE: '-1' };
  expect(problemsOf(() => loadConfig({ env }))).toEqual(
    expect.arrayContaining([
      'ingest.batchMaxRows (env INGEST_BATCH_MAX_ROWS): 0 is less than 1: a batch needs a row',
      expect.stringMatching(
        /^node\.intervalMs \(env NODE_INTERVAL_MS\): 0 is less than 100 ms: no sensor is worth reading more often/,
      ),
      'database.poolSize (env DATABASE_POOL_SIZE): -1 is less than 1: a process needs a connection',
    ]),
  );
  expect(loadConfig({ env: { INGEST_FLUSH_INTERVAL_MS: '0' } }).config.ingest.flushIntervalMs).toBe(0);
});
