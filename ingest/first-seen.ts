/**
 * Keys seen before, up to a bound: what is said once per name (a warning, a count) is said once, and
 * a sender inventing names cannot grow the set without end; past the bound nothing more is new.
 */
export class FirstSeen {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** True the first time `key` is added, while there is room. */
  add(key: string): boolean {
    if (this.seen.has(key) || this.seen.size >= this.max) return false;
    this.seen.add(key);
    return true;
  }
}
