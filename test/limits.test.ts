// @engine-independent: opens no database (jest.config.js)
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { validationLimitsOf } from '../config/limits.js';
import { DEFAULT_LIMITS, DEFAULT_METRIC_RANGES } from '../shared/contract.js';
import { liveEventsOf } from '../web/live.js';

// Issue 24, item 4: one function builds the contract's limits from configuration, for every reader.

test('the configured limits: ranges merged over the built-in ones, the payload size and the clock allowance', () => {
  const { config } = loadConfig({
    env: {
      INGEST_METRIC_RANGES: '{"co2": [0, 5000], "humidity": [0, 90]}', INGEST_MAX_FUTURE_SKEW_MS: '3600000',
      INGEST_MAX_PAYLOAD_BYTES: '4096',
    },
  });
  expect(validationLimitsOf(config)).toEqual({
    maxPayloadBytes: 4096, maxFutureSkewMs: 3_600_000,
    ranges: { ...DEFAULT_METRIC_RANGES, co2: [0, 5000], humidity: [0, 90] },
  });
  expect(validationLimitsOf(loadConfig({ env: {} }).config)).toEqual(DEFAULT_LIMITS);
});

test('the dashboard\'s live feed shows what ingest would store, by the same limits', () => {
  const { config } = loadConfig({ env: { INGEST_METRIC_RANGES: '{"co2": [0, 5000]}' } });
  const payload = Buffer.from(JSON.stringify({ co2: 65535 }));
  expect(liveEventsOf('home/office/scd30', payload, new Date(), [], validationLimitsOf(config))).toEqual([]);
  expect(
    liveEventsOf('home/office/scd30', Buffer.from('{"co2":800}'), new Date(), [], validationLimitsOf(config)),
  ).toHaveLength(1);
});

test('every entry point takes its limits from validationLimitsOf, none builds its own', () => {
  for (const file of ['ingest/main.ts', 'alerts/main.ts', 'web/main.ts']) {
    const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
    expect(text).toContain('validationLimitsOf(config)');
    expect(text).not.toMatch(/DEFAULT_METRIC_RANGES|metricRanges|maxFutureSkewMs/);
  }
});
