// @engine-independent: opens no database (jest.config.js)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../shared/paths.js';

/**
 * The shape every source file keeps (issue 31): SQL only in sql/ files, no file over 300 lines, no line
 * over 120 characters. Read as text from the files git tracks, so a new file is held to it at once.
 */

const MAX_FILE_LINES = 300;
const MAX_LINE_CHARS = 120;

const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: PACKAGE_ROOT,
  encoding: 'utf8',
})
  .split('\0')
  .filter((path) => /\.(ts|mts|mjs|js)$/.test(path) && !path.startsWith('dist/') && !path.includes('node_modules/'));

const textOf = (path: string): string => {
  try {
    return readFileSync(`${PACKAGE_ROOT}/${path}`, 'utf8');
  } catch {
    return ''; // listed by git, deleted in the working tree
  }
};

/** Comments removed, so a comment naming a statement ("the SELECT in sql/...") is not taken for one. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The start of an SQL statement, in capitals, as every statement of ours is written. */
const STATEMENT = new RegExp(
  [
    /SELECT\s+[\w*(]/.source,
    /INSERT\s+INTO/.source,
    /UPDATE\s+\w+\s+SET/.source,
    /DELETE\s+FROM/.source,
    /(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW|FUNCTION|SCHEMA|ROLE|DATABASE|EXTENSION)/.source,
    /TRUNCATE\s+\w/.source,
    /COPY\s+\w+.*\bFROM\s+STDIN/.source,
    /(BEGIN|COMMIT|ROLLBACK)\b\s*['"`;]/.source,
  ]
    .map((part) => `\\b(${part})`)
    .join('|'),
);

/** Test code may ask the database what it holds, as an operator would; product code keeps its SQL in sql/. */
const product = tracked.filter((path) => !path.startsWith('test/'));

test('no SQL written inside product code: every statement is a file under sql/, loaded by sqlFile', () => {
  const found = product.flatMap((path) =>
    withoutComments(textOf(path))
      .split('\n')
      .flatMap((line, index) => (STATEMENT.test(line) ? [`${path}:${index + 1}: ${line.trim().slice(0, 100)}`] : [])),
  );
  expect(found).toEqual([]);
});

test(`no file over ${MAX_FILE_LINES} lines: a longer one is doing two jobs`, () => {
  const long = tracked.flatMap((path) => {
    const lines = textOf(path).split('\n').length - 1;
    return lines > MAX_FILE_LINES ? [`${path}: ${lines} lines`] : [];
  });
  expect(long).toEqual([]);
});

test(`no line over ${MAX_LINE_CHARS} characters`, () => {
  const wide = tracked.flatMap((path) =>
    textOf(path)
      .split('\n')
      .flatMap((line, index) => ([...line].length > MAX_LINE_CHARS ? [`${path}:${index + 1}`] : [])),
  );
  expect(wide).toEqual([]);
});
