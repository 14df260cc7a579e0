// Storage in a Map: the reference semantics (versions grow on every write; cas with expected
// version 0 means "only if absent"). Lost when the process ends.
export function memoryStorage() {
  const records = new Map();
  let next = 1;
  return {
    async get(key) {
      const r = records.get(key);
      return r ? { value: r.value, version: r.version } : null;
    },
    async put(key, value) {
      records.set(key, { value, version: next });
      return next++;
    },
    async cas(key, value, expected) {
      if ((records.get(key)?.version ?? 0) !== expected) return null;
      records.set(key, { value, version: next });
      return next++;
    },
    async delete(key, expected = 0) {
      const r = records.get(key);
      if (!r) return { found: false };
      if (expected && r.version !== expected) return { found: true, conflict: true };
      records.delete(key);
      return { found: true };
    },
    // limit: the first `limit` in key order (0 or absent: all).
    async list(prefix, limit = 0) {
      const keys = [...records.keys()].filter((k) => k.startsWith(prefix)).sort();
      return (limit > 0 ? keys.slice(0, limit) : keys).map((key) => ({ key, value: records.get(key).value, version: records.get(key).version }));
    },
  };
}
