// What the adapters that sort in JavaScript answer list(prefix, limit) with: the keys in key order
// (the core's expiry index relies on it), then the first `limit` of them (0 or absent: all). The
// Deno KV and Durable Object adapters list in their store's order instead (UTF-8 bytes: the same
// but for characters beyond U+FFFF against U+E000–U+FFFF; the ordered keys are ASCII).
// `keys` are those under the prefix, in any order; the adapter then reads only what this returns.
export function firstKeys(keys, limit = 0) {
  const sorted = [...keys].sort();
  return limit > 0 ? sorted.slice(0, limit) : sorted;
}
