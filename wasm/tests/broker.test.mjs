// The ergonomic JS API (createBroker) end to end, once per raw layer (Emscripten package,
// WASI module): a real oidc-provider behind TLS, a real protected API, node's fetch.
// Run: LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node wasm/tests/run.mjs wasm/tests/broker.test.mjs
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { storageShim } from './portable/support.mjs';
import {
  connect, consent, fetchMe, fixtures, layers, rejectsWith, setUpProvider, sleep,
} from './support.mjs';

const LAYERS = await layers();
if (LAYERS.length === 0) test('JS broker', { skip: 'set LATCHKEY_WASM_PKG and/or LATCHKEY_WASI_WASM' }, () => {});

let main; // long-lived tokens
let short; // 2 s tokens: with a 1 s expiry buffer a token is due after 1 s, expired after 2 s
before(async () => {
  if (LAYERS.length === 0) return;
  [main, short] = await Promise.all([fixtures(), fixtures({ ttl: 2 })]);
});
after(async () => { await main?.close(); await short?.close(); });

const key32 = (fill) => new Uint8Array(32).fill(fill);

async function revokeAtAs(as, token) {
  const res = await fetch(as.endpoints.revocation, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('latchkey-cli:cli-secret').toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200);
}


for (const layer of LAYERS) {
  describe(`${layer.name} layer`, () => {
    test('authorize → consent → callback → token → fetch as the user', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, main);
      const conn = await connect(broker);
      assert.equal(conn.id, 'testas/alice'); // named by the userinfo endpoint
      assert.equal(conn.status, 'connected');
      assert.equal(conn.hasRefreshToken, true);
      const token = await broker.getAccessToken(conn.id);
      assert.equal((await main.as.introspect(token)).active, true);

      main.api.resetStats();
      const res = await broker.fetch(conn.id, '/me', { headers: { authorization: 'Bearer not-mine' } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).sub, 'alice');
      assert.equal(main.api.stats.lastAuthorization, `Bearer ${token}`); // the caller's header was replaced
      assert.deepEqual((await broker.connections()).map((c) => c.id), ['testas/alice']);

      // A Request as input: its method, headers and body go along.
      const echo = await broker.fetch(conn.id, new Request(`${main.api.url}/echo?q=1`, {
        method: 'POST', headers: { 'content-type': 'text/plain', 'x-mine': 'kept' }, body: 'hello',
      }));
      const seen = await echo.json();
      assert.deepEqual([seen.method, seen.body, seen.query.q, seen.headers['x-mine']], ['POST', 'hello', '1', 'kept']);
      assert.equal(seen.headers.authorization, `Bearer ${token}`);

      // A 401 (the AS forgot the access token) refreshes once and retries.
      assert.equal(await main.as.revoke(token), true);
      main.as.resetStats();
      const again = await broker.fetch(conn.id, '/me');
      assert.equal(again.status, 200);
      assert.equal(main.as.stats.token.refresh_token, 1);
      assert.notEqual(await broker.getAccessToken(conn.id), token);
      broker.close();
    });

    test('an expired token is refreshed; rotated refresh tokens keep working', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, short, { buffer: 1 });
      const conn = await connect(broker);
      const first = await broker.getToken(conn.id);
      assert.equal(first.refreshed, false);
      short.as.resetStats();
      await sleep(2300);
      const second = await broker.getToken(conn.id);
      assert.equal(second.refreshed, true);
      assert.notEqual(second.accessToken, first.accessToken);
      // The second refresh must present the rotated refresh token (the old one would fail and
      // revoke the grant).
      const third = await broker.getToken(conn.id, { forceRefresh: true });
      assert.equal(third.refreshed, true);
      assert.equal(short.as.stats.token.refresh_token, 2);
      assert.deepEqual(short.as.stats.tokenErrors, {});
      assert.equal((await fetchMe(broker, conn.id)).sub, 'alice');
      broker.close();
    });

    test('a revoked grant (invalid_grant) means needs_reauth', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, main);
      const conn = await connect(broker);
      await revokeAtAs(main.as, await broker.getAccessToken(conn.id)); // revokes the whole grant
      const e = await rejectsWith(layer, broker.getToken(conn.id, { forceRefresh: true }), 'needs_reauth');
      assert.ok(!e.message.includes('cli-secret'));
      assert.equal((await broker.status(conn.id)).status, 'needs_reauth');
      assert.equal((await connect(broker)).status, 'connected'); // reconnecting fixes it
      broker.close();
    });

    test('client credentials', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, main, { key: 'testas-m2m', mode: 'client_credentials' });
      const conn = await broker.connectClientCredentials('testas-m2m');
      assert.equal(conn.grant, 'client_credentials');
      assert.equal((await fetchMe(broker, conn.id)).client_id, 'latchkey-m2m');
      broker.close();
    });

    test('disconnect with revoke kills the tokens at the AS', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, main);
      const conn = await connect(broker);
      const token = await broker.getAccessToken(conn.id);
      const r = await broker.disconnect(conn.id, { revoke: true });
      assert.equal(r.deleted, true);
      assert.equal(r.revoked, true);
      assert.equal((await main.as.introspect(token)).active, false);
      assert.deepEqual(await broker.connections(), []);
      await rejectsWith(layer, broker.getAccessToken(conn.id), 'not_found');
      broker.close();
    });

    test('a replayed callback and an unknown state are refused', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, main);
      const callback = await consent(broker);
      await broker.handleCallback(callback);
      await rejectsWith(layer, broker.handleCallback(callback), 'state_reused');
      const forged = new URL(callback);
      forged.searchParams.set('state', 'A'.repeat(43));
      await rejectsWith(layer, broker.handleCallback(forged), 'invalid_state');
      broker.close();
    });

    test('single-flight: 100 concurrent callers on an expired token make one refresh', async () => {
      const broker = await layer.createBroker();
      await setUpProvider(broker, short, { buffer: 1 });
      const conn = await connect(broker);
      const before = await broker.getAccessToken(conn.id);
      await sleep(2300); // expired, not just due: nobody may keep using the old token
      short.as.resetStats();
      const tokens = await Promise.all(Array.from({ length: 100 }, () => broker.getAccessToken(conn.id)));
      assert.equal(new Set(tokens).size, 1);
      assert.notEqual(tokens[0], before);
      assert.equal(short.as.stats.token.refresh_token, 1);
      broker.close();
    });

    test('single-flight across two brokers sharing storage (the core\'s CAS lease)', async () => {
      const storage = layer.index.memoryStorage();
      const a = await layer.createBroker({ storage, masterKey: key32(1) });
      const b = await layer.createBroker({ storage, masterKey: key32(1) });
      await setUpProvider(a, short, { buffer: 1 });
      const conn = await connect(a);
      await sleep(2300); // expired, not just due: nobody may keep using the old token
      short.as.resetStats();
      const calls = [];
      for (let i = 0; i < 50; i++) calls.push(a.getAccessToken(conn.id), b.getAccessToken(conn.id));
      const tokens = await Promise.all(calls);
      assert.equal(new Set(tokens).size, 1);
      assert.equal(short.as.stats.token.refresh_token, 1);
      assert.deepEqual(short.as.stats.tokenErrors, {});
      a.close();
      b.close();
    });

    test('two brokers whose requests are refused with the same token make one refresh', async () => {
      // b's request leaves with the token the AS has forgotten; its 401 reaches b only after a,
      // refused the same token, has refreshed and retried. b then finds a's new token in the
      // store and retries with it: the core replaces only the refused token, once.
      const storage = layer.index.memoryStorage();
      let bRefused; let aDone;
      const bWasRefused = new Promise((r) => { bRefused = r; });
      const aSucceeded = new Promise((r) => { aDone = r; });
      const isMe = (url) => String(url) === `${main.api.url}/me`; // the API's, not the AS's userinfo
      const fetchA = async (url, init) => {
        const res = await fetch(url, init);
        if (isMe(url) && res.status === 200) aDone();
        return res;
      };
      const fetchB = async (url, init) => {
        const res = await fetch(url, init);
        if (isMe(url) && res.status === 401) {
          bRefused();
          await aSucceeded;
        }
        return res;
      };
      const a = await layer.createBroker({ storage, masterKey: key32(2), fetch: fetchA });
      const b = await layer.createBroker({ storage, masterKey: key32(2), fetch: fetchB });
      await setUpProvider(a, main);
      const conn = await connect(a);
      const token = await a.getAccessToken(conn.id);
      assert.equal(await main.as.revoke(token), true);
      main.as.resetStats();
      const fromB = b.fetch(conn.id, '/me');
      await bWasRefused;
      const ra = await a.fetch(conn.id, '/me');
      const rb = await fromB;
      assert.deepEqual([ra.status, rb.status], [200, 200]);
      assert.equal(main.as.stats.token.refresh_token, 1);
      a.close();
      b.close();
    });

    describe('bad input', () => {
      test('a damaged or truncated stored connection is reported and left as it is', async () => {
        const storage = layer.index.memoryStorage();
        const broker = await layer.createBroker({ storage });
        await setUpProvider(broker, main);
        await connect(broker);
        const [record] = await storage.list('conn/');
        assert.equal(record.key, 'conn/default/testas/alice');
        for (const bad of ['this is not JSON', record.value.slice(0, Math.floor(record.value.length / 2))]) {
          const version = await storage.put(record.key, bad);
          await rejectsWith(layer, broker.getToken('testas/alice'), 'storage');
          await rejectsWith(layer, broker.status('testas/alice'), 'storage');
          assert.deepEqual(await storage.get(record.key), { value: bad, version });
        }
        broker.close();
      });

      test('a storage adapter that throws gives storage errors with its message', async () => {
        const fail = async () => { throw new Error('the disk is on fire'); };
        const broken = { get: fail, put: fail, cas: fail, delete: fail, list: fail };
        await rejectsWith(layer, layer.createBroker({ storage: broken, masterKey: new Uint8Array(32).fill(3) }), 'storage', /the disk is on fire/);

        const inner = layer.index.memoryStorage();
        let failing = false;
        const flaky = Object.fromEntries(Object.keys(inner).map((k) => [k, (...args) => (failing ? fail() : inner[k](...args))]));
        const broker = await layer.createBroker({ storage: flaky, masterKey: new Uint8Array(32).fill(3) });
        await setUpProvider(broker, main);
        failing = true;
        await rejectsWith(layer, broker.providers.get('testas'), 'storage', /the disk is on fire/);
        await rejectsWith(layer, broker.authorize('testas', { redirectUri: 'http://127.0.0.1/cb' }), 'storage', /the disk is on fire/);
        failing = false;
        assert.equal((await broker.providers.get('testas')).key, 'testas');
        broker.close();
      });

      test('a fetch that rejects is a transport error', async () => {
        const fetch = async () => { throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }); };
        const broker = await layer.createBroker({ fetch });
        await setUpProvider(broker, main, { key: 'testas-m2m', mode: 'client_credentials' });
        await rejectsWith(layer, broker.connectClientCredentials('testas-m2m'), 'transport', /ECONNREFUSED/);
        assert.deepEqual(await broker.connections(), []);
        broker.close();
      });

      test('a 10 MB token response is refused and nothing is stored', async () => {
        const broker = await layer.createBroker();
        await setUpProvider(broker, main, { key: 'testas-huge', mode: 'client_credentials', tokenEndpoint: `${main.api.url}/huge` });
        await rejectsWith(layer, broker.connectClientCredentials('testas-huge'), 'transport', /larger than/);
        assert.deepEqual(await broker.connections(), []);
        broker.close();
      });

      test('a wrong master key on reopened storage is refused at createBroker', async () => {
        const storage = layer.index.memoryStorage();
        const broker = await layer.createBroker({ storage, masterKey: key32(1) });
        await setUpProvider(broker, main);
        broker.close();
        await rejectsWith(layer, layer.createBroker({ storage, masterKey: key32(2) }), 'crypto', /master key/);
        const again = await layer.createBroker({ storage, masterKey: Buffer.from(key32(1)).toString('base64') });
        assert.equal((await again.apps.get('testas')).hasClientSecret, true);
        again.close();
      });
    });

    describe('storage adapters', () => {
      async function roundTrip(storage, masterKey) {
        const broker = await layer.createBroker({ storage, masterKey });
        await setUpProvider(broker, main);
        const conn = await connect(broker);
        const token = await broker.getAccessToken(conn.id);
        assert.equal((await main.as.introspect(token)).active, true);
        broker.close();
        return token;
      }

      test('memoryStorage', async () => {
        await roundTrip(layer.index.memoryStorage());
      });

      test('localStorageAdapter', async () => {
        const shim = storageShim();
        const token = await roundTrip(layer.index.localStorageAdapter(shim), key32(3));
        const keys = Array.from({ length: shim.length }, (_, i) => shim.key(i));
        assert.ok(keys.includes('latchkey:conn/default/testas/alice'));
        for (const k of keys) assert.ok(!shim.getItem(k).includes(token), 'a token in clear in localStorage');
        const reopened = await layer.createBroker({ storage: layer.index.localStorageAdapter(shim), masterKey: key32(3) });
        assert.equal(await reopened.getAccessToken('testas/alice'), token);
        reopened.close();
      });

      test('jsonFileStorage (mode 0600, persists across reopening)', async () => {
        const { jsonFileStorage } = await import(pathToFileURL(join(layer.pkgDir, 'adapters', 'json_file.js')).href);
        const dir = mkdtempSync(join(tmpdir(), 'latchkey-json-'));
        try {
          const path = join(dir, 'store.json');
          const token = await roundTrip(jsonFileStorage(path), key32(4));
          assert.equal(statSync(path).mode & 0o777, 0o600);
          const reopened = await layer.createBroker({ storage: jsonFileStorage(path), masterKey: key32(4) });
          assert.deepEqual((await reopened.connections()).map((c) => c.id), ['testas/alice']);
          assert.equal(await reopened.getAccessToken('testas/alice'), token);
          reopened.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
}
