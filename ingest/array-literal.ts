/**
 * A PostgreSQL array literal ('{"a","b"}') for one column of a batch. Inserting a batch as one
 * literal per column through unnest() is about 1.6× faster than a multi-row VALUES list of the same
 * rows (PostgreSQL parses and plans one expression instead of thousands; see docs/benchmarks.md), and
 * it passes through pglite-socket, which COPY does not (so PGlite always, and real PostgreSQL when a
 * batch holds a reading already stored, go this way; otherwise ingest/copy-write.ts). Pure.
 */
const NEEDS_QUOTES = /^$|^null$|[\s,{}"\\]/i;

export function arrayLiteral(values: ReadonlyArray<string | number>): string {
  const parts = values.map((v) => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`cannot store ${v}`);
      return Object.is(v, -0) ? '-0' : String(v); // String(-0) is '0'; COPY stores -0 as it is
    }
    // Quoting is needed only for what the array parser treats specially; names and ISO times rarely are.
    return NEEDS_QUOTES.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : v;
  });
  return `{${parts.join(',')}}`;
}
