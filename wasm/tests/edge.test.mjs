// The edge handler example (wasm/edge/handler.mjs) with real Request objects, a Map-backed KV
// binding, the real authorization server and API. With the Emscripten package the module
// worker entry point (`export default { fetch(request, env) }`) runs as deployed, the wasm
// handed over as a compiled WebAssembly.Module; with the WASI module, createHandler({ broker }).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { completeConsent } from '../../tests/fixtures/consent.mjs';
import { fixtures, layers, pki, providerFor } from './support.mjs';

const LAYERS = await layers();
if (LAYERS.length === 0) test('edge handler', { skip: 'set LATCHKEY_WASM_PKG and/or LATCHKEY_WASI_WASM' }, () => {});

// Any loopback port: the AS accepts http://127.0.0.1:<any>/oauth/callback (RFC 8252 §7.3).
const ORIGIN = 'http://127.0.0.1:8788';
const SECRET = 'proxy-secret-for-tests';
const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');
const EDGE_DIR = fileURLToPath(new URL('../edge/', import.meta.url));

/// A KV namespace in a Map, listing 2 keys per page so the cursor loop is exercised.
function mapKv() {
  const map = new Map();
  return {
    map,
    async get(k) { return map.has(k) ? map.get(k) : null; },
    async put(k, v) { map.set(k, String(v)); },
    async delete(k) { map.delete(k); },
    async list({ prefix = '', cursor } = {}) {
      const names = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
      const at = Number(cursor ?? 0);
      const keys = names.slice(at, at + 2).map((name) => ({ name }));
      const done = at + 2 >= names.length;
      return { keys, list_complete: done, ...(done ? {} : { cursor: String(at + 2) }) };
    },
  };
}

let fx;
let temp;
before(async () => {
  if (LAYERS.length === 0) return;
  fx = await fixtures();
  temp = mkdtempSync(join(tmpdir(), 'latchkey-edge-'));
});
after(async () => {
  await fx?.close();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

/// { handler: { fetch(request) }, kv } for a layer.
async function makeHandler(layer) {
  const kv = mapKv();
  const provider = providerFor(fx.as, fx.api);
  if (layer.name === 'emscripten') {
    // The example imports '../pkg/index.js': lay it next to the built package, as a user's
    // project would have it, and drive its default export with an env.
    const dir = join(temp, layer.name);
    mkdirSync(join(dir, 'edge'), { recursive: true });
    for (const f of ['handler.mjs', 'kv_storage.mjs']) copyFileSync(join(EDGE_DIR, f), join(dir, 'edge', f));
    symlinkSync(layer.pkgDir, join(dir, 'pkg'), 'dir');
    const worker = (await import(pathToFileURL(join(dir, 'edge', 'handler.mjs')).href)).default;
    const env = {
      LATCHKEY_KV: kv,
      LATCHKEY_MASTER_KEY: MASTER_KEY,
      LATCHKEY_PROXY_SECRET: SECRET,
      LATCHKEY_PROVIDERS: JSON.stringify([provider]),
      LATCHKEY_APPS: JSON.stringify([{ provider: 'testas', clientId: 'latchkey-cli', clientSecret: 'cli-secret' }]),
      LATCHKEY_WASM_MODULE: await layer.wasmModule(),
    };
    return { kv, handler: { fetch: (request) => worker.fetch(request, env) } };
  }
  const { createHandler } = await import('../edge/handler.mjs');
  const { kvStorage } = await import('../edge/kv_storage.mjs');
  const broker = await layer.createBroker({ storage: kvStorage(kv), masterKey: MASTER_KEY });
  await broker.providers.register(provider);
  await broker.apps.upsert({ provider: 'testas', clientId: 'latchkey-cli', clientSecret: 'cli-secret' });
  return { kv, handler: createHandler({ broker, proxySecret: SECRET }) };
}

const get = (path, headers = {}) => new Request(new URL(path, ORIGIN), { headers });

for (const layer of LAYERS) {
  describe(`edge handler on the ${layer.name} layer`, () => {
    let h;
    let kv;
    before(async () => { ({ handler: h, kv } = await makeHandler(layer)); });

    /// /oauth/start → the AS's consent pages → the callback URL (at ORIGIN, not fetched).
    async function consentVia(query = '', options = {}) {
      const start = await h.fetch(get(`/oauth/start/testas${query}`));
      assert.equal(start.status, 302);
      const location = new URL(start.headers.get('location'));
      return (await completeConsent(location.href, { caFile: pki.ca.cert, fetchCallback: false, ...options })).callbackUrl;
    }

    test('/oauth/start redirects to the consent page with this origin\'s callback', async () => {
      const res = await h.fetch(get('/oauth/start/testas?scopes=openid,api:read,api:write&account=alice'));
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const location = new URL(res.headers.get('location'));
      assert.equal(`${location.origin}${location.pathname}`, fx.as.endpoints.authorization);
      assert.equal(location.searchParams.get('redirect_uri'), `${ORIGIN}/oauth/callback`);
      assert.equal(location.searchParams.get('scope'), 'openid api:read api:write');
      assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    });

    test('/oauth/callback connects and shows a self-contained page', async () => {
      const callback = await consentVia('?account=alice');
      assert.ok(callback.startsWith(`${ORIGIN}/oauth/callback?`));
      const res = await h.fetch(new Request(callback));
      const body = await res.text();
      assert.equal(res.status, 200, body);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
      assert.match(body, /testas is connected as <strong>alice<\/strong>/);
      assert.doesNotMatch(body, /\b(src|href)=|@import|url\(/); // no external resources
      assert.ok(!body.includes(new URL(callback).searchParams.get('code')));
    });

    test('/oauth/callback answers JSON when asked', async () => {
      const callback = await consentVia();
      const res = await h.fetch(new Request(callback, { headers: { accept: 'application/json' } }));
      assert.equal(res.status, 200);
      const { connection } = await res.json();
      assert.equal(connection.id, 'testas/alice');
      assert.equal(connection.status, 'connected');
      // Replayed: refused, with the core's code.
      const again = await h.fetch(new Request(callback, { headers: { accept: 'application/json' } }));
      assert.equal(again.status, 400);
      assert.equal((await again.json()).error.code, 'state_reused');
      // A state this broker never issued.
      const forged = new URL(callback);
      forged.searchParams.set('state', 'A'.repeat(43));
      const bad = await h.fetch(new Request(forged, { headers: { accept: 'application/json' } }));
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, 'invalid_state');
    });

    test('/proxy injects the token, drops the caller\'s credentials and hop-by-hop headers', async () => {
      fx.api.resetStats();
      const me = await h.fetch(get('/proxy/testas/me', { authorization: `Bearer ${SECRET}`, cookie: 'session=mine' }));
      assert.equal(me.status, 200);
      assert.equal((await me.json()).sub, 'alice');
      const sent = fx.api.stats.lastAuthorization;
      assert.match(sent, /^Bearer /);
      assert.notEqual(sent, `Bearer ${SECRET}`);
      const token = sent.slice('Bearer '.length);
      assert.equal((await fx.as.introspect(token)).sub, 'alice');

      const echo = await h.fetch(new Request(`${ORIGIN}/proxy/testas/echo?x=1&y=two`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SECRET}`, cookie: 'session=mine', connection: 'x-private', 'x-private': '1',
          'x-keep': 'yes', 'content-type': 'text/plain',
        },
        body: 'hello upstream',
      }));
      assert.equal(echo.status, 200);
      assert.equal(echo.headers.get('set-cookie'), null);
      const seen = await echo.json();
      assert.equal(seen.method, 'POST');
      assert.equal(seen.path, '/echo');
      assert.deepEqual(seen.query, { x: '1', y: 'two' });
      assert.equal(seen.body, 'hello upstream');
      assert.equal(seen.headers.authorization, `Bearer ${token}`);
      assert.equal(seen.headers['x-keep'], 'yes');
      for (const h of ['cookie', 'x-private']) assert.equal(seen.headers[h], undefined, h);

      // Nothing in the KV store is readable: the token is sealed.
      for (const v of kv.map.values()) assert.ok(!v.includes(token), 'a token in clear in KV');
    });

    test('/proxy needs the proxy secret', async () => {
      const none = await h.fetch(get('/proxy/testas/me'));
      assert.equal(none.status, 401);
      const wrong = await h.fetch(get('/proxy/testas/me', { authorization: 'Bearer nope' }));
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error.code, 'unauthorized');
      const unknown = await h.fetch(get('/proxy/nosuch/me', { authorization: `Bearer ${SECRET}` }));
      assert.equal(unknown.status, 404);
      // `//host/...` stays a path under the provider's API (whose 404 this is).
      fx.api.resetStats();
      const elsewhere = await h.fetch(get('/proxy/testas//evil.example/me', { authorization: `Bearer ${SECRET}` }));
      assert.equal(elsewhere.status, 404);
      assert.deepEqual(fx.api.stats.byPath, { '/evil.example/me': 1 });
    });

    test('denied consent is a 400 with access_denied', async () => {
      const callback = await consentVia('?account=denied', { deny: true });
      assert.equal(new URL(callback).searchParams.get('error'), 'access_denied');
      const res = await h.fetch(new Request(callback));
      assert.equal(res.status, 400);
      assert.match(await res.text(), /access_denied/);
    });

    test('unknown routes are 404', async () => {
      assert.equal((await h.fetch(get('/nothing/here'))).status, 404);
    });
  });
}
