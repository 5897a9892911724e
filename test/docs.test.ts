// @engine-independent: opens no database (jest.config.js)
/**
 * The README is a front door and docs/ holds one page per area (issue 31). What the pages promise is
 * checked here: the README stays short and links every page; every local link and anchor lands; every
 * `pimonitor` command shown names a subcommand and options the CLI defines (asked of the built CLI,
 * dist/cli/main.js, through its --help); every `npm run` names a script of package.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { PACKAGE_ROOT } from '../shared/paths.js';
import { anchorsOf, linkTargets, programAndArgs, shellCommands, shellLines } from './support/markdown.js';

const README = 'README.md';
const DOCS = readdirSync(join(PACKAGE_ROOT, 'docs')).filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const PAGES = [README, ...DOCS];
const read = (page: string) => readFileSync(join(PACKAGE_ROOT, page), 'utf8');
const CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');

/** Every command line of the pages' shell blocks, with the page it is on. */
function commandsShown(): { page: string; words: string[] }[] {
  return PAGES.flatMap((page) => shellLines(read(page)).flatMap((line) =>
    shellCommands(line).map((words) => ({ page, words: programAndArgs(words) }))));
}

/** The arguments after the program, when the command runs pimonitor's CLI. */
function pimonitorArgs(words: string[]): string[] | undefined {
  if (words[0] === 'pimonitor') return words.slice(1);
  if (words[0] === 'npx' && words[1] === 'pimonitor') return words.slice(2);
  if (words[0] === 'node' && words[1] === 'dist/cli/main.js') return words.slice(2);
  return undefined;
}

test('README.md is a front door: at most 250 lines', () => {
  expect(read(README).trimEnd().split('\n').length).toBeLessThanOrEqual(250);
});

test('every docs page is linked from README.md', () => {
  const linked = new Set(linkTargets(read(README)).map((target) => target.split('#')[0]));
  expect(DOCS.filter((page) => !linked.has(page))).toEqual([]);
});

test('every local link of README.md and docs/ lands on a file, and its anchor on a heading there', () => {
  const problems: string[] = [];
  for (const page of PAGES) {
    for (const target of linkTargets(read(page))) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path ? normalize(join(dirname(page), decodeURIComponent(path))) : page;
      if (!existsSync(join(PACKAGE_ROOT, file))) {
        problems.push(`${page}: ${target}: no file ${file}`);
      } else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(read(file)).has(anchor)) {
        problems.push(`${page}: ${target}: no heading of ${file} has the anchor #${anchor}`);
      }
    }
  }
  expect(problems).toEqual([]);
});

/** Product code's .ts files and the systemd units: where a message or a comment sends a reader to the docs. */
const POINTING = execFileSync('git', ['ls-files', '*.ts', 'deploy/*'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((path) => path && !path.startsWith('test/'));

// A library's own README ("its README") is not ours.
test('every pointer in the code to a docs page lands, and none names a README section (they live in docs/)', () => {
  const problems = POINTING.flatMap((path) => {
    const text = read(path);
    const pages = [...text.matchAll(/\bdocs\/([\w-]+\.md)\b/g)].map((match) => `docs/${match[1]}`);
    const missing = pages.filter((page) => !existsSync(join(PACKAGE_ROOT, page))).map((page) => `${path}: ${page}`);
    const sections = [...text.matchAll(/(?<!its )README[,:]? "([^"]+)"/g)]
      .map((match) => `${path}: README "${match[1]}"`);
    return [...missing, ...sections];
  });
  expect(problems).toEqual([]);
});

test('every `npm run` shown names a script of package.json', () => {
  const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);
  const problems = commandsShown()
    .filter(({ words }) => words[0] === 'npm' && words[1] === 'run' && !scripts.includes(words[2] ?? ''))
    .map(({ page, words }) => `${page}: ${words.join(' ')}`);
  expect(problems).toEqual([]);
});

/** What `pimonitor <path> --help` says: subcommands, options (and whether each takes a value), usage. */
interface Help {
  commands: Set<string>;
  options: Map<string, boolean>;
  /** The positional arguments the usage line declares, Infinity for a variadic one. */
  operands: number;
}

/** At most three CLIs at once: on a busy machine each takes a second or two to start. */
let running = 0;
const waiting: (() => void)[] = [];

async function run(args: string[]): Promise<string> {
  if (running >= 3) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    const answer = await new Promise<string>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: PACKAGE_ROOT, timeout: 60_000 }, (_error, stdout, stderr) =>
        resolve(`${stdout}${stderr}`));
    });
    if (!answer.includes('Usage: pimonitor')) throw new Error(`pimonitor ${args.join(' ')} gave no usage: ${answer}`);
    return answer;
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function parseHelp(text: string): Help {
  const section = (name: string) => text.split(`\n${name}:\n`)[1]?.split('\n\n')[0]?.split('\n') ?? [];
  const commands = new Set(section('Commands').map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help'));
  const options = new Map<string, boolean>();
  for (const line of section('Options')) {
    const option = /^ {2}(?:(-\w), )?(--[\w-]+)( <)?/.exec(line);
    if (!option) continue;
    if (option[1]) options.set(option[1], option[3] !== undefined);
    options.set(option[2]!, option[3] !== undefined);
  }
  const usage = (/^Usage: .*$/m.exec(text)?.[0] ?? '').split(' ').filter((word) => /^[<[]/.test(word)
    && word !== '[options]' && word !== '[command]');
  return { commands, options, operands: usage.some((word) => word.includes('...')) ? Infinity : usage.length };
}

const helps = new Map<string, Promise<Help>>();
const helpOf = (path: string[]) => {
  const key = path.join(' ');
  if (!helps.has(key)) helps.set(key, run([...path, '--help']).then(parseHelp));
  return helps.get(key)!;
};

/** The subcommand a command with subcommands runs when given none: commander names it in its usage line. */
const defaults = new Map<string, Promise<string[]>>();
function defaultOf(path: string[]): Promise<string[]> {
  const key = path.join(' ');
  if (!defaults.has(key)) {
    defaults.set(key, run([...path, '--docs-probe-unknown-option']).then((answer) =>
      /^Usage: pimonitor ((?:[\w-]+ )*)\[options\]/m.exec(answer)?.[1]?.trim().split(' ').filter(Boolean) ?? []));
  }
  return defaults.get(key)!;
}

/** What is wrong with `pimonitor <args>`, if anything. */
async function checkCommand(args: string[]): Promise<string | undefined> {
  let path: string[] = [];
  let help = await helpOf(path);
  let i = 0;
  while (help.commands.size > 0) {
    if (args[i] !== undefined && help.commands.has(args[i]!)) {
      path = [...path, args[i++]!];
    } else {
      // Not one of its subcommands: its default subcommand, else the command itself (`config` has both).
      const fallback = await defaultOf(path);
      if (fallback.length <= path.length) break;
      path = fallback;
    }
    help = await helpOf(path);
  }
  const command = ['pimonitor', ...path].join(' ');
  let operands = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') {
      if (++operands > help.operands) return `${command} takes no argument "${arg}", nor is it a subcommand`;
      continue;
    }
    const name = arg.split('=')[0]!;
    if (!help.options.has(name)) return `${command} has no option ${name}`;
    if (help.options.get(name) && !arg.includes('=')) i++;
  }
  return undefined;
}

test('every pimonitor command shown names a subcommand and options the CLI defines', async () => {
  expect({ built: existsSync(CLI), hint: 'npx tsc -p tsconfig.build.json' }).toMatchObject({ built: true });
  const shown = commandsShown().flatMap(({ page, words }) => {
    const args = pimonitorArgs(words);
    return args ? [{ page, args }] : [];
  });
  expect(shown.length).toBeGreaterThan(50);
  const problems = await Promise.all(shown.map(async ({ page, args }) => {
    const problem = await checkCommand(args);
    return problem && `${page}: pimonitor ${args.join(' ')}: ${problem}`;
  }));
  expect(problems.filter(Boolean)).toEqual([]);
}, 120_000);
