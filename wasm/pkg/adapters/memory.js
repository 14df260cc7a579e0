// Storage in a Map: the reference semantics (versions grow on every write; cas with expected
// version 0 means "only if absent"). Lost when the process ends. The keys are also kept sorted,
// so a list with a limit costs a binary search and `limit` records, not a sort of the store:
// the core's sweep of expired sign-ins lists a few index entries on every start.
export function memoryStorage() {
  const records = new Map();
  const sorted = [];  // every key of `records`, in key order
  let next = 1;
  // The first index in `sorted` whose key is not before `key`.
  const lowerBound = (key) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const write = (key, value) => {
    if (!records.has(key)) sorted.splice(lowerBound(key), 0, key);
    records.set(key, { value, version: next });
    return next++;
  };
  return {
    persistent: false, // createBroker needs no masterKey for it: nothing outlives the broker
    async get(key) {
      const r = records.get(key);
      return r ? { value: r.value, version: r.version } : null;
    },
    async put(key, value) { return write(key, value); },
    async cas(key, value, expected) {
      if ((records.get(key)?.version ?? 0) !== expected) return null;
      return write(key, value);
    },
    async delete(key, expected = 0) {
      const r = records.get(key);
      if (!r) return { found: false };
      if (expected && r.version !== expected) return { found: true, conflict: true };
      records.delete(key);
      sorted.splice(lowerBound(key), 1);
      return { found: true };
    },
    // limit: the first `limit` in key order (0 or absent: all).
    async list(prefix, limit = 0) {
      const out = [];
      for (let i = lowerBound(prefix); i < sorted.length && sorted[i].startsWith(prefix); i++) {
        if (limit > 0 && out.length === limit) break;
        const r = records.get(sorted[i]);
        out.push({ key: sorted[i], value: r.value, version: r.version });
      }
      return out;
    },
  };
}
