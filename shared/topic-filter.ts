/**
 * MQTT filter matching, the one matcher: a topic's levels against a filter's, `+` any one level, `#`
 * (last) the rest, none included (MQTT 4.7.1: sport/# matches sport). Sources match subscriptions with
 * it, custom sources their {placeholder} patterns, and rules and reports their selectors. Pure.
 */

/**
 * Whether `levels` match `filter` level by level. A filter level for which `isWildcard` holds matches
 * any one level (`+` unless the caller has more, such as {device}), and `onWildcard` hears what it
 * matched, in order.
 */
export function levelsMatch(
  filter: readonly string[],
  levels: readonly string[],
  isWildcard: (filterLevel: string) => boolean = (l) => l === '+',
  onWildcard?: (filterLevel: string, level: string) => void,
): boolean {
  for (let i = 0; i < filter.length; i++) {
    const wanted = filter[i]!;
    if (wanted === '#') return true;
    if (i >= levels.length) return false;
    if (isWildcard(wanted)) onWildcard?.(wanted, levels[i]!);
    else if (wanted !== levels[i]) return false;
  }
  return filter.length === levels.length;
}

/** Whether `topic` matches MQTT filter `filter`. */
export function topicMatches(filter: string, topic: string): boolean {
  const wanted = filter.split('/');
  // MQTT-4.7.2-1: filters starting with a wildcard do not match topics starting with $.
  if (topic.startsWith('$') && (wanted[0] === '+' || wanted[0] === '#')) return false;
  return levelsMatch(wanted, topic.split('/'));
}
