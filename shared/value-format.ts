/**
 * Numbers as pimonitor shows them: the one rounding rule for each kind of number, used by alert words
 * and notifications, reports and the dashboard (bundled from here: this module imports nothing).
 *
 *   reading  a measured value as people read it: one decimal, none from 100 up, never "-0.0"
 *            (21.25 → "21.3", 1013.2 → "1013", -0.04 → "0.0")
 *   setting  a number someone configured, such as an alert's threshold: as written, at most two
 *            decimals, no float noise (30 → "30", 21.300000000000001 → "21.3")
 *   machine  a value for another program (webhook annotations): at most three decimals
 */

export type NumberStyle = 'reading' | 'setting' | 'machine';

const MAX_DECIMALS: Record<Exclude<NumberStyle, 'reading'>, number> = { setting: 2, machine: 3 };

export function formatNumber(value: number, style: NumberStyle = 'reading'): string {
  if (style === 'reading') return value.toFixed(Math.abs(value) >= 100 ? 0 : 1).replace(/^-0(\.0)?$/, '0$1');
  const scale = 10 ** MAX_DECIMALS[style];
  return Number.isInteger(value) ? String(value) : String(Math.round(value * scale) / scale);
}

/** The number a reading shows as (formatNumber's 'reading'), for its sign or whether it shows as 0. */
export const roundReading = (value: number): number => Number(formatNumber(value, 'reading'));
