/**
 * Retention tiers must nest: each tier is kept at least as long as the finer one it is built from
 * (0 is forever). A late reading rebuilds its 5-minute bucket from raw, and then its hour and its day
 * from the 5-minute rollups; if those were kept less long, the hour and day are rebuilt from the few
 * buckets left (an hour of 60 readings became one of 6). Pure.
 */

/** The days each tier keeps (0: forever), as the storage settings give them. */
export interface TierDays {
  retentionRawDays: number;
  retention5mDays: number;
  retention1hDays: number;
  retention1dDays: number;
}
type TierKey = keyof TierDays;

const WHAT: Record<TierKey, string> = {
  retentionRawDays: 'raw readings',
  retention5mDays: '5-minute rollups',
  retention1hDays: 'hourly rollups',
  retention1dDays: 'daily rollups',
};

/** Each tier and the finer one it is built from (sql/005_rollups.sql: hours and days merge 5-minute buckets). */
export const BUILT_FROM: readonly { tier: TierKey; from: TierKey; lost: string }[] = [
  {
    tier: 'retention5mDays',
    from: 'retentionRawDays',
    lost: 'a late reading for a month whose 5-minute rollups are gone would rebuild its hour and day from that '
      + 'reading alone',
  },
  {
    tier: 'retention1hDays',
    from: 'retention5mDays',
    lost: 'an hour whose 5-minute rollups are still kept could no longer be charted or reported by the hour',
  },
  {
    tier: 'retention1dDays',
    from: 'retention5mDays',
    lost: 'a day whose 5-minute rollups are still kept could no longer be charted or reported by the day',
  },
];

/** How long `days` keeps, in words. */
export const keptFor = (days: number): string => (days === 0 ? 'forever' : `${days} days`);

/** Days as an ordering where 0 (forever) is longest. */
const span = (days: number): number => (days === 0 ? Infinity : days);

/**
 * One problem per tier kept less long than the tier it is built from, naming both settings (with
 * where their values came from) and the value that would do. `named` turns a setting name such as
 * storage.retentionRawDays into how it is shown; `envOf` gives its variable. Never throws.
 */
export function tierProblems(days: TierDays, named: (key: string) => string, envOf: (key: string) => string): string[] {
  return BUILT_FROM.flatMap(({ tier, from, lost }) => {
    const mine = days[tier];
    const finer = days[from];
    if (!(span(mine) < span(finer))) return [];
    const enough = finer === 0 ? '0 (forever)' : `${finer} or more, or 0 (forever)`;
    const shortfall = `${named(`storage.${tier}`)}: keeps ${WHAT[tier]} ${keptFor(mine)}, less long than `
      + `${named(`storage.${from}`)} keeps the ${WHAT[from]} they are built from (${keptFor(finer)})`;
    return [`${shortfall}: ${lost}; set ${envOf(`storage.${tier}`)} to ${enough}`];
  });
}
