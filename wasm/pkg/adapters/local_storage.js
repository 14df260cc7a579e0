// Storage in a browser's localStorage (or anything with its interface). Values are already
// sealed by the core; the adapter only keeps {value, version} per key under a prefix. One
// page's calls never interleave inside an operation, so compare-and-swap is a plain check.
import { firstKeys } from './first_keys.js';

export function localStorageAdapter(store = globalThis.localStorage, { prefix = 'latchkey:' } = {}) {
  const counter = `${prefix}__version`;
  const nextVersion = () => {
    const v = Number(store.getItem(counter) ?? '0') + 1;
    store.setItem(counter, String(v));
    return v;
  };
  const read = (key) => {
    const text = store.getItem(prefix + key);
    if (text === null) return null;
    const r = JSON.parse(text);
    if (typeof r?.value !== 'string' || !Number.isInteger(r?.version)) throw new Error(`the stored value for ${key} is damaged`);
    return r;
  };
  const write = (key, value) => {
    const version = nextVersion();
    store.setItem(prefix + key, JSON.stringify({ value, version }));
    return version;
  };
  return {
    async get(key) { return read(key); },
    async put(key, value) { return write(key, value); },
    async cas(key, value, expected) {
      if ((read(key)?.version ?? 0) !== expected) return null;
      return write(key, value);
    },
    async delete(key, expected = 0) {
      const r = read(key);
      if (!r) return { found: false };
      if (expected && r.version !== expected) return { found: true, conflict: true };
      store.removeItem(prefix + key);
      return { found: true };
    },
    // Only the records listed are read and parsed.
    async list(p, limit = 0) {
      const keys = [];
      for (let i = 0; i < store.length; i++) {
        const k = store.key(i);
        if (k?.startsWith(prefix + p) && k !== counter) keys.push(k.slice(prefix.length));
      }
      return firstKeys(keys, limit).map((key) => ({ key, ...read(key) }));
    },
  };
}
