/** The value of a configuration parser's result, or a test failure naming every problem. */
export const parse = <T>(p: { ok: true; value: T } | { ok: false; problems: string[] }): T => {
  if (!p.ok) throw new Error(p.problems.join('\n'));
  return p.value;
};
