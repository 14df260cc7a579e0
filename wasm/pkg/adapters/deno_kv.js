// Storage in Deno KV (a local file with Deno.openKv(path), or Deno Deploy's KV): compare-and-swap
// is a real conditional write, kv.atomic().check({ key, versionstamp }), so several processes or
// isolates on one KV share connections and the refresh lease holds across them.
//
// Layout under `prefix`:
//   [...prefix, 'records', key]  { value, version }: the latchkey key is one string part, so a
//                                list prefix that ends inside a part ('conn/def') is a key range
//   [...prefix, 'floor']         a Deno.KvU64: at least every version ever deleted here
//
// latchkey versions are numbers; KV versionstamps are 80-bit strings, so each record carries its
// own version and every write checks the versionstamp read with it. An update takes the old
// version + 1 and touches only its own key. A create must outnumber every earlier life of the key
// (a stale cas from before a delete must fail), so deletes raise the floor to the version they
// remove, and creates take floor + 1 and check that the floor has not moved (a create and a
// delete of the key in between would otherwise hand out its last version again). A create may
// then conflict with a delete of another key; the loop below retries it.
//
// Key order is KV's: strings by UTF-8 bytes (as SQLite's), which differs from JavaScript's
// string order only between U+E000–U+FFFF and characters beyond U+FFFF; latchkey's
// ordered keys (the expiry index) are ASCII.

// Deno KV refuses values over 64 KiB (the V8-serialized record).
const MAX_VALUE_BYTES = 65536;
// A write that meets a concurrent one is tried again, re-reading first, so it answers for the
// state it sees then; after a few, with a short random wait, so that writers drift apart.
const MAX_ATTEMPTS = 50;
// A local KV file is SQLite: a second process (or handle) writing at that moment makes a read
// or a commit fail with "database is locked" (SQLITE_BUSY, nothing written), a wait and a retry
// away from succeeding.
const LOCKED = /database is locked|SQLITE_BUSY/i;
const pause = (attempt) => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 * attempt, 40)));

async function unlocked(fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!LOCKED.test(e?.message) || attempt === MAX_ATTEMPTS) throw e;
      await pause(attempt);
    }
  }
}

export function denoKvStorage(kv, { prefix = ['latchkey'] } = {}) {
  if (!kv || typeof kv.atomic !== 'function') {
    throw new TypeError('denoKvStorage needs a Deno.Kv: denoKvStorage(await Deno.openKv(path))');
  }
  const records = [...prefix, 'records'];
  const floorKey = [...prefix, 'floor'];
  const recordKey = (key) => [...records, key];

  const record = (key, entry) => {
    const r = entry.value;
    if (r === null) return null;
    if (typeof r?.value !== 'string' || !Number.isSafeInteger(r?.version)) {
      throw new Error(`the Deno KV entry ${JSON.stringify(entry.key)} is not a latchkey record; it was left as it is`);
    }
    return r;
  };

  // Reads the key's entry (and the floor, in the same snapshot), asks `decide` what to do, and
  // commits that only if neither changed since; `decide` returns { done } to answer without a
  // write, or { result, mutate(op) } to write and then answer `result`.
  async function update(key, decide) {
    for (let attempt = 1; ; attempt++) {
      const [entry, floor] = await unlocked(() => kv.getMany([recordKey(key), floorKey]));
      const old = record(key, entry);
      const step = decide(old, Number(floor.value?.value ?? 0n));
      if ('done' in step) return step.done;
      let ok = false;
      try {
        const op = kv.atomic().check(entry);
        if (!old) op.check(floor);
        step.mutate(op);
        ok = (await op.commit()).ok;
      } catch (e) {
        if (/value too large/i.test(e?.message)) {
          throw new Error(`the record ${key} is too large for Deno KV (at most ${MAX_VALUE_BYTES} bytes a value); use a store without that limit for it`);
        }
        if (!LOCKED.test(e?.message)) throw e;
      }
      if (ok) return step.result;
      if (attempt === MAX_ATTEMPTS) {
        throw new Error(`Deno KV: ${MAX_ATTEMPTS} writes of ${key} in a row met a concurrent write; try again`);
      }
      if (attempt > 2) await pause(attempt);
    }
  }

  // The keys starting with `p` are one contiguous range from [..., p] on, so the listing stops
  // at the first key past it, or once `limit` records are in.
  async function listOnce(p, limit) {
    const out = [];
    const entries = kv.list({ prefix: records, start: recordKey(p) }, limit > 0 ? { batchSize: Math.min(limit, 1000) } : {});
    for await (const entry of entries) {
      const key = entry.key[records.length];
      if (!key.startsWith(p)) break;
      const r = record(key, entry);
      out.push({ key, value: r.value, version: r.version });
      if (limit > 0 && out.length === limit) break;
    }
    return out;
  }

  const write = (key, value, old, floor) => {
    const version = old ? old.version + 1 : floor + 1;
    return { result: version, mutate(op) { op.set(recordKey(key), { value, version }); } };
  };

  return {
    async get(key) {
      const r = record(key, await unlocked(() => kv.get(recordKey(key))));
      return r && { value: r.value, version: r.version };
    },
    put(key, value) { return update(key, (old, floor) => write(key, value, old, floor)); },
    cas(key, value, expected) {
      return update(key, (old, floor) => ((old?.version ?? 0) !== expected ? { done: null } : write(key, value, old, floor)));
    },
    delete(key, expected = 0) {
      return update(key, (old) => {
        if (!old) return { done: { found: false } };
        if (expected && old.version !== expected) return { done: { found: true, conflict: true } };
        return {
          result: { found: true },
          mutate(op) { op.delete(recordKey(key)).max(floorKey, BigInt(old.version)); },
        };
      });
    },
    list(p, limit = 0) { return unlocked(() => listOnce(p, limit)); },
  };
}
