// @engine-independent: opens no database (jest.config.js)
import fc from 'fast-check';
import { csvCell } from '../shared/csv-cell.js';
import { serializer } from '../storage/export-format.js';
import { FUZZ_SEED, fuzzRuns } from './support/hostile.js';

// Issue 23, item 7: a text cell a spreadsheet would run as a formula is written as text; numbers stay numbers.

/** RFC 4180, one line: what a spreadsheet reads as the cells' text. */
function parseLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') (cell += '"'), (i += 2);
        else if (line[i] === '"') { i++; break; }
        else if (i >= line.length) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
        else cell += line[i++];
      }
    } else {
      while (i < line.length && line[i] !== ',') cell += line[i++];
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    if (line[i] !== ',') throw new Error(`text after a quoted cell in ${JSON.stringify(line)}`);
    i++;
  }
}

test.each([
  ['-A1-B1', 'text', `"'-A1-B1"`],
  ['=HYPERLINK("http://x","y")', 'text', `"'=HYPERLINK(""http://x"",""y"")"`],
  ['+1', 'text', `"'+1"`],
  ['@SUM(A1)', 'text', `"'@SUM(A1)"`],
  ['\tx', 'text', `"'\tx"`],
  ['\rx', 'text', `"'\rx"`],
  ['kitchen', 'text', 'kitchen'],
  ['a,b', 'text', '"a,b"'],
  ['say "hi"', 'text', '"say ""hi"""'],
  ['°C', 'text', '°C'],
  [-3.5, 'number', '-3.5'],
  ['-3.5', 'number', '-3.5'],
  ['12', 'number', '12'],
  ['-1e-7', 'number', '-1e-7'],
  ['-A1', 'number', `"'-A1"`],
  [null, 'number', ''],
  [-Infinity, 'number', `"'-Infinity"`],
  [undefined, 'text', ''],
] as const)('csvCell(%j, %s) is %s', (value, kind, expected) => {
  expect(csvCell(value, kind)).toBe(expected);
});

test('the export serializer (pimonitor export and /api/history.csv): names are text, values are numbers', () => {
  const csv = serializer('csv', 'raw', 'UTC');
  const page = csv.page([
    {
      time: new Date('2026-03-29T08:00:00Z'), device: 'kitchen', sensor: '-A1-B1', metric: 'temperature', unit: '=1+1',
      value: -3.5,
    },
  ]);
  expect(page).toBe(`2026-03-29T08:00:00Z,kitchen,"'-A1-B1",temperature,"'=1+1",-3.5\r\n`);
  const rollup = serializer('csv', '1h', 'UTC').page([
    {
      time: new Date('2026-03-29T08:00:00Z'), device: '+d', sensor: 's', metric: 'm', unit: null, count: 60, avg: -0.25,
      min: -1, max: 0.5,
    },
  ]);
  expect(parseLine(rollup.trimEnd())).toEqual([
    '2026-03-29T08:00:00Z', "'+d", 's', 'm', '', '60', '-0.25', '-1', '0.5',
  ]);
});

test(
  'any text cell reads back as itself, or as itself behind a quote when a spreadsheet would take it for a formula; ' +
    'any number as itself',
  () => {
    const text = fc.oneof(
      fc.string(), fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', 'a', '1', ' ') }),
    );
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }),
        (cells, number) => {
          const line = [...cells.map((c) => csvCell(c, 'text')), csvCell(number, 'number')].join(',');
          const read = parseLine(line);
          expect(read.slice(0, -1)).toEqual(cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
          for (const cell of read.slice(0, -1)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
          expect(Number(read.at(-1)) === number).toBe(true); // -0 is written 0, as before
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(2000) },
    );
  },
);
