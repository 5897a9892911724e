/**
 * What Grafana's PostgreSQL data source does to a panel's SQL before sending it, for the macros and
 * variables pimonitor's dashboards use (grafana/grafana pkg/tsdb/grafana-postgresql-datasource/macros.go;
 * template variables: docs "Variable syntax", a multi-value variable becomes a quoted, comma-separated
 * list). So a test can run every panel's query against the real schema.
 */
export interface Expansion {
  from: Date;
  to: Date;
  /** The panel's interval: 1m, 2h, 1d. */
  interval: string;
  variables: Record<string, string[]>;
}

const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
export function intervalSeconds(interval: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(interval.trim().replace(/^'|'$/g, ''));
  if (!m) throw new Error(`not an interval: ${interval}`);
  return Number(m[1]) * UNIT_S[m[2]!]!;
}

export function expandGrafanaSql(sql: string, e: Expansion): string {
  const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
  let out = sql
    .replaceAll('$__interval_ms', String(intervalSeconds(e.interval) * 1000))
    .replaceAll('$__interval', e.interval);
  for (const [name, values] of Object.entries(e.variables))
    out = out.replace(new RegExp(`\\$\\{?${name}\\}?(?![A-Za-z0-9_])`, 'g'), values.map(quote).join(','));
  out = out
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_m, col: string) => `${col.trim()} BETWEEN '${e.from.toISOString()}' AND '${e.to.toISOString()}'`,
    )
    .replace(/\$__timeGroupAlias\(([^,]+),\s*([^)]+)\)/g, (_m, col: string, iv: string) => {
      const s = intervalSeconds(iv);
      return `floor(extract(epoch from ${col.trim()})/${s})*${s} AS "time"`;
    })
    .replace(/\$__timeGroup\(([^,]+),\s*([^)]+)\)/g, (_m, col: string, iv: string) => {
      const s = intervalSeconds(iv);
      return `floor(extract(epoch from ${col.trim()})/${s})*${s}`;
    })
    .replaceAll('$__timeFrom()', `'${e.from.toISOString()}'`)
    .replaceAll('$__timeTo()', `'${e.to.toISOString()}'`);
  if (/\$__|\$\{?[A-Za-z]/.test(out)) throw new Error(`unexpanded macro or variable left in: ${out}`);
  return out;
}
