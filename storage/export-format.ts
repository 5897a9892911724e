import type { Every, ExportRow } from './export.js';
import { csvCell, type CsvCellKind } from '../shared/csv-cell.js';
import { formatInstant } from '../shared/time-zone.js';

export const FORMATS = ['csv', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

const columnsOf = (every: Every) => (every === 'raw'
  ? ['time', 'device', 'sensor', 'metric', 'unit', 'value']
  : ['time', 'device', 'sensor', 'metric', 'unit', 'count', 'avg', 'min', 'max']);

/**
 * Columns that hold numbers, written as numbers; every other is text, made safe for a spreadsheet
 * (shared/csv-cell.ts).
 */
const NUMBER_COLUMNS = new Set(['value', 'count', 'avg', 'min', 'max']);
const kindOf = (column: string): CsvCellKind => (NUMBER_COLUMNS.has(column) ? 'number' : 'text');

/**
 * How rows become text: a header, each page of rows, and a footer. Times are ISO 8601 in `tz` with
 * their offset, so a spreadsheet and a program read the same instant.
 */
export function serializer(format: Format, every: Every, tz: string) {
  const columns = columnsOf(every);
  const valueOf = (row: ExportRow, column: string) => (column === 'time'
    ? formatInstant(row.time, tz)
    : (row as unknown as Record<string, unknown>)[column] ?? null);
  const record = (row: ExportRow) => Object.fromEntries(columns.map((column) => [column, valueOf(row, column)]));
  let first = true;
  switch (format) {
    case 'csv':
      return {
        header: () => `${columns.join(',')}\r\n`,
        page: (rows: readonly ExportRow[]) => rows.map((row) => {
          const cells = record(row);
          return `${columns.map((column) => csvCell(cells[column], kindOf(column))).join(',')}\r\n`;
        }).join(''),
        footer: () => '',
      };
    case 'ndjson':
      return {
        header: () => '',
        page: (rows: readonly ExportRow[]) => rows.map((row) => `${JSON.stringify(record(row))}\n`).join(''),
        footer: () => '',
      };
    case 'json':
      return {
        header: () => '[',
        page: (rows: readonly ExportRow[]) => rows.map((row) => {
          const text = `${first ? '\n' : ',\n'}${JSON.stringify(record(row))}`;
          first = false;
          return text;
        }).join(''),
        footer: () => (first ? ']\n' : '\n]\n'),
      };
  }
}
