// @engine-independent: opens no database (jest.config.js)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { METRIC_UNITS } from '../shared/units.js';

/**
 * One place for each fact (issue 31): the name pattern, the units, the HTML escape, the MQTT filter
 * matcher, the Parsed type, the rounding rule, the time-zone refusal and the machine's zone are each written
 * in one module and used from there.
 * Read as text from every .ts file outside node_modules, dist and test: a second copy fails here, naming
 * the file and the module to use. A file allowed a match says why beside it.
 */

const SKIPPED = new Set(['node_modules', 'dist', 'test', '.git']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [relative(PACKAGE_ROOT, path)] : [];
  });
}

const FILES = sourceFiles(PACKAGE_ROOT).map((path) => ({
  path,
  lines: readFileSync(join(PACKAGE_ROOT, path), 'utf8').split('\n'),
}));

interface Fact {
  what: string;
  /** The one module that defines it. */
  place: string;
  pattern: RegExp;
  /** Other files allowed to match, each with the reason. */
  allowed?: Readonly<Record<string, string>>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Units as quoted literals; the one-letter units (V, A, W) and % are too common as other text to look for. */
const UNITS = [...new Set([...Object.values(METRIC_UNITS), '°F'])].filter((u) => u.length > 1 && u !== '%');

const FACTS: Fact[] = [
  {
    what: 'the name pattern or its characters (devices, sensors, rules, routes, reports, sources, labels)',
    place: 'shared/contract.ts (NAME_PATTERN, isName, NAME_CHARACTERS)',
    pattern: /A-Za-z0-9_-/,
    allowed: {
      'config/index.ts': 'KEY_NAME: which JSON keys convict can read (no dots or spaces), not the name rule',
    },
  },
  {
    what: 'the metric name pattern',
    place: 'shared/contract.ts (METRIC_PATTERN)',
    pattern: /\[A-Za-z\]\[A-Za-z0-9_\]\{0,63\}/,
  },
  {
    what: 'a unit of the metric table as a literal',
    place: 'shared/units.ts (METRIC_UNITS, unitOf, inReaderUnits)',
    pattern: new RegExp(`(['"\`])(${UNITS.map(escapeRegExp).join('|')})\\1`),
    allowed: {
      'shared/sources/mapping.ts': "the units devices send, which it converts into the table's",
      'shared/sources/tasmota.ts': "Tasmota's PressureUnit field, the unit the device sent",
      'shared/sources/shelly.ts': "Shelly reports energy in Wh, which it converts to the table's kWh",
    },
  },
  {
    what: 'an HTML escape',
    place: 'shared/html.ts (escapeHtml)',
    pattern: /\.replace\([^\n]*(&#\$\{|&amp;|&lt;|&gt;|&quot;)/,
  },
  {
    what: 'an MQTT wildcard matcher (+ and # level by level)',
    place: 'shared/topic-filter.ts (levelsMatch, topicMatches)',
    pattern: /===\s*'#'\)\s*return|!==\s*'\+'\s*&&\s*[\w.]+\[\w+\]\s*!==\s*[\w.]+\[\w+\]/,
    allowed: {
      'broker/policy.ts': 'filterWithin compares two filters (one within the other), not a filter with a topic',
    },
  },
  {
    what: 'a Parsed type',
    place: 'shared/parse-helpers.ts (Parsed, ParsedWithReason)',
    pattern: /\b(type|interface)\s+Parsed\s*[<={]/,
  },
  {
    what: 'what a name that is not a time zone is told',
    place: 'shared/time-zone.ts (timeZoneProblem)',
    pattern: /is not a time zone;/,
  },
  {
    what: 'this machine\'s time zone',
    place: 'shared/time-zone.ts (machineTimeZone)',
    pattern: /resolvedOptions\(\)\.timeZone/,
    allowed: { 'ui/api.ts': 'the browser\'s zone, asked in the reader\'s browser, not the server\'s' },
  },
  {
    what: 'a rounding rule for showing a number',
    place: 'shared/value-format.ts (formatNumber, roundReading)',
    pattern: /Math\.abs\([^)]*\)\s*>=\s*100\b|Math\.round\(.*\*\s*10+\s*\)\s*\/\s*10+\b/,
    allowed: {
      'sensor-node/drivers/types.ts': 'roundPublished: the precision a node publishes, not how a number is shown',
      'bench/storage.ts': 'makes up benchmark readings of one decimal; not how a number is shown',
    },
  },
];

const placeOf = (fact: Fact) => fact.place.split(' ')[0]!;
const CASES = FACTS.map((fact) => [fact.what, fact] as const);

test.each(CASES)('%s is written in one place', (_, fact) => {
  const found = FILES.filter(({ path }) => path !== placeOf(fact) && !fact.allowed?.[path]).flatMap(({ path, lines }) =>
    lines.flatMap((line, i) => (fact.pattern.test(line) ? [`${path}:${i + 1}: ${fact.what}; use ${fact.place}`] : [])),
  );
  expect(found).toEqual([]);
});

// The pattern finds the fact where it is defined (so a check cannot pass by matching nothing), and an
// allowance no longer needed is removed rather than left to hide a copy later.
test.each(CASES)('%s: the check finds its place; no allowance is stale', (_, fact) => {
  const matches = (path: string) =>
    FILES.find((f) => f.path === path)?.lines.some((line) => fact.pattern.test(line)) ?? false;
  expect(`${placeOf(fact)}: ${matches(placeOf(fact)) ? 'found' : 'not found'}`).toBe(`${placeOf(fact)}: found`);
  const stale = Object.entries(fact.allowed ?? {}).filter(([path]) => !matches(path));
  expect(stale.map(([path]) => `${path} no longer holds ${fact.what}: remove it from the allowed files`)).toEqual([]);
});
