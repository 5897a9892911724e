// @engine-independent: opens no database (jest.config.js)
import {
  DEFAULT_LIMITS,
  encodeReading,
  parseReading,
  parseStatus,
  parseTimestamp,
  parseTopic,
  readingTopic,
  statusTopic,
} from '../shared/contract.js';

const receivedAt = new Date('2026-03-01T12:00:00Z');
const parse = (payload: string | Buffer) =>
  parseReading(
    'kitchen', 'dht22', Buffer.isBuffer(payload) ? payload : Buffer.from(payload), receivedAt, DEFAULT_LIMITS,
  );

describe('parseTopic', () => {
  test.each([
    ['home/kitchen/dht22', { kind: 'reading', device: 'kitchen', sensor: 'dht22' }],
    ['home/living-room_2/ds18b20', { kind: 'reading', device: 'living-room_2', sensor: 'ds18b20' }],
    ['home/kitchen/status', { kind: 'status', device: 'kitchen' }],
  ])('%s is accepted', (topic, expected) => {
    expect(parseTopic(topic)).toEqual({ ok: true, topic: expected });
  });

  test.each([
    ['home/a/b/c', 'topic home/a/b/c has too many levels'],
    ['home/a', 'topic home/a has too few levels'],
    ['office/a/b', 'does not start with home/'],
    ['home/kit chen/dht22', 'device name "kit chen" must be 1-64 characters'],
    ['home//dht22', 'device name "" must be'],
    ['home/kitchen/dht.22', 'sensor name "dht.22" must be'],
    [`home/${'x'.repeat(65)}/dht22`, 'must be 1-64 characters'],
  ])('%s is rejected: %s', (topic, reason) => {
    const result = parseTopic(topic);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  test('builders and parser agree', () => {
    expect(parseTopic(readingTopic('pi4', 'cpu'))).toEqual({
      ok: true,
      topic: { kind: 'reading', device: 'pi4', sensor: 'cpu' },
    });
    expect(parseTopic(statusTopic('pi4'))).toEqual({ ok: true, topic: { kind: 'status', device: 'pi4' } });
  });
});

describe('parseReading', () => {
  test('numeric fields become metrics; no ts means the receive time', () => {
    expect(parse('{"temperature":21.5,"humidity":40.2}')).toEqual({
      ok: true,
      reading: {
        device: 'kitchen',
        sensor: 'dht22',
        ts: receivedAt,
        metrics: [
          { metric: 'temperature', value: 21.5 },
          { metric: 'humidity', value: 40.2 },
        ],
      },
    });
  });

  test.each([
    ['2026-03-01T11:59:00Z', '2026-03-01T11:59:00.000Z'],
    ['2026-03-01T11:59Z', '2026-03-01T11:59:00.000Z'],
    ['2026-03-01T13:59:00+02:00', '2026-03-01T11:59:00.000Z'],
    ['2026-03-01T11:59:00.123456+0000', '2026-03-01T11:59:00.123Z'],
    [Date.parse('2026-03-01T11:59:00Z'), '2026-03-01T11:59:00.000Z'],
  ])('ts %p is when the reading was taken', (ts, iso) => {
    const result = parse(JSON.stringify({ temperature: 20, ts }));
    expect(result.ok && result.reading.ts.toISOString()).toBe(iso);
  });

  test('unknown metrics are kept as they are, outside any range', () => {
    const result = parse('{"co2": 123456, "temperature": -40}');
    expect(result.ok && result.reading.metrics).toEqual([
      { metric: 'co2', value: 123456 },
      { metric: 'temperature', value: -40 },
    ]);
  });

  test('configured ranges apply', () => {
    const limits = { ...DEFAULT_LIMITS, ranges: { co2: [0, 10_000] as const } };
    const result = parseReading('a', 'b', Buffer.from('{"co2": 20000}'), receivedAt, limits);
    expect(result).toEqual({ ok: false, code: 'range', reason: 'co2 20000 out of range 0..10000' });
  });

  test.each([
    ['not JSON', 'nope', 'payload is not JSON'],
    ['NaN literal', '{"temperature": NaN}', 'payload is not JSON'],
    ['empty payload', '', 'payload is empty'],
    ['an array', '[21.5, 40]', 'payload is an array, expected a JSON object of metrics'],
    ['a string', '"21.5"', 'payload is a string, expected a JSON object of metrics'],
    ['a number', '21.5', 'payload is number, expected a JSON object of metrics'],
    ['null', 'null', 'payload is null, expected a JSON object of metrics'],
    ['no metrics', '{}', 'payload has no numeric metrics'],
    ['only ts', '{"ts": "2026-03-01T11:59:00Z"}', 'payload has no numeric metrics'],
    ['string metric', '{"temperature": "21.5"}', 'metric temperature is a string, expected a number'],
    ['nested object', '{"temperature": {"value": 21.5}}', 'metric temperature is an object, expected a number'],
    ['boolean metric', '{"motion": true}', 'metric motion is a boolean, expected a number'],
    ['null metric', '{"humidity": null}', 'metric humidity is null, expected a number'],
    ['infinite', '{"temperature": 1e999}', 'metric temperature is not a finite number'],
    ['humidity too high', '{"humidity": 130}', 'humidity 130 out of range 0..100'],
    ['below absolute zero', '{"temperature": -300}', 'temperature -300 out of range -273.15..1000'],
    ['bad metric name', '{"temp erature": 1}', 'metric name "temp erature" must start with a letter'],
    ['ts not a date', '{"temperature": 1, "ts": "yesterday"}', 'ts "yesterday" is not ISO 8601 with an offset'],
    ['ts without offset', '{"temperature": 1, "ts": "2026-03-01T11:59:00"}', 'is not ISO 8601 with an offset'],
    ['ts impossible date', '{"temperature": 1, "ts": "2026-02-31T11:59:00Z"}', 'is not a valid date'],
    ['ts impossible hour', '{"temperature": 1, "ts": "2026-02-01T24:30:00Z"}', 'is not a valid date'],
    ['ts in seconds', '{"temperature": 1, "ts": 1772366340}', 'looks like epoch seconds'],
    ['ts fractional', '{"temperature": 1, "ts": 1772366340000.5}', 'is not a whole number of epoch milliseconds'],
    [
      'ts in 1970',
      '{"temperature": 1, "ts": "1970-01-01T00:00:05Z"}',
      'is before 2000-01-01: the sender\'s clock is not set',
    ],
    [
      'ts an object',
      '{"temperature": 1, "ts": {}}',
      'ts must be an ISO 8601 string or epoch milliseconds, not an object',
    ],
    [
      'ts in the future',
      '{"temperature": 1, "ts": "2026-03-01T12:06:00Z"}',
      'ts 2026-03-01T12:06:00.000Z is 360 s in the future (limit 300 s)',
    ],
    [
      'too many metrics',
      JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]))),
      'payload has 65 metrics, more than the limit of 64',
    ],
    ['oversize', `{"temperature": 1, "pad": "${'x'.repeat(20_000)}"}`, 'larger than the limit of 16384'],
  ])('%s is rejected', (_name, payload, reason) => {
    const result = parse(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  test('a ts just inside the future limit is accepted', () => {
    expect(parse('{"temperature": 1, "ts": "2026-03-01T12:04:59Z"}').ok).toBe(true);
  });

  test('what a node encodes, ingest parses back', () => {
    const takenAt = new Date('2026-03-01T11:00:00.250Z');
    const result = parse(encodeReading({ temperature: 19.25, humidity: 51 }, takenAt));
    expect(result.ok && result.reading).toEqual({
      device: 'kitchen',
      sensor: 'dht22',
      ts: takenAt,
      metrics: [
        { metric: 'temperature', value: 19.25 },
        { metric: 'humidity', value: 51 },
      ],
    });
  });
});

describe('parseStatus and parseTimestamp', () => {
  test.each(['online', 'offline', ' online\n'])('status %p is accepted', (payload) => {
    expect(parseStatus(Buffer.from(payload)).ok).toBe(true);
  });

  test('an unknown status is rejected', () => {
    expect(parseStatus(Buffer.from('sleeping'))).toEqual({
      ok: false,
      code: 'status',
      reason: 'status payload "sleeping" is not one of online, offline',
    });
  });

  test('epoch milliseconds before 2000 are rejected', () => {
    expect(parseTimestamp(5000)).toEqual({
      ok: false,
      code: 'clock',
      reason: "ts 1970-01-01T00:00:05.000Z is before 2000-01-01: the sender's clock is not set",
    });
  });
});
