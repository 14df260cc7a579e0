// latchkey's StorageAdapter on an edge KV binding (the Workers KV shape):
//   kv.get(key) -> string | null;  kv.put(key, string);  kv.delete(key);
//   kv.list({ prefix, limit, cursor }) -> { keys: [{ name }], list_complete, cursor }
//
// Each latchkey key is one KV entry holding JSON {"value": "...", "version": n}. Values are
// already sealed by the core (tokens and secrets are AES-256-GCM ciphertext), so the KV store
// never sees one in clear.
//
// NOT ATOMIC ACROSS ISOLATES. Compare-and-swap is read-compare-write: calls on the same key are
// queued here, so it holds within ONE isolate, but two isolates (or two regions of an eventually
// consistent KV) can both "win" a race. The core uses CAS for its refresh lease, so across
// isolates two refreshes of one token can happen; with refresh-token rotation the loser then
// sees invalid_grant and the connection may need a new sign-in. On Workers use the Durable
// Object adapter instead (@latchkey/wasm/adapters/durable_object.js; worker.mjs uses it when
// LATCHKEY_DO is bound): its compare-and-swap is one transaction in one object, whatever the
// isolate. Elsewhere: any store with a real conditional write (D1/SQLite `UPDATE … WHERE
// version = ?`, PostgreSQL, Deno KV's check) behind this same interface.

import { firstKeys } from '../pkg/adapters/first_keys.js'; // in your project: '@latchkey/wasm/adapters/first_keys.js'

export function kvStorage(kv, { prefix = 'latchkey:' } = {}) {
  if (!kv || typeof kv.get !== 'function') throw new TypeError('kvStorage needs a KV binding (get/put/delete/list)');

  // Per-key queue: the read and the write of one cas never interleave with another call here.
  const queues = new Map();
  function locked(key, fn) {
    const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => {});
    queues.set(key, tail);
    tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
    return run;
  }

  async function read(key) {
    const text = await kv.get(prefix + key);
    if (text === null || text === undefined) return null;
    let r;
    try { r = JSON.parse(text); } catch { r = null; }
    if (typeof r?.value !== 'string' || !Number.isSafeInteger(r?.version)) {
      throw new Error(`the KV entry ${prefix}${key} is not a latchkey record; it was left as it is`);
    }
    return r;
  }

  // Versions must grow on every write of a key, also across a delete and re-create, when the old
  // version is gone: Date.now() × 1000 (room for a thousand writes a millisecond), and in this
  // isolate never less than the last version handed out plus one, because a Worker's clock
  // stands still between I/O (a delete and a re-create would otherwise get the same version).
  // Safe integers until the year 2255.
  let last = 0;
  async function write(key, old, value) {
    last = Math.max(last + 1, Date.now() * 1000, (old?.version ?? 0) + 1);
    const version = last;
    await kv.put(prefix + key, JSON.stringify({ value, version }));
    return version;
  }

  return {
    async get(key) { return read(key); },
    put(key, value) { return locked(key, async () => write(key, await read(key), value)); },
    cas(key, value, expected) {
      return locked(key, async () => {
        const old = await read(key);
        if ((old?.version ?? 0) !== expected) return null;
        return write(key, old, value);
      });
    },
    delete(key, expected = 0) {
      return locked(key, async () => {
        const old = await read(key);
        if (!old) return { found: false };
        if (expected && old.version !== expected) return { found: true, conflict: true };
        await kv.delete(prefix + key);
        return { found: true };
      });
    },
    // KV lists keys in key order, so the pages stop once `limit` names are in, and only those
    // records are read: each read is a KV operation, and a start's sweep must not pay one per
    // sign-in outstanding.
    async list(p, limit = 0) {
      const names = [];
      let cursor;
      do {
        const page = await kv.list({ prefix: prefix + p, cursor, ...(limit > 0 ? { limit: Math.min(limit, 1000) } : {}) });
        for (const k of page.keys) names.push(k.name.slice(prefix.length));
        cursor = page.list_complete === false ? page.cursor : undefined;
      } while (cursor && !(limit > 0 && names.length >= limit));
      const out = [];
      for (const key of firstKeys(names, limit)) {
        const r = await read(key);
        if (r) out.push({ key, value: r.value, version: r.version }); // deleted since the listing
      }
      return out;
    },
  };
}
