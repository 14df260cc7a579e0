// What every adapter's list(prefix, limit) answers with, in one place: the keys in key order
// (the core's expiry index relies on it), then the first `limit` of them (0 or absent: all).
// `keys` are those under the prefix, in any order; the adapter then reads only what this returns.
export function firstKeys(keys, limit = 0) {
  const sorted = [...keys].sort();
  return limit > 0 ? sorted.slice(0, limit) : sorted;
}
