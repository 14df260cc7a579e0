// The storage adapters' list with a limit (issue 12), and the broker handing the core's limit to
// its adapter, so that starting a sign-in reads a fixed few records however many are outstanding.
// The adapters are plain JS and need no build; the broker part runs for each built layer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { kvStorage } from '../edge/kv_storage.mjs';
import { jsonFileStorage } from '../pkg/adapters/json_file.js';
import { localStorageAdapter } from '../pkg/adapters/local_storage.js';
import { memoryStorage } from '../pkg/adapters/memory.js';
import { storageShim } from './portable/support.mjs';
import { layers } from './support.mjs';


/// A KV namespace in a Map, in key order, 2 keys per page (honouring `limit` below that), and
/// counting its operations.
function mapKv() {
  const map = new Map();
  const ops = { get: 0, list: 0 };
  return {
    ops,
    async get(k) { ops.get++; return map.has(k) ? map.get(k) : null; },
    async put(k, v) { map.set(k, String(v)); },
    async delete(k) { map.delete(k); },
    async list({ prefix = '', cursor, limit = 1000 } = {}) {
      ops.list++;
      const names = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
      const at = Number(cursor ?? 0);
      const n = Math.min(2, limit);
      const keys = names.slice(at, at + n).map((name) => ({ name }));
      const done = at + n >= names.length;
      return { keys, list_complete: done, ...(done ? {} : { cursor: String(at + n) }) };
    },
  };
}

const temp = mkdtempSync(join(tmpdir(), 'latchkey-storage-'));
process.on('exit', () => rmSync(temp, { recursive: true, force: true }));

const adapters = {
  memoryStorage: () => ({ storage: memoryStorage() }),
  localStorageAdapter: () => ({ storage: localStorageAdapter(storageShim()) }),
  jsonFileStorage: () => ({ storage: jsonFileStorage(join(temp, `${Math.random()}.json`)) }),
  kvStorage: () => { const kv = mapKv(); return { storage: kvStorage(kv), kv }; },
};

describe('storage adapters: list with a limit', () => {
  for (const [name, make] of Object.entries(adapters)) {
    test(name, async () => {
      const { storage, kv } = make();
      // Written out of order, with neighbours on either side of the prefix.
      for (const key of ['p/d', 'p/b', 'o/z', 'p/a', 'p/e', 'p/c', 'q/a', 'p']) await storage.put(key, `v-${key}`);
      const keys = async (...args) => (await storage.list(...args)).map((r) => r.key);
      assert.deepEqual(await keys('p/'), ['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
      assert.deepEqual(await keys('p/', 0), ['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
      assert.deepEqual(await keys('p/', 3), ['p/a', 'p/b', 'p/c']);
      assert.deepEqual(await keys('p/', 1), ['p/a']);
      assert.deepEqual(await keys('p/', 5), ['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
      assert.deepEqual(await keys('p/', 50), ['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
      assert.deepEqual(await keys('x/', 2), []);
      const [first] = await storage.list('p/', 1);
      assert.equal(first.value, 'v-p/a');
      assert.ok(Number.isInteger(first.version) && first.version > 0);
      if (kv) {
        // Only the first records are read: one KV get each, and the pages stop once they are in.
        kv.ops.get = 0;
        kv.ops.list = 0;
        await storage.list('p/', 3);
        assert.equal(kv.ops.get, 3);
        assert.equal(kv.ops.list, 2);  // 2 + 1 names
      }
    });
  }
});

const LAYERS = await layers();
for (const layer of LAYERS) {
  describe(`${layer.name}: the broker hands the core's limit to its storage`, () => {
    test('a start with 300 sign-ins outstanding lists at most 8 index entries, only when one may have expired, and reads no sign-in', async () => {
      const inner = layer.index.memoryStorage();
      const calls = [];
      const storage = {
        get: async (key) => { calls.push(['get', key]); return inner.get(key); },
        put: async (key, value) => { calls.push(['put', key]); return inner.put(key, value); },
        cas: async (key, value, expected) => { calls.push(['cas', key]); return inner.cas(key, value, expected); },
        delete: async (key, expected) => { calls.push(['delete', key]); return inner.delete(key, expected); },
        list: async (prefix, limit) => {
          const records = await inner.list(prefix, limit);
          calls.push(['list', prefix, limit, records.map((r) => r.key)]);
          return records;
        },
      };
      const open = () => layer.createBroker({ storage, masterKey: new Uint8Array(32).fill(3), fetch: async () => { throw new Error('no network here'); } });
      const broker = await open();
      await broker.apps.upsert({ provider: 'github', clientId: 'gh', clientSecret: 'gh-secret', redirectUri: 'http://127.0.0.1:8765/callback' });
      for (let i = 0; i < 300; i++) await broker.authorize('github');
      // This broker saw the first sign-in live when it last swept: no listing until it expires.
      calls.length = 0;
      assert.ok((await broker.authorize('github')).state);
      assert.deepEqual(calls.map((c) => c[0]), ['get', 'put', 'cas']);  // app, new entry, new record
      // Another broker on the same storage (another process) has not swept yet: it lists 8.
      const other = await open();
      calls.length = 0;
      assert.ok((await other.authorize('github')).state);
      assert.deepEqual(calls.map((c) => c[0]), ['get', 'list', 'put', 'cas']);  // app, index, new entry, new record
      const [, prefix, limit, listed] = calls[1];
      assert.equal(prefix, 'expiry/pending/');
      assert.equal(limit, 8);
      assert.equal(listed.length, 8);
      assert.ok(listed.every((k) => k.startsWith('expiry/pending/')), listed.join());
      assert.equal((await inner.list('pending/')).length, 302);
      other.close();
      broker.close();
    });
  });
}
