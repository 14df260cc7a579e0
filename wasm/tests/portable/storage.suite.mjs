// One conformance suite for every StorageAdapter, run on each adapter the runtime has: the
// semantics of memoryStorage (the reference) that the core relies on — versions that only grow,
// compare-and-swap, conditional delete, list in key order with a limit.
//
//   export default ({ pkg, ctx })      the suite for driver.mjs: every adapter found here (below)
//   storageConformance(t, name, make, options)
//                                      adds the tests of one adapter to a harness suite `t`; a
//                                      Worker runs it on its own adapter (a Durable Object) with
//                                      `make` returning a fresh, empty storage for each test
//
// Nothing here imports a Node built-in: it also runs in workerd. The JSON file adapter (which
// uses node:fs) is imported only where there is a file system.
import { kvStorage } from '../../edge/kv_storage.mjs';
import { createSuite } from './harness.mjs';
import { check, equal, storageShim } from './support.mjs';

/// Adds adapter `name`'s conformance tests to suite `t`. `make()`: a fresh storage (or a promise
/// of one) with nothing in it. Options:
///   dispose(storage)  called after each test (close handles, remove what the test wrote)
///   pair()            two storages over ONE store (two handles, connections or objects): the
///                     compare-and-swap race is then also run across them
export function storageConformance(t, name, make, { dispose, pair } = {}) {
  const test = (what, fn) => t.test(`${name}: ${what}`, async () => {
    const storage = await make();
    try {
      await fn(storage);
    } finally {
      await dispose?.(storage);
    }
  });
  const isVersion = (v, what) => check(Number.isSafeInteger(v) && v > 0, `${what}: ${v} is not a positive safe integer`);

  test('get of a missing key is null', async (s) => {
    equal(await s.get('conn/default/testas/nobody'), null, 'get');
  });

  test('put answers the version get then reads with the value', async (s) => {
    const v = await s.put('app/testas', 'sealed-1');
    isVersion(v, 'put');
    equal(await s.get('app/testas'), { value: 'sealed-1', version: v }, 'get after put');
  });

  test('versions grow on every write of a key: put, cas, delete and re-create, cas on an absent key', async (s) => {
    const k = 'lease/conn/default/testas/alice';
    const seen = [];
    seen.push(await s.put(k, 'a'));
    seen.push(await s.put(k, 'b'));
    seen.push(await s.cas(k, 'c', seen[1]));
    equal(!!(await s.delete(k, seen[2])).found, true, 'delete');
    seen.push(await s.put(k, 'd')); // re-created: must outnumber its earlier life
    equal(!!(await s.delete(k)).found, true, 'delete without a version');
    seen.push(await s.cas(k, 'e', 0));
    seen.forEach((v, i) => isVersion(v, `write ${i + 1}`));
    for (let i = 1; i < seen.length; i++) check(seen[i] > seen[i - 1], `write ${i + 1}'s version ${seen[i]} is not above ${seen[i - 1]} (all: ${seen})`);
    // A holder of a version from before the delete must not overwrite the new life of the key.
    equal(await s.cas(k, 'stale', seen[2]), null, 'cas with a version of the deleted record');
    equal(await s.get(k), { value: 'e', version: seen[4] }, 'after the stale cas');
  });

  test('cas with expected version 0 writes only if the key is absent', async (s) => {
    const v = await s.cas('pending/abc', 'first', 0);
    isVersion(v, 'cas on an absent key');
    equal(await s.cas('pending/abc', 'second', 0), null, 'cas 0 on a present key');
    equal(await s.get('pending/abc'), { value: 'first', version: v }, 'unchanged');
    equal(await s.cas('pending/none', 'x', v), null, 'cas with a version on an absent key');
    equal(await s.get('pending/none'), null, 'still absent');
  });

  test('cas with a stale version is refused and changes nothing; with the current one it writes', async (s) => {
    const k = 'conn/default/testas/alice';
    const v1 = await s.put(k, 'one');
    const v2 = await s.cas(k, 'two', v1);
    isVersion(v2, 'cas');
    equal(await s.cas(k, 'three', v1), null, 'cas with the stale version');
    equal(await s.get(k), { value: 'two', version: v2 }, 'unchanged by the stale cas');
    const v3 = await s.cas(k, 'three', v2);
    check(v3 > v2, `the cas's version ${v3} is above ${v2}`);
    equal(await s.get(k), { value: 'three', version: v3 }, 'after the cas');
  });

  test('delete: not found, a version mismatch is a conflict (nothing deleted), the right version deletes', async (s) => {
    const k = 'device/xyz';
    equal(!!(await s.delete(k)).found, false, 'delete of a missing key: found');
    equal(!!(await s.delete(k, 5)).found, false, 'delete of a missing key with a version: found');
    const v = await s.put(k, 'pending');
    const mismatch = await s.delete(k, v + 1000);
    equal([!!mismatch.found, !!mismatch.conflict], [true, true], 'delete with another version: found, conflict');
    equal(await s.get(k), { value: 'pending', version: v }, 'still there after the conflict');
    const done = await s.delete(k, v);
    equal([!!done.found, !!done.conflict], [true, false], 'delete with its version');
    equal(await s.get(k), null, 'gone');
    equal(await s.list('device/'), [], 'not listed');
  });

  // Expected orders are written out by hand: byte order of ASCII ('-' < '/' < '0' < 'X' < 'a').
  const KEYS = ['conn/default/b/x', 'expiry/pending/0000000002/b', 'conn/other/a/z', 'conn/default/a/y', 'app/a',
    'conn/default-b/1', 'con', 'conn/default/a/x', 'connx/1', 'expiry/pending/0000000001/a', 'conn/defaultX'];
  const fill = async (s) => {
    const versions = {};
    for (const k of KEYS) versions[k] = await s.put(k, `value of ${k}`);
    return versions;
  };
  const records = (versions, keys) => keys.map((key) => ({ key, value: `value of ${key}`, version: versions[key] }));
  const listed = (list) => list.map(({ key, value, version }) => ({ key, value, version }));

  test('list: the keys under a prefix in key order, with their values and versions; a limit takes the first', async (s) => {
    const versions = await fill(s);
    const conn = ['conn/default-b/1', 'conn/default/a/x', 'conn/default/a/y', 'conn/default/b/x', 'conn/defaultX', 'conn/other/a/z'];
    equal(listed(await s.list('conn/')), records(versions, conn), "list('conn/')");
    equal(listed(await s.list('conn/', 2)), records(versions, conn.slice(0, 2)), "list('conn/', 2)");
    equal(listed(await s.list('conn/', 0)), records(versions, conn), "list('conn/', 0): all");
    equal(listed(await s.list('conn/', 100)), records(versions, conn), "list('conn/', 100)");
    equal(listed(await s.list('expiry/pending/', 1)), records(versions, ['expiry/pending/0000000001/a']), 'the first of an expiry index');
    equal(await s.list('nothing/'), [], 'an empty prefix range');
    equal((await s.list('')).map((r) => r.key), [...KEYS].sort(), "list(''): everything");
    equal((await s.list('conn')).map((r) => r.key), [...conn, 'connx/1'], "list('conn')");
  });

  test('list: a prefix that ends inside a key part matches every key that starts with it', async (s) => {
    const versions = await fill(s);
    equal(listed(await s.list('conn/def')), records(versions, ['conn/default-b/1', 'conn/default/a/x', 'conn/default/a/y', 'conn/default/b/x', 'conn/defaultX']), "list('conn/def')");
    equal((await s.list('conn/default/')).map((r) => r.key), ['conn/default/a/x', 'conn/default/a/y', 'conn/default/b/x'], "list('conn/default/')");
    equal((await s.list('conn/default/a/x')).map((r) => r.key), ['conn/default/a/x'], 'a whole key as the prefix');
    equal((await s.list('co', 1)).map((r) => r.key), ['con'], "list('co', 1)");
  });

  test('values and keys: unicode, newlines, quotes, NUL, and a large (64 KB) value come back unchanged', async (s) => {
    const odd = 'naïve ☃ 日本語 😀\nline two\r\n"quoted" \\ back\tslash \u0000 \u2028 end';
    const key = 'conn/default/testas/zoë@example.com';
    const v = await s.put(key, odd);
    equal(await s.get(key), { value: odd, version: v }, 'an odd value under a unicode key');
    equal((await s.list('conn/default/testas/')).map((r) => [r.key, r.value]), [[key, odd]], 'listed');
    // 64,000 bytes: Deno KV holds at most 64 KiB a value, Durable Objects 128 KiB.
    const large = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(6, '0')}:${'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234'}`).join('');
    equal(large.length, 64000, 'the large value\'s length');
    const w = await s.put('app/large', large);
    const back = await s.get('app/large');
    check(back?.value === large && back.version === w, `the large value came back changed (${back?.value?.length} characters)`);
    equal(await s.put('app/empty', ''), (await s.get('app/empty'))?.version, 'an empty value is a value');
    equal((await s.get('app/empty'))?.value, '', 'the empty value');
  });

  const race = async (writers, what) => {
    const k = 'lease/conn/default/testas/alice';
    const v = await writers[0].put(k, 'expired');
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => writers[i % writers.length].cas(k, `refresher ${i}`, v)));
    const winners = results.map((r, i) => [r, i]).filter(([r]) => r !== null);
    equal(winners.length, 1, `${what}: how many of 16 concurrent cas on version ${v} won (answers: ${results})`);
    const [[version, i]] = winners;
    check(version > v, `the winner's version ${version} is above ${v}`);
    for (const w of writers) equal(await w.get(k), { value: `refresher ${i}`, version }, `${what}: the stored record is the winner's`);
  };

  test('16 concurrent cas on the same version: exactly one wins, and its value is stored', (s) => race([s], 'one storage'));

  if (pair) {
    t.test(`${name}: 16 concurrent cas on the same version over two handles on one store: exactly one wins`, async () => {
      const both = await pair();
      try {
        await race(both, 'two handles');
        const k = 'app/shared';
        const v = await both[0].put(k, 'from the first');
        equal(await both[1].get(k), { value: 'from the first', version: v }, 'the second handle reads the first one\'s write');
        equal(await both[1].cas(k, 'x', v - 1), null, 'a stale cas on the second handle');
        check((await both[1].cas(k, 'from the second', v)) > v, 'a cas on the second handle with the first one\'s version');
        equal((await both[0].get(k))?.value, 'from the second', 'the first handle reads it');
      } finally {
        for (const s of both) await dispose?.(s);
      }
    });
  }
}

/// A Workers KV namespace in a Map (get/put/delete, list in key order with cursors), so the edge
/// KV adapter runs here as it does on Workers KV; pages of 3 so its paging is exercised.
function mapKv() {
  const map = new Map();
  return {
    async get(k) { return map.has(k) ? map.get(k) : null; },
    async put(k, v) { map.set(k, String(v)); },
    async delete(k) { map.delete(k); },
    async list({ prefix = '', cursor, limit = 1000 } = {}) {
      const names = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
      const at = Number(cursor ?? 0);
      const end = at + Math.min(3, limit);
      const done = end >= names.length;
      return { keys: names.slice(at, end).map((name) => ({ name })), list_complete: done, ...(done ? {} : { cursor: String(end) }) };
    },
  };
}


// The runtime's own localStorage, if it has one (Deno; a browser), else null. Node 22+ warns on
// a bare access without --localstorage-file, so the property is looked up, not touched blindly.
function realLocalStorage() {
  try {
    const ls = globalThis.localStorage;
    return typeof ls?.getItem === 'function' ? ls : null;
  } catch {
    return null;
  }
}

/// Every adapter this runtime has: [name, make, options].
async function adaptersHere({ pkg, ctx }) {
  const out = [
    ['memoryStorage', () => pkg.memoryStorage()],
    ['kvStorage (edge KV, over a Map)', () => kvStorage(mapKv())],
  ];
  const ls = realLocalStorage();
  if (ls) {
    // The real store outlives this run: each test writes under its own prefix and removes it.
    const run = `latchkey-conformance-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    let n = 0;
    const prefixes = new WeakMap();
    out.push(['localStorageAdapter (the runtime\'s localStorage)', () => {
      const prefix = `${run}-${++n}:`;
      const s = pkg.localStorageAdapter(ls, { prefix });
      prefixes.set(s, prefix);
      return s;
    }, {
      dispose(s) {
        const prefix = prefixes.get(s);
        const mine = [];
        for (let i = 0; i < ls.length; i++) if (ls.key(i)?.startsWith(prefix)) mine.push(ls.key(i));
        for (const k of mine) ls.removeItem(k);
      },
    }]);
  } else {
    out.push(['localStorageAdapter (a Web Storage shim)', () => pkg.localStorageAdapter(storageShim())]);
  }
  const workerd = globalThis.navigator?.userAgent === 'Cloudflare-Workers';
  const hasFs = !workerd && !!(globalThis.Deno || globalThis.Bun || globalThis.process?.versions?.node);
  let n = 0;
  const temp = (ext) => `${ctx.tmp}/storage-${++n}.${ext}`;
  if (hasFs && ctx.tmp) {
    const { jsonFileStorage } = await import(new URL('adapters/json_file.js', ctx.pkgUrl).href);
    out.push(['jsonFileStorage', () => jsonFileStorage(temp('json'))]);
  }
  if (typeof globalThis.Deno?.openKv === 'function' && ctx.tmp) {
    const { denoKvStorage } = await import(new URL('adapters/deno_kv.js', ctx.pkgUrl).href);
    const handles = new WeakMap(); // storage -> its Deno.Kv, closed after the test
    const open = async (path, prefix) => {
      const kv = await Deno.openKv(path);
      const s = denoKvStorage(kv, prefix ? { prefix } : undefined);
      handles.set(s, kv);
      return s;
    };
    out.push(['denoKvStorage (a KV file)', () => open(temp('kv')), {
      dispose: (s) => handles.get(s)?.close(),
      // Two Deno.openKv on one file: two connections to one database.
      pair: async () => { const path = temp('kv'); return [await open(path, ['app', 1]), await open(path, ['app', 1])]; },
    }]);
  }
  return out;
}

export default async function storageSuite({ pkg, ctx }) {
  const t = createSuite();
  for (const [name, make, options] of await adaptersHere({ pkg, ctx })) storageConformance(t, name, make, options);
  return t.tests;
}
