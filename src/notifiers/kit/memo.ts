/**
 * The value under `key` in a delivery's `memo` (shared by the deliveries of one event in this
 * process), made by `make` the first time; without a memo (a manual send), just `make()`. Keys
 * are the notifier's own, prefixed with its kind.
 */
export function memoized<T>(memo: Map<string, unknown> | undefined, key: string, make: () => T): T {
  if (memo === undefined) return make();
  if (memo.has(key)) return memo.get(key) as T;
  const value = make();
  memo.set(key, value);
  return value;
}
