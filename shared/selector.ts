import { NAME_PATTERN } from './contract.js';
import { levelsMatch } from './topic-filter.js';

/** Which series a rule or report is about: `device/sensor/metric` with MQTT-style wildcards. Pure. */

/** device/sensor/metric levels, each a name or `+` (any); `#` last matches the rest. */
export type Selector = readonly string[];

/** A level of a selector: a name (shared/contract.ts), `+` or `#`. */
const LEVEL = new RegExp(`^(${NAME_PATTERN.source.replace(/^\^|\$$/g, '')}|\\+|#)$`);

/** A selector of `levels` levels; a bad one is a problem (and matches nothing useful: all `+`). */
export function parseSelector(
  raw: unknown,
  levels: number,
  help: string,
  problems: string[],
  key = 'select',
): Selector {
  const parts = typeof raw === 'string' ? raw.split('/') : [];
  const hash = parts.indexOf('#');
  const shaped = hash === -1 ? parts.length === levels : hash === parts.length - 1 && parts.length <= levels;
  if (parts.length > 0 && parts.every((p) => LEVEL.test(p)) && shaped) return parts;
  const was = JSON.stringify(raw)?.slice(0, 60);
  problems.push(`${key}: must be ${help}, each a name or + (any), # last for the rest (was ${was})`);
  return Array(levels).fill('+');
}

/** Whether a selector matches the levels of a series (device, sensor, metric) or of a device. */
export function selects(selector: Selector, levels: readonly string[]): boolean {
  return levelsMatch(selector, levels);
}
