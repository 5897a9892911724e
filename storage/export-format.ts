import type { Every, ExportRow } from './export.js';
import { formatInstant } from '../shared/time-zone.js';

export const FORMATS = ['csv', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

const columnsOf = (every: Every) => (every === 'raw' ? ['time', 'device', 'sensor', 'metric', 'unit', 'value'] : ['time', 'device', 'sensor', 'metric', 'unit', 'count', 'avg', 'min', 'max']);

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * How rows become text: a header, each page of rows, and a footer. Times are ISO 8601 in `tz` with
 * their offset, so a spreadsheet and a program read the same instant.
 */
export function serializer(format: Format, every: Every, tz: string) {
  const columns = columnsOf(every);
  const record = (row: ExportRow) => Object.fromEntries(columns.map((c) => [c, c === 'time' ? formatInstant(row.time, tz) : (row as unknown as Record<string, unknown>)[c] ?? null]));
  let first = true;
  switch (format) {
    case 'csv':
      return {
        header: () => `${columns.join(',')}\r\n`,
        page: (rows: readonly ExportRow[]) => rows.map((r) => `${columns.map((c) => csvField(record(r)[c])).join(',')}\r\n`).join(''),
        footer: () => '',
      };
    case 'ndjson':
      return { header: () => '', page: (rows: readonly ExportRow[]) => rows.map((r) => `${JSON.stringify(record(r))}\n`).join(''), footer: () => '' };
    case 'json':
      return {
        header: () => '[',
        page: (rows: readonly ExportRow[]) => rows.map((r) => {
          const text = `${first ? '\n' : ',\n'}${JSON.stringify(record(r))}`;
          first = false;
          return text;
        }).join(''),
        footer: () => (first ? ']\n' : '\n]\n'),
      };
  }
}
