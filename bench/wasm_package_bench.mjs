// Figures for the wasm issue, in one Node process (after `cmake --build --preset wasm`):
//   node bench/wasm_package_bench.mjs build/wasm/wasm/pkg
// 1. size of the Emscripten package's .wasm + JS glue (raw, gzip -9) and of the WASI module;
// 2. cold start: compile + instantiate + createBroker, median of 30;
// 3. throughput side by side with oauth4webapi doing the same work:
//    a. PKCE pair + state + consent URL (latchkey: buildAuthorization through the raw ABI;
//       oauth4webapi: generateRandomCodeVerifier + calculatePKCECodeChallenge + generateRandomState + URL),
//    b. token-response processing (latchkey: parseTokenResponse; oauth4webapi: processAuthorizationCodeResponse).
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as oauth from 'oauth4webapi';

const pkg = resolve(process.argv[2] ?? 'build/wasm/wasm/pkg');
const wasiPath = resolve(process.argv[3] ?? 'build/wasi/wasm/latchkey-wasi.wasm');
const { createRaw } = await import(join(pkg, 'raw.js'));
const { createBroker, memoryStorage } = await import(join(pkg, 'index.js'));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// 1. Size.
const wasm = readFileSync(join(pkg, 'dist/latchkey.wasm'));
const glue = readFileSync(join(pkg, 'dist/latchkey.mjs'));
const gz = (b) => gzipSync(b, { level: 9 }).length;
console.log(`size: latchkey.wasm ${kb(wasm.length)} (gzip ${kb(gz(wasm))}), latchkey.mjs ${kb(glue.length)} (gzip ${kb(gz(glue))}); together gzip ${kb(gz(wasm) + gz(glue))} (target ≤ 150 KB)`);
if (existsSync(wasiPath)) {
  const w = readFileSync(wasiPath);
  console.log(`size: latchkey-wasi.wasm ${kb(w.length)} (gzip ${kb(gz(w))})`);
}

// 2. Cold start: from bytes to a usable broker (compile, instantiate, engine, key check).
const cold = [];
for (let i = 0; i < 31; i++) {
  const t0 = performance.now();
  const broker = await createBroker({ wasmBinary: wasm, storage: memoryStorage() });
  cold.push(performance.now() - t0);
  broker.close();
}
console.log(`cold start (instantiate + createBroker): median ${median(cold.slice(1)).toFixed(2)} ms over 30 (target ≤ 15 ms)`);

// 3. Throughput.
const raw = await createRaw({ wasmBinary: wasm });
const entropy = Buffer.alloc(48, 9).toString('base64');
const engine = raw.engineNew(JSON.stringify({ master_keys: { 1: Buffer.alloc(32, 1).toString('base64') }, entropy }));
const as = {
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
};
const client = { client_id: '123-abc.apps.googleusercontent.com' };
const redirectUri = 'http://127.0.0.1:53682/callback';

async function rate(fn, ms = 1500) {
  for (let i = 0; i < 200; i++) await fn();  // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

const buildRequest = JSON.stringify({ provider: 'google', client_id: client.client_id, redirect_uri: redirectUri, scopes: ['openid', 'email'] });
const oursUrl = await rate(() => {
  const r = JSON.parse(raw.buildAuthorization(engine, buildRequest));
  if (!r.ok) throw new Error(JSON.stringify(r));
});
const theirsUrl = await rate(async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', 'openid email');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('access_type', 'offline');
  url.searchParams.set('prompt', 'consent');
  return url.href;
});
console.log(`PKCE pair + state + consent URL: latchkey ${oursUrl.toFixed(0)}/s, oauth4webapi ${theirsUrl.toFixed(0)}/s → ${(oursUrl / theirsUrl).toFixed(2)}× (target ≥ 1×)`);

const body = JSON.stringify({ access_token: `ya29.${'x'.repeat(190)}`, expires_in: 3599, refresh_token: `1//${'r'.repeat(100)}`, scope: 'email', token_type: 'Bearer' });
const parseRequest = JSON.stringify({ provider: 'google', status: 200, content_type: 'application/json', body, now_ms: Date.now(), requested_scope: 'email' });
const oursToken = await rate(() => {
  const r = JSON.parse(raw.parseTokenResponse(parseRequest));
  if (!r.ok) throw new Error(JSON.stringify(r));
});
const theirsToken = await rate(async () => {
  const response = new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  await oauth.processAuthorizationCodeResponse(as, client, response);
});
console.log(`token response processing: latchkey ${oursToken.toFixed(0)}/s, oauth4webapi ${theirsToken.toFixed(0)}/s → ${(oursToken / theirsToken).toFixed(2)}× (target ≥ 1×)`);
raw.engineFree(engine);
