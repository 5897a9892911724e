// @engine-independent: opens no database (jest.config.js)
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { renderReference, undocumented, wrap } from '../config/reference.js';
import { schema, SECTIONS, settingsOf } from '../config/schema.js';
import { runCli } from './helpers/cli.js';

const DOC = 'docs/configuration.md';
const REGENERATE = 'run `npm run docs:config` and commit docs/configuration.md';
const rendered = renderReference(SECTIONS);
const written = readFileSync(new URL(`../${DOC}`, import.meta.url), 'utf8');

/** The first line where two texts differ, to say where the file is stale. */
function firstDifference(expected: string, actual: string): string {
  const [want, got] = [expected.split('\n'), actual.split('\n')];
  const line = want.findIndex((text, i) => text !== got[i]);
  const at = line === -1 ? want.length : line;
  return `line ${at + 1}: the schemas render ${JSON.stringify(want[at])}, the file has ${JSON.stringify(got[at])}`;
}

describe('docs/configuration.md', () => {
  test('is what the schemas render now', () => {
    if (written !== rendered) {
      const where = firstDifference(rendered, written);
      throw new Error(`${DOC} differs from what config/*.ts render (${where}): ${REGENERATE}`);
    }
  });

  test('is what `pimonitor config reference` prints, whatever the configuration (the build in dist/)', async () => {
    const { code, output } = await runCli(['config', 'reference'], { MQTT_PORT: '1884', NODE_DEVICE: 'elsewhere' });
    expect(code).toBe(0);
    expect(output).toBe(rendered);
  });

  test('has every setting the loader knows, with its environment variable', () => {
    const settings = loadConfig({ env: {} }).describe();
    expect(settings.length).toBeGreaterThan(0);
    const missing = settings.filter((s) => !rendered.includes(`### \`${s.key}\` (\`${s.env}\`)`)).map((s) => s.key);
    expect(missing).toEqual([]);
    const missingFromFile = settings.filter((s) => !written.includes(`### \`${s.key}\``)).map((s) => s.key);
    if (missingFromFile.length > 0) throw new Error(`${DOC} lacks ${missingFromFile.join(', ')}: ${REGENERATE}`);
  });

  test('its sections are the loader\'s schema, each key once', () => {
    const keys = SECTIONS.flatMap((section) => settingsOf(section.schema).map((s) => s.key));
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(settingsOf(schema).map((s) => s.key).sort());
  });

  test('says what every format allows, keeps secrets out and no line is over 120 characters', () => {
    expect(rendered).not.toMatch(/not described here|the schema gives no format/);
    expect(rendered.split('\n').filter((line) => line.length > 120)).toEqual([]);
    const secrets = settingsOf(schema).filter((s) => s.sensitive);
    expect(secrets.map((s) => s.key)).toContain('mqtt.password');
    for (const secret of secrets) {
      const section = rendered.slice(rendered.indexOf(`### \`${secret.key}\``)).split('\n### ')[0]!;
      expect(section).toContain('- Default: (secret)');
    }
  });

  test('names no default computed on the machine that renders it (the node\'s hostname)', () => {
    const device = rendered.slice(rendered.indexOf('### `node.device`')).split('\n### ')[0]!;
    expect(device).toMatch(/- Default: the hostname/);
  });

  test('every key has a doc and an environment variable', () => {
    expect(undocumented(SECTIONS)).toEqual({ noDoc: [], noEnv: [] });
  });
});

describe('the renderer', () => {
  test('says plainly when a key has no doc or no environment variable', () => {
    const bare = { widget: { size: { format: 'count', default: 3 } } };
    const text = renderReference([{ title: 'Widgets', file: 'config/widget.ts', about: 'A test.', schema: bare }]);
    expect(text).toContain('### `widget.size` (no environment variable)');
    expect(text).toContain('(No description: the schema gives this key no `doc`.)');
    expect(undocumented([{ title: 'W', file: 'f', about: 'a', schema: bare }])).toEqual({
      noDoc: ['widget.size'],
      noEnv: ['widget.size'],
    });
  });

  test('wraps at 120 characters and never opens a line with a list, heading or quote mark', () => {
    const words = Array.from({ length: 400 }, (_, i) => ['+', '-', '1.', '#', '>', 'word', 'x'][i % 7]).join(' ');
    const lines = wrap(words, '- ', '  ');
    expect(lines.every((line) => line.length <= 120)).toBe(true);
    expect(lines.slice(1).filter((line) => /^ {2}([-+*]|\d+\.|#|>) /.test(line))).toEqual([]);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(`- ${words}`);
  });
});
