import type { PLACEHOLDERS } from './rules.js';

export type MessageValues = Partial<Record<(typeof PLACEHOLDERS)[number], string>>;

/** Fills {{name}} placeholders; a placeholder without a value is left empty. Pure. */
export function renderMessage(template: string, values: MessageValues): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => values[name as keyof MessageValues] ?? '');
}

/** A unit as it follows a number: " °C", " %", "" when unknown. */
export function formatUnit(unit: string | null | undefined): string {
  return unit ? ` ${unit}` : '';
}
