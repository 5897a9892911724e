/** Which series a rule or report is about: `device/sensor/metric` with MQTT-style wildcards. Pure. */

/** device/sensor/metric levels, each a name or `+` (any); `#` last matches the rest. */
export type Selector = readonly string[];

const LEVEL = /^([A-Za-z0-9_-]{1,64}|\+|#)$/;

/** A selector of `levels` levels; a bad one is a problem (and matches nothing useful: all `+`). */
export function parseSelector(raw: unknown, levels: number, help: string, problems: string[], key = 'select'): Selector {
  const parts = typeof raw === 'string' ? raw.split('/') : [];
  const hash = parts.indexOf('#');
  const fits = parts.length > 0 && parts.every((p) => LEVEL.test(p)) && (hash === -1 ? parts.length === levels : hash === parts.length - 1 && parts.length <= levels);
  if (!fits) {
    problems.push(`${key}: must be ${help}, each a name or + (any), # last for the rest (was ${JSON.stringify(raw)?.slice(0, 60)})`);
    return Array(levels).fill('+');
  }
  return parts;
}

/** Whether a selector matches the levels of a series (device, sensor, metric) or of a device. */
export function selects(selector: Selector, levels: readonly string[]): boolean {
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '#') return true;
    if (selector[i] !== '+' && selector[i] !== levels[i]) return false;
  }
  return selector.length === levels.length;
}
