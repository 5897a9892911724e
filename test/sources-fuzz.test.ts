// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { DEFAULT_LIMITS, MAX_REASON_CHARS, parseTimestamp } from '../shared/contract.js';
import { decodeMessage } from '../shared/sources/decode.js';
import { instantOf } from '../shared/sources/mapping.js';
import { parseSources } from '../shared/sources/spec.js';
import type { Source } from '../shared/sources/source.js';
import { liveEventsOf } from '../web/live.js';
import { FUZZ_SEED, fuzzRuns, hostilePayload } from './support/hostile.js';

// Property: whatever a Tasmota, a Zigbee2MQTT bridge, an ESPHome node, a Shelly or a custom mapping is
// sent (or a stranger on their topics), decoding returns readings the contract accepts, a status, an
// ignore rule or one readable rejection; it never throws, never says `unexpected`.
// Longer: FUZZ_RUNS=200000 npm run test:fuzz

const parsed = parseSources(
  [
    'tasmota',
    'zigbee2mqtt',
    'esphome',
    'shelly',
    {
      name: 'mine',
      topic: 'mine/{device}/{sensor}',
      metrics: { temperature: 'a.b', humidity: 'h' },
      time: 't',
      availability: { topic: 'mine/{device}/lwt' },
    },
    { name: 'num', topic: 'num/{device}/{metric}', payload: 'number' },
  ],
  'Europe/Berlin',
);
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const SOURCES: Source[] = parsed.value;

const level = fc.oneof(
  fc.constantFrom(
    'tele', 'SENSOR', 'LWT', 'zigbee2mqtt', 'bridge', 'availability', 'set', 'sensor', 'binary_sensor', 'state',
    'status', 'events', 'rpc', 'online', 'temperature:0', 'switch:0', 'devicepower:0', 'mine', 'num', 'lwt', 'home', '',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const sourceTopic = fc.array(level, { minLength: 1, maxLength: 6 }).map((l) => l.join('/'));

const field = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 10 }),
  fc.constant(null),
  fc.constantFrom(1e300, -1e300, 3005, 1795600800, 1795600800000, 'nan', 'ON'),
);
const timeLike = fc.oneof(
  field,
  fc.constantFrom(
    '2026-11-25T11:00:00', '2026-10-25T02:30:00', '2026-03-29T02:30:00', '1970-01-01T00:00:00', '2026-02-30T10:00:00',
    '9999-12-31T23:59:59', '2026-11-25T11:00:00+01:00',
  ),
);
const component = fc.dictionary(
  fc.constantFrom(
    'tC', 'rh', 'lux', 'apower', 'voltage', 'current', 'battery', 'aenergy', 'Temperature', 'Humidity', 'Id', 'Total',
    'Power', 'x',
  ),
  fc.oneof(
    field,
    fc.dictionary(fc.constantFrom('total', 'V', 'percent', 'tC'), field, { maxKeys: 3 }),
    fc.array(field, { maxLength: 3 }),
  ),
  { maxKeys: 5 },
);
const sourcePayload = fc.oneof(
  fc.record(
    {
      Time: timeLike,
      AM2301: component,
      'DS18B20-1': component,
      ENERGY: component,
      TempUnit: fc.constantFrom('C', 'F', 'K', 'X'),
      PressureUnit: fc.constantFrom('hPa', 'mmHg', 'inHg', 'x'),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      temperature: field,
      humidity: field,
      voltage: field,
      occupancy: field,
      last_seen: timeLike,
      action: field,
      state: field,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      method: fc.constantFrom('NotifyStatus', 'NotifyFullStatus', 'NotifyEvent', 1),
      params: fc.record(
        { ts: timeLike, 'temperature:0': component, 'switch:0': component, 'devicepower:0': component },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record({ a: fc.record({ b: field }, { requiredKeys: [] }), h: field, t: timeLike }, { requiredKeys: [] }),
).map((o) => Buffer.from(JSON.stringify(o)));
const anyPayload = fc.oneof(sourcePayload, hostilePayload, field.map((v) => Buffer.from(String(v))));

test(
  'any topic and payload on the sources\' topics: never a throw, never `unexpected`, readings the contract accepts',
  () => {
    const receivedAt = fc.oneof(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
      fc.date({ noInvalidDate: false }),
    );
    fc.assert(
      fc.property(sourceTopic, anyPayload, receivedAt, (topic, payload, at) => {
        const d = decodeMessage(SOURCES, topic, payload, at, DEFAULT_LIMITS);
        if ('ok' in d) {
          expect(d.code).not.toBe('unexpected');
          expect(d.reason.length).toBeGreaterThan(5);
          expect(d.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 1);
        } else if (d.kind === 'readings') {
          for (const r of d.readings) {
            expect(r.device).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
            expect(r.sensor).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
            expect(r.ts.getTime()).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
            for (const m of r.metrics) {
              expect(Number.isFinite(m.value) && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(m.metric)).toBe(true);
            }
          }
        } else if (d.kind === 'status') {
          expect(d.device).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        }
        expect(() => liveEventsOf(topic, payload, at, SOURCES)).not.toThrow();
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(5_000) },
    );
  },
);

test('any configuration value for ingest.sources: sources or named problems, never a throw', () => {
  const item = fc.oneof(
    fc.constantFrom('tasmota', 'zigbee2mqtt', 'esphome', 'shelly', 'custom', ''),
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        preset: fc.constantFrom('tasmota', 'esphome', 'custom', 'x'),
        name: fc.string({ maxLength: 8 }),
        prefix: fc.string({ maxLength: 8 }),
        topic: fc.constantFrom('a/{device}', '{device}/+/#', 'a/#/b', '+', ''),
        metrics: fc.jsonValue({ maxDepth: 2 }),
        units: fc.jsonValue({ maxDepth: 2 }),
        timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'x'),
      },
      { requiredKeys: [] },
    ),
  );
  const raws = fc.oneof(fc.array(item, { maxLength: 4 }), fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }));
  fc.assert(
    fc.property(raws, (raw) => {
      const result = parseSources(raw, 'UTC');
      if (!result.ok) for (const p of result.problems) expect(p.length).toBeGreaterThan(5);
      else for (const s of result.value) expect(s.filters.length).toBeGreaterThan(0);
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(5_000) },
  );
});

test(
  'a time with an offset means the same to a source as to the contract: one parser, so impossible dates, offsets ' +
    'and ranges are refused alike',
  () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const iso = fc
      .tuple(
        fc.constantFrom('1999', '2000', '2024', '2026', '2100', '9999', '0050'),
        two(13),
        two(32),
        two(25),
        two(61),
        fc.option(two(61)),
        fc.option(fc.constantFrom('.5', '.123', '.999999999')),
        fc.constantFrom('Z', '+01:00', '-05:30', '+0200', '+23:59', '+24:00', '-00:60', '+14:00'),
      )
      .map(([y, mo, d, h, mi, s, frac, offset]) => {
        const seconds = s === null ? '' : `:${s}${frac ?? ''}`;
        return `${y}-${mo}-${d}T${h}:${mi}${seconds}${offset}`;
      });
    fc.assert(
      fc.property(iso, (text) => {
        const contract = parseTimestamp(text);
        const source = instantOf(text, 'Europe/Berlin', new Date(LATE));
        expect(source.ok).toBe(contract.ok);
        if (contract.ok && source.ok) expect(source.ts.getTime()).toBe(contract.ts.getTime());
        if (!contract.ok && !source.ok) expect(source.code).toBe(contract.code);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(5_000) },
    );
  },
);
const LATE = Date.UTC(9999, 0, 1);
