import { parseDuration } from './duration.js';

/** Shared by the rule and route parsers: pure, problems collected rather than thrown. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** A Parsed whose problems are said as one text, `reason` (the command line's: one problem a line). */
export type ParsedWithReason<T> = Extract<Parsed<T>, { ok: true }> | { ok: false; reason: string };

/**
 * A configuration list of named items (`alerts.rules`, `alerts.routes`): each item's problems prefixed
 * with its number and name (`rule 2 ("attic-hot"): …`), names unique, absent meaning none.
 */
export function parseNamedList<T extends { name: string }>(
  raw: unknown,
  setting: string,
  noun: string,
  parseItem: (item: unknown, problems: string[]) => T | null,
): Parsed<T[]> {
  if (raw === undefined || raw === null) return { ok: true, value: [] };
  if (!Array.isArray(raw)) return { ok: false, problems: [`${setting}: must be a list of ${noun}s`] };
  const problems: string[] = [];
  const items: T[] = [];
  raw.forEach((item, i) => {
    const name =
      item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string'
        ? ` (${JSON.stringify((item as { name: string }).name).slice(0, 70)})`
        : '';
    const label = `${noun} ${i + 1}${name}`;
    const own: string[] = [];
    const parsed = parseItem(item, own);
    problems.push(...own.map((p) => `${label}: ${p}`));
    if (parsed && own.length === 0) {
      if (items.some((x) => x.name === parsed.name))
        problems.push(`${label}: name: another ${noun} is called ${parsed.name}; names must be unique`);
      items.push(parsed);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: items };
}

/** The duration at `key` of an item, `fallback` when absent; a bad one is a problem named by its key. */
export function durationField<F extends number | undefined>(
  item: Record<string, unknown>,
  key: string,
  fallback: F,
  problems: string[],
): number | F {
  if (item[key] === undefined) return fallback;
  const d = parseDuration(item[key]);
  if (!d.ok) problems.push(`${key}: ${d.reason}`);
  return d.ok ? d.ms : fallback;
}
