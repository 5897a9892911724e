import fc from 'fast-check';

/**
 * Generators of what a hostile or broken sender publishes. Shared by the pure property test and the
 * end-to-end fuzz test. The seed is fixed in CI (FUZZ_SEED overrides it, FUZZ_RUNS sets the count).
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261125);
export const fuzzRuns = (ciDefault: number) => Number(process.env.FUZZ_RUNS ?? ciDefault);

const nasty = fc.constantFrom(
  '\u0000', '\ud800', '\udfff', '\uffff', '\u202e', '\\u0000', '"', '\\', '{', '}', ',', ' ', 'NULL', 'null', '',
  '%00', '\n', '\r', '\t',
  '😀', 'é', 'ﬀ', '../', '$SYS', "'; DROP TABLE readings; --", '$1', '${ts}', '9'.repeat(400),
);
const text = fc.oneof(
  fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }), nasty,
);
const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), text);
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0, -0, 1e308, -1e308, 5e-324, 2 ** 53, -(2 ** 53), 8.64e15, 8.64e15 + 1, -8.64e15 - 1, 1e21, 1e300, -1e300,
    946684800000, 253402300799999, 253402300800000,
  ),
);
const timestamp = fc.oneof(
  number,
  text,
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  fc.constantFrom(
    '2026-02-31T12:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', '2026-01-01T24:00:00Z',
    '2026-01-01T00:00:00+99:99', '+275760-09-13T00:00:00.000Z',
  ),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const value = fc.oneof({ weight: 5, arbitrary: number }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

/** A JSON object shaped like a reading, with every part possibly wrong. */
const readingLike = fc
  .record({
    metrics: fc.dictionary(
      fc.oneof(fc.constantFrom('temperature', 'humidity', 'ts', '__proto__', 'constructor'), name), value,
      { maxKeys: 6 },
    ),
    ts: fc.option(timestamp),
  })
  .map(({ metrics, ts }) => {
    const body: Record<string, unknown> = { ...metrics };
    if (ts !== null) body.ts = ts;
    return Buffer.from(JSON.stringify(body));
  });

export const hostilePayload = fc.oneof(
  { weight: 4, arbitrary: readingLike },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined')) },
  { weight: 1, arbitrary: text.map((t) => Buffer.from(t)) },
  // JSON with escapes that decode to NUL and lone surrogates: what JSON.stringify of a JS string never writes.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"ts":"\\u0000"}', '{"\\u0000":1}', '{"temperature":1,"ts":"\\ud800"}', '{"ts":1e300}', '{"ts":-1e300,"a":1}',
        '{"ts":8640000000000001,"a":1}', '{"a":1e400}', '{"a":-0}', '['.repeat(5000),
      )
      .map((s) => Buffer.from(s)),
  },
);

/** Any topic at all: for the pure classifier. */
export const anyTopic = fc.oneof(
  fc
    .tuple(fc.constantFrom('home', 'Home', '', '$SYS'), name, name, fc.option(name))
    .map(([a, b, c, d]) => [a, b, c, ...(d === null ? [] : [d])].join('/')),
  text,
);

/** A topic a broker accepts for PUBLISH (no wildcards, no NUL, not empty, within our broker's limits), under home/. */
export const publishableTopic = fc
  .tuple(name, name, fc.option(fc.constantFrom('status', 'diag', 'x')))
  .map(([device, sensor, extra]) =>
    ['home', device, sensor, ...(extra === null ? [] : [extra])].join('/').replace(/[+#\u0000]/g, '_'),
  )
  // Lone surrogates become U+FFFD on the wire; keep the topic as it will arrive.
  .map((t) => Buffer.from(t, 'utf8').toString('utf8').slice(0, 200));
