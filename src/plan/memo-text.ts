/** Text made once per frozen object (commands, changes shared by nodes: src/plan/shared.ts). */

/** The text of `o`, made once when `o` is frozen (it cannot change any more), every time otherwise. */
export function memoText<T extends object>(
  cache: WeakMap<T, string>,
  o: T,
  render: (o: T) => string,
): string {
  const known = cache.get(o);
  if (known !== undefined) return known;
  const text = render(o);
  if (Object.isFrozen(o)) cache.set(o, text);
  return text;
}
