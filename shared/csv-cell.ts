/**
 * One CSV cell, for every CSV the project writes (`pimonitor export`, /api/history.csv). Pure.
 *
 * RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. And, after OWASP's CSV
 * injection guidance, a *text* cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be
 * read by a spreadsheet as a formula (a sensor named `-A1-B1`, a topic, a reason): it is written with a
 * leading `'` and quoted, so the spreadsheet shows it as text (issue 23, item 7). A *number* cell is
 * written as the number it is, so a value of -3.5 stays a number; the caller says which cells are numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export type CsvCellKind = 'text' | 'number';

export function csvCell(value: unknown, kind: CsvCellKind = 'text'): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A number column holds numbers (pg may hand a bigint over as a numeric string); anything else in it is text.
  if (kind === 'number') {
    const isNumber = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint';
    if (isNumber || NUMBER.test(text)) return text;
  }
  if (FORMULA_START.test(text)) return `"'${text.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

