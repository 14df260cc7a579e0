// Storage in one JSON file (Node): read once, rewritten atomically (temp file + rename, mode
// 0600) after every change. For one process at a time; use SQLite (the native CLI) or a real
// KV store when several processes share connections.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

import { firstKeys } from './first_keys.js';

export function jsonFileStorage(path) {
  let data;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
    if (!data || typeof data.records !== 'object' || !Number.isInteger(data.next)) throw new Error('unexpected shape');
  } catch (e) {
    if (e.code !== 'ENOENT') throw new Error(`${path} is not a latchkey storage file (${e.message}); move it aside — it was not changed`);
    data = { next: 1, records: {} };
  }
  const save = () => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, path);
  };
  const write = (key, value) => {
    const version = data.next++;
    data.records[key] = { value, version };
    save();
    return version;
  };
  return {
    async get(key) { return data.records[key] ?? null; },
    async put(key, value) { return write(key, value); },
    async cas(key, value, expected) {
      if ((data.records[key]?.version ?? 0) !== expected) return null;
      return write(key, value);
    },
    async delete(key, expected = 0) {
      const r = data.records[key];
      if (!r) return { found: false };
      if (expected && r.version !== expected) return { found: true, conflict: true };
      delete data.records[key];
      save();
      return { found: true };
    },
    async list(prefix, limit = 0) {
      const keys = Object.keys(data.records).filter((k) => k.startsWith(prefix));
      return firstKeys(keys, limit).map((key) => ({ key, ...data.records[key] }));
    },
  };
}
