import { BOUNDED_FORMATS, bound, boundsOf, isBoundedFormat } from './bounds.js';
import { NAMED_FORMATS } from './formats.js';
import { settingsOf, type SchemaSection, type SchemaSetting } from './schema.js';

/**
 * The configuration reference (docs/configuration.md), rendered from the schemas alone: pure, schema objects in,
 * Markdown out, so the document cannot say what the code does not do. `pimonitor config reference` prints it;
 * `npm run docs:config` writes it; test/config-reference.test.ts fails when the file is not what this renders.
 */

/** Keys whose schema gives no `doc` or no `env`: the reference says so plainly, and these list them. */
export function undocumented(sections: readonly SchemaSection[]): { noDoc: string[]; noEnv: string[] } {
  const settings = sections.flatMap((section) => settingsOf(section.schema));
  return {
    noDoc: settings.filter((s) => s.doc === undefined).map((s) => s.key),
    noEnv: settings.filter((s) => s.env === undefined).map((s) => s.key),
  };
}

const LINE_WIDTH = 120;

/** A word that would open a list item, heading, quote or underline if a line began with it. */
const BLOCK_MARK = /^([-+*=]+|#{1,6}|\d{1,9}[.)]|>.*)$/;

/**
 * Words filled into lines of at most LINE_WIDTH characters, the first opening with `first`, the rest with `rest`.
 * No line but the first begins with a BLOCK_MARK word: the words before it move down with it.
 */
export function wrap(text: string, first = '', rest = first): string[] {
  const lines: string[][] = [[]];
  const width = (words: string[], index: number) => (index === 0 ? first : rest).length + words.join(' ').length;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const line = lines.at(-1)!;
    if (line.length === 0 || width([...line, word], lines.length - 1) <= LINE_WIDTH) {
      line.push(word);
    } else {
      const carried = [word];
      while (BLOCK_MARK.test(carried[0]!) && line.length > 1) carried.unshift(line.pop()!);
      lines.push(carried);
    }
  }
  return lines.map((words, index) => (index === 0 ? first : rest) + words.join(' '));
}

/** Markdown of a doc text: a `<` that would open an HTML tag (home/<device>) is escaped, outside code spans. */
function markdownOf(text: string): string {
  return text.split('`').map((part, i) => (i % 2 === 0 ? part.replace(/<(?=[A-Za-z/!?])/g, '\\<') : part)).join('`');
}

const code = (value: unknown) => `\`${JSON.stringify(value)}\``;

function defaultText(setting: SchemaSetting): string {
  if (setting.sensitive) return '(secret)';
  if (setting.defaultText !== undefined) return setting.defaultText;
  const { format, default: value } = setting;
  if (isBoundedFormat(format) && typeof value === 'number') {
    // bound() opens with the number: it becomes code, its unit and size in words follow (`60000` ms (1 min)).
    return `\`${value}\`${bound(format, value).slice(String(value).length)}`;
  }
  return value === '' ? '`""` (empty)' : code(value);
}

/** What a setting accepts, then why not less or more where its schema says. */
function allowedText(setting: SchemaSetting): string[] {
  const { format } = setting;
  if (isBoundedFormat(format)) {
    const bounds = boundsOf(format, setting);
    const also = bounds.or ? `, or ${bounds.or.value} ${bounds.or.means}` : '';
    return [
      `${BOUNDED_FORMATS[format].noun}, ${bound(format, bounds.min)} to ${bound(format, bounds.max)}${also}.`,
      ...(bounds.belowMin ? [`Why not less: ${markdownOf(bounds.belowMin)}.`] : []),
      ...(bounds.aboveMax ? [`Why not more: ${markdownOf(bounds.aboveMax)}.`] : []),
    ];
  }
  if (Array.isArray(format)) return [`one of ${format.map((value) => code(value)).join(', ')}.`];
  if (format === String) return ['text.'];
  if (format === Boolean) return ['`true` or `false`.'];
  if (format === Number) return ['a number.'];
  if (typeof format === 'string') {
    const accepts = NAMED_FORMATS.find((named) => named.name === format)?.accepts;
    return [`${accepts ?? `format \`${format}\` (not described here)`}.`];
  }
  if (typeof format === 'function') return ['text, checked at start (see above).'];
  return ['anything (the schema gives no format).'];
}

const NO_DOC = '(No description: the schema gives this key no `doc`.)';

function renderSetting(setting: SchemaSetting): string[] {
  const env = setting.env ? `\`${setting.env}\`` : 'no environment variable';
  return [
    `### \`${setting.key}\` (${env})`,
    '',
    ...wrap(setting.doc === undefined ? NO_DOC : markdownOf(setting.doc)),
    '',
    ...wrap(`Default: ${defaultText(setting)}`, '- ', '  '),
    ...allowedText(setting).flatMap((text, i) => wrap(i === 0 ? `Allowed: ${text}` : text, '- ', '  ')),
    ...(setting.env ? [] : wrap('Environment variable: none; set it in the configuration file.', '- ', '  ')),
    '',
  ];
}

function renderSection(section: SchemaSection): string[] {
  const keys = Object.entries(section.schema)
    .map(([name, spec]) => (spec !== null && typeof spec === 'object' && 'default' in spec ? name : `${name}.*`));
  return [
    `## ${section.title}`,
    '',
    ...wrap(`${section.about} Keys: ${keys.map((key) => `\`${key}\``).join(', ')}; schema: \`${section.file}\`.`),
    '',
    ...settingsOf(section.schema).flatMap(renderSetting),
  ];
}

/** The hand-written part: how files, variables and flags combine (config/index.ts, cli/main.ts). */
const INTRO = [
  '# Configuration reference',
  '',
  '<!-- Generated from config/*.ts by `npm run docs:config` (pimonitor config reference): do not edit by hand. -->',
  '',
  ...wrap('Every process reads the same settings. Each has a key for the configuration file and an environment '
    + 'variable; its value is the last of these that gives one:'),
  '',
  '1. its default (below);',
  '2. a JSON file given with `--config FILE` (`-c`), which every command takes;',
  ...wrap('3. its environment variable. The few command-line flags that set a value (`pimonitor web --port`, '
    + '`pimonitor node --device`, `--interval-ms`, `--simulate`, `pimonitor broker --cluster`) count as environment '
    + 'variables and win over them.', '', '   '),
  '',
  ...wrap('The file is one JSON object with keys nested as in the setting names, e.g. '
    + '`{"broker": {"port": 1884}, "ingest": {"flushIntervalMs": 100}}`. Validation is strict: a key that is not a '
    + 'setting is an error, so a typo is caught. A list or object setting (`alerts.rules`, `node.sensors`, '
    + '`ingest.metricRanges`...) is JSON text in its environment variable and JSON in the file.'),
  '',
  ...wrap('Every problem is reported at once when a command starts, each naming the key, where its value came from '
    + '(default, file or environment) and what is allowed; the command then exits with status 2. Besides each '
    + 'setting\'s own range, a few combinations are refused: two listeners on one port, a TLS listener without '
    + 'its certificate and key (or requiring client certificates without a CA), a database pool larger than the '
    + 'embedded database\'s connections, a rollup tier '
    + 'kept less long than the one it is built from, and broker topic limits below what `ingest.sources` subscribes '
    + 'to.'),
  '',
  ...wrap('`pimonitor config` prints the effective configuration with secrets redacted; `pimonitor config --explain` '
    + 'adds each setting\'s source, environment variable and meaning. Secrets are shown below as "(secret)".'),
  '',
];

/** docs/configuration.md: the intro, then a section per schema and a paragraph per setting. */
export function renderReference(sections: readonly SchemaSection[]): string {
  const lines = [...INTRO, ...sections.flatMap(renderSection)];
  while (lines.at(-1) === '') lines.pop();
  return `${lines.join('\n')}\n`;
}
