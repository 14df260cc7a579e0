// Shared by the JS package's tests: which raw layers to test, the fixture servers, and the
// provider definition for them (tests/fixtures/providers.mjs, the CLI's and gateway's tests' too).
// Run the tests through wasm/tests/run.mjs (it makes the PKI).
//
//   LATCHKEY_WASM_PKG   the built Emscripten package (a directory with index.js and dist/)
//   LATCHKEY_WASI_WASM  the WASI reactor module (driven by wasm/wasi/raw.mjs)
//   LATCHKEY_TEST_PKI   the test PKI directory (run.mjs sets it, with NODE_EXTRA_CA_CERTS)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { startApiServer } from '../../tests/fixtures/api_server.mjs';
import { startAuthServer } from '../../tests/fixtures/auth_server.mjs';
import { completeConsent } from '../../tests/fixtures/consent.mjs';
import { resolvePki } from '../../tests/fixtures/http_util.mjs';
import { providerFor } from '../../tests/fixtures/providers.mjs';
import { rejectsWith as rejectsWithCode } from './portable/support.mjs';

export { providerFor };

if (!process.env.LATCHKEY_TEST_PKI) throw new Error('run the tests with node wasm/tests/run.mjs FILES (it makes the test PKI)');
export const pki = resolvePki(resolve(process.env.LATCHKEY_TEST_PKI));

/// A loopback redirect URI: the test AS accepts any port (RFC 8252 §7.3); nothing listens there.
export const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

/// The raw layers named by the environment: { name, pkgDir, index (the package module),
/// createBroker(options), LatchkeyError, wasmModule() }.
export async function layers() {
  const out = [];
  const pkg = process.env.LATCHKEY_WASM_PKG;
  if (pkg) {
    const dir = resolve(pkg);
    const index = await import(pathToFileURL(join(dir, 'index.js')).href);
    out.push({
      name: 'emscripten',
      pkgDir: dir,
      index,
      createBroker: (options) => index.createBroker(options),
      LatchkeyError: index.LatchkeyError,
      wasmModule: () => WebAssembly.compile(readFileSync(join(dir, 'dist', 'latchkey.wasm'))),
    });
  }
  const wasi = process.env.LATCHKEY_WASI_WASM;
  if (wasi) {
    const index = await import('../pkg/index.js');
    const { createRaw } = await import('../wasi/raw.mjs');
    const module = await WebAssembly.compile(readFileSync(resolve(wasi)));
    out.push({
      name: 'wasi',
      pkgDir: resolve(new URL('../pkg', import.meta.url).pathname),
      index,
      createBroker: async (options = {}) => index.createBroker({ ...options, raw: await createRaw({ wasmModule: module }) }),
      LatchkeyError: index.LatchkeyError,
      wasmModule: async () => module,
    });
  }
  return out;
}

/// An authorization server and its API: { as, api, close() }.
export async function fixtures({ ttl = 3600 } = {}) {
  const as = await startAuthServer({ pki, accessTokenTtl: ttl });
  const api = await startApiServer({ pki, authServer: as });
  return { as, api, async close() { await api.close(); await as.close(); } };
}

/// Registers a fixture provider and its app (the AS's latchkey-cli or latchkey-m2m client).
export async function setUpProvider(broker, fx, options = {}) {
  const def = providerFor(fx.as, fx.api, options);
  await broker.providers.register(def);
  const m2m = def.auth_mode === 'client_credentials';
  await broker.apps.upsert({
    provider: def.key, clientId: m2m ? 'latchkey-m2m' : 'latchkey-cli', clientSecret: m2m ? 'm2m-secret' : 'cli-secret',
  });
  return def;
}

/// authorize → the test "browser" consents → the callback URL (not fetched).
export async function consent(broker, { provider = 'testas', login = 'alice', deny = false, redirectUri = REDIRECT, ...rest } = {}) {
  const { url } = await broker.authorize(provider, { redirectUri, ...rest });
  return (await completeConsent(url, { caFile: pki.ca.cert, login, deny, fetchCallback: false })).callbackUrl;
}

/// A whole authorization-code connect: the connection.
export async function connect(broker, options) {
  return broker.handleCallback(await consent(broker, options));
}

/// GET /me of the fixture API through `broker.fetch` on connection `id`: asserts a 200 and
/// resolves with the API's answer ({ sub, scope, client_id }).
export async function fetchMe(broker, id) {
  const res = await broker.fetch(id, '/me');
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

/// Rejects unless `promise` rejects with a LatchkeyError of `code` (and a message matching
/// `message`) — this layer's own class, not just one named so.
export async function rejectsWith(layer, promise, code, message) {
  const error = await rejectsWithCode(promise, code, message);
  if (!(error instanceof layer.LatchkeyError)) throw new Error(`a LatchkeyError, but not the ${layer.name} layer's class`);
  return error;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
