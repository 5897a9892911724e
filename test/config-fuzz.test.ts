// @engine-independent: opens no database (jest.config.js)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { withinBounds } from '../config/bounds.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

const variables = loadConfig({ env: {} }).describe().map((s) => s.env);
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    '', '0', '-1', '1e309', 'NaN', 'true', 'false', 'null', '[]', '{}', '{"a":[1,2]}', 'Europe/Berlin', 'Mars/Olympus',
    'UTC', '0/1', '3/2', 'postgres://x', 'mqtt://h:1', 'http://h', ' 90 ',
  ),
);

/** Either a configuration, or a ConfigError whose every line names a setting or the file. Never anything else. */
function expectConfigOrProblems(load: () => unknown): void {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    for (const problem of (err as ConfigError).problems) {
      expect(problem).toMatch(/^(.+ \((env [A-Z0-9_]+|file .+|default)\): .|config file )/s);
    }
  }
}

test('any environment gives a configuration or problems naming each setting (property)', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...variables), value, { maxKeys: 8 }), (env) => {
      expectConfigOrProblems(() => loadConfig({ env }));
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(1500) },
  );
});

test('any configuration file gives a configuration or problems naming each setting (property)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pimonitor-config-fuzz-'));
  const path = join(dir, 'config.json');
  const content = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.record({
      storage: fc.dictionary(
        fc.constantFrom('retentionRawDays', 'rollupTimeZone', 'maintenance', 'nope'), fc.jsonValue({ maxDepth: 1 }),
      ),
    }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
  );
  fc.assert(
    fc.property(content, (text) => {
      writeFileSync(path, text);
      expectConfigOrProblems(() => loadConfig({ file: path, env: {} }));
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(500) },
  );
});

test('the storage settings name their problems', () => {
  const problems = (() => {
    try {
      loadConfig({ env: { RETENTION_RAW_DAYS: '-3', ROLLUP_TIME_ZONE: 'Mars/Olympus' } });
    } catch (err) {
      return (err as ConfigError).problems;
    }
    return [];
  })();
  expect(problems).toEqual([
    'storage.retentionRawDays (env RETENTION_RAW_DAYS): -3 is less than 0 days: it cannot be negative',
    'storage.rollupTimeZone (env ROLLUP_TIME_ZONE): must be an IANA time zone such as Europe/Berlin or UTC, '
      + 'or empty for this machine\'s zone: value was "Mars/Olympus"',
  ]);
});

test('keys no setting can have are named before convict sees them (it throws a TypeError on some)', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'pimonitor-config-keys-')), 'c.json');
  writeFileSync(path, JSON.stringify({
    storage: { retentionRawDays: { '.': false, '': 0 } }, ingest: { metricRanges: { co2_ppm: [0, 5000] } },
  }));
  expect(() => loadConfig({ file: path, env: {} })).toThrow(ConfigError);
  try {
    loadConfig({ file: path, env: {} });
  } catch (err) {
    expect((err as ConfigError).problems).toEqual([
      `storage.retentionRawDays.. (file ${path}): not a setting name (see \`pimonitor config --explain\`)`,
      `storage.retentionRawDays."" (file ${path}): not a setting name (see \`pimonitor config --explain\`)`,
    ]);
  }
});

const bounded = loadConfig({ env: {} }).describe().filter((s) => s.bounded);
/** Around each bound, huge and odd: what a typo or a hostile file gives. */
const numberLike = (min: number, max: number) => fc.oneof(
  fc.integer({ min: min - 3, max: min + 3 }),
  fc.integer({ min: max - 3, max: max + 3 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, -0, 0.5, 1e308),
);
const given = (min: number, max: number) => fc.oneof(
  numberLike(min, max).map(String),
  numberLike(min, max).map((n) => ` ${n}\t`),
  fc.constantFrom(
    '', ' ', 'abc', '1e3', '12abc', '0x10', '1_000', '+5', '--1', 'Infinity', 'NaN', '99999999999999999999999', '٣',
  ),
  fc.string({ maxLength: 12 }),
);

test('a whole-number setting loads within its bounds, or is refused naming it and its variable (property)', () => {
  const cases = fc.constantFrom(...bounded)
    .chain((s) => given(s.bounded!.bounds.min, s.bounded!.bounds.max).map((raw) => ({ s, raw })));
  fc.assert(
    fc.property(cases, ({ s, raw }) => {
      let loaded: ReturnType<typeof loadConfig> | undefined;
      try {
        loaded = loadConfig({ env: { [s.env]: raw } });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        // Its own line, or a cross-field one naming it too (a pool larger than the embedded database's connections).
        const named = (p: string) =>
          p.startsWith(`${s.key} (env ${s.env}): `) || p.includes(` ${s.key} (env ${s.env})`);
        expect((err as ConfigError).problems.some(named)).toBe(true);
        return;
      }
      const value = loaded.describe().find((x) => x.key === s.key)!.value;
      expect(withinBounds(value, s.bounded!.bounds)).toBe(true);
      // Loaded means all of it was that number.
      expect(raw.trim()).toBe(String(value));
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(1500) },
  );
});

test('a whole-number setting from a file loads within its bounds or is refused naming it (property)', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'pimonitor-config-bounded-')), 'config.json');
  const cases = fc.constantFrom(...bounded).chain((s) => fc.oneof(
    numberLike(s.bounded!.bounds.min, s.bounded!.bounds.max), given(0, 1), fc.jsonValue({ maxDepth: 1 }),
  ).map((raw) => ({ s, raw })));
  fc.assert(
    fc.property(cases, ({ s, raw }) => {
      const tree: Record<string, unknown> = {};
      const parts = s.key.split('.');
      parts.reduce<Record<string, unknown>>(
        (node, part, i) => (node[part] = i === parts.length - 1 ? raw : {}) as Record<string, unknown>,
        tree,
      );
      writeFileSync(path, JSON.stringify(tree));
      let loaded: ReturnType<typeof loadConfig> | undefined;
      try {
        loaded = loadConfig({ file: path, env: {} });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        // An object where the number belongs is named by its odd keys (database.poolSize.""), else by the setting.
        const named = (p: string) => p.startsWith(s.key) || p.includes(` ${s.key} (file ${path})`);
        expect((err as ConfigError).problems.some(named)).toBe(true);
        return;
      }
      expect(withinBounds(loaded.describe().find((x) => x.key === s.key)!.value, s.bounded!.bounds)).toBe(true);
    }),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(800) },
  );
});
