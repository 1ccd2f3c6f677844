/**
 * `compute`, remembered by key for the last `held` keys at most (all are forgotten at once when
 * full: the keys worth remembering come back at once). For pure functions of few distinct keys
 * on a hot path, whose results are never changed by their callers.
 *
 * @example
 *   const fieldKey = memoized((name: string) => name.trim().toLowerCase());
 */
export function memoized<V>(compute: (key: string) => V, held = 4096): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    if (known.has(key)) return known.get(key) as V;
    const value = compute(key);
    if (known.size >= held) known.clear();
    known.set(key, value);
    return value;
  };
}
