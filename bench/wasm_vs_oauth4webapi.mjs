// @latchkey/wasm beside oauth4webapi (3.8.8, the dev dependency) on oauth4webapi's own ground,
// in one Node process (after `cmake --build --preset wasm`):
//   node bench/wasm_vs_oauth4webapi.mjs [--quick] [--rounds N] [--samples N] [PKG_DIR]
// PKG_DIR defaults to build/wasm/wasm/pkg. --quick (CI): a few iterations, asserting only that
// both sides give correct outputs; no figure from it means anything.
//
// 1. sizes, raw and gzip -9: what a browser page loads (an esbuild browser bundle, minified, of
//    `createBroker` + latchkey.wasm; oauth4webapi's whole module bundled the same way), the
//    package's browser files as shipped, and each whole package directory;
// 2. cold start: import + instantiate + createBroker (oauth4webapi: its import), each sample in a
//    fresh child process, timed inside it from before the import: no V8 code cache, and no wasm
//    compiled by an earlier sample (V8 keeps one process-wide cache of compiled wasm modules,
//    which a Worker per sample could hit); with Node's own lazily loaded parts warmed first, and
//    without;
// 3. starting an authorization: broker.authorize (PKCE, state, URL, the pending state sealed and
//    stored in memoryStorage) vs generateRandomCodeVerifier + calculatePKCECodeChallenge +
//    generateRandomState + the URL built with URLSearchParams, for Google's consent URL;
// 4. token-response processing, from a fetch Response to the token fields: the raw layer's
//    parseTokenResponse (the body read, the request as JSON, the result parsed) vs
//    processAuthorizationCodeResponse; and a whole callback: broker.handleCallback with a fetch
//    stub answering the token endpoint (it also seals and stores the connection) vs
//    validateAuthResponse + authorizationCodeGrantRequest (the same stub) + processAuthorizationCodeResponse.
// Throughput figures are medians of rounds that alternate which side goes first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

import * as esbuild from 'esbuild';
import * as oauth from 'oauth4webapi';

import { median } from './wrk.mjs';

const args = process.argv.slice(2);
const { values: opts, positionals } = parseArgs({
  args, allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, samples: { type: 'string' } },
});
const quick = opts.quick;
const pkg = resolve(positionals[0] ?? 'build/wasm/wasm/pkg');
const rounds = Number(opts.rounds ?? (quick ? 1 : 7));
const samples = Number(opts.samples ?? (quick ? 2 : 15));
const roundMs = quick ? 30 : 400;

const indexUrl = pathToFileURL(join(pkg, 'index.js')).href;
const { createBroker, memoryStorage } = await import(indexUrl);
const { createRaw } = await import(pathToFileURL(join(pkg, 'raw.js')).href);
const oauthUrl = import.meta.resolve('oauth4webapi');

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`command: node bench/wasm_vs_oauth4webapi.mjs ${args.join(' ')}`.trimEnd());
console.log(`package: ${pkg}; oauth4webapi ${JSON.parse(readFileSync(new URL('../package.json', new URL(oauthUrl)), 'utf8')).version}; ${quick ? 'QUICK (correctness only)' : `${rounds} rounds, ${samples} cold starts a side`}\n`);

// ---------------------------------------------------------------- 1. sizes
async function bundle(contents) {
  const out = await esbuild.build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', minify: true, write: false, logLevel: 'silent',
  });
  return out.outputFiles[0].contents;
}
function files(dir, only) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  if (only) for (const f of only) out.push(join(dir, f));
  else walk(dir);
  return out.map((p) => readFileSync(p));
}
const total = (list) => ({ raw: list.reduce((s, b) => s + b.length, 0), gzip: list.reduce((s, b) => s + gz(b), 0) });

const wasm = readFileSync(join(pkg, 'dist', 'latchkey.wasm'));
const ourBundle = await bundle(`export { createBroker } from ${JSON.stringify(join(pkg, 'index.js'))};`);
const theirBundle = await bundle(`export * from ${JSON.stringify(new URL(oauthUrl).pathname)};`);
const sizes = [
  ['browser bundle (esbuild --minify)', total([ourBundle, wasm]), total([theirBundle]),
    `latchkey: JS ${kb(ourBundle.length)} (gzip ${kb(gz(ourBundle))}) + wasm ${kb(wasm.length)} (gzip ${kb(gz(wasm))})`],
  ['browser files as shipped', total(files(pkg, ['dist/latchkey.wasm', 'dist/latchkey.mjs', 'index.js', 'raw.js', 'abi.js', 'errors.js',
    'adapters/memory.js', 'adapters/local_storage.js'])), total(files(new URL('.', oauthUrl).pathname, ['index.js'])),
  'latchkey: dist/latchkey.{wasm,mjs}, index, raw, abi, errors, adapters/{memory,local_storage}; oauth4webapi: build/index.js'],
  ['whole package directory', total(files(pkg)), total(files(new URL('..', oauthUrl).pathname)), 'every file, gzip summed file by file'],
];
console.log('sizes                               latchkey raw / gzip       oauth4webapi raw / gzip   gzip ratio');
for (const [name, ours, theirs, note] of sizes) {
  console.log(`${pad(name, 36)}${pad(`${kb(ours.raw)} / ${kb(ours.gzip)}`, 26)}${pad(`${kb(theirs.raw)} / ${kb(theirs.gzip)}`, 26)}${(ours.gzip / theirs.gzip).toFixed(1)}×`);
  console.log(`  (${note})`);
}
// What the module is made of: its code and its data (the embedded catalog is most of the data).
function sections(bytes) {
  const out = {};
  let p = 8;
  const leb = () => { let r = 0, shift = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return r >>> 0; };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (id === 10) out.code = size;
    if (id === 11) out.data = size;
    p += size;
  }
  return out;
}
{
  const { code, data } = sections(wasm);
  console.log(`  (latchkey.wasm: code section ${kb(code)}, data section ${kb(data)}; the embedded catalog `
    + `core/catalog/providers.json is ${kb(JSON.stringify(JSON.parse(readFileSync(new URL('../core/catalog/providers.json', import.meta.url), 'utf8'))).length)} minified)`);
}
// The WASI module, when built beside (its own JS layer is wasm/wasi/raw.mjs).
const wasi = resolve('build/wasi/wasm/latchkey-wasi.wasm');
if (existsSync(wasi)) {
  const bytes = readFileSync(wasi);
  console.log(`${pad('latchkey-wasi.wasm (WASI reactor)', 36)}${kb(bytes.length)} / ${kb(gz(bytes))}`);
}
assert.ok(ourBundle.length > 1000 && theirBundle.length > 1000, 'both bundles built');

// ---------------------------------------------------------------- 2. cold start
// Timed inside a fresh process, from just before the import to a usable broker, in the phases
// createBroker() goes through by itself: the modules, then createRaw (read, compile and
// instantiate latchkey.wasm), then the engine (its configuration, the master-key check).
// Two ways: "fresh process" as is; "runtime warmed" after the process has loaded what Node
// loads lazily on first use whatever the library — its ES module loader (an empty module file
// of its own) and its Web Crypto (one getRandomValues) — which a browser page or a server that
// has imported anything before has already paid; the modules and the wasm are still cold.
const warmModule = join(mkdtempSync(join(tmpdir(), 'latchkey-bench-')), 'empty.mjs');
writeFileSync(warmModule, 'export default 1;\n');
const CHILD = `
if (process.argv[3] === 'warm') {
  await import(process.argv[4]);
  globalThis.crypto.getRandomValues(new Uint8Array(1));
}
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
let ok;
let t2 = t1;
if (process.argv[2] === 'latchkey') {
  const { createRaw } = await import(new URL('./raw.js', process.argv[1]));
  const raw = await createRaw();
  t2 = performance.now();
  const broker = await m.createBroker({ raw });
  ok = typeof broker.authorize === 'function';
} else {
  ok = typeof m.processAuthorizationCodeResponse === 'function';
}
const t3 = performance.now();
process.stdout.write(JSON.stringify({ ms: t3 - t0, phases: [t1 - t0, t2 - t1, t3 - t2], ok }));`;
const coldStart = (url, kind, how) => {
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE; delete env.NODE_OPTIONS;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, url, kind, how, pathToFileURL(warmModule).href], { env, encoding: 'utf8' }));
  assert.ok(r.ok, `${kind}: the module loaded but is not usable`);
  return r;
};
const spread = (xs) => `${median(xs).toFixed(2)} ms [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;
for (const how of ['warm', 'fresh']) {
  const cold = { ours: [], theirs: [] };
  for (let i = 0; i < samples; i++) {
    const pair = [() => cold.ours.push(coldStart(indexUrl, 'latchkey', how)), () => cold.theirs.push(coldStart(oauthUrl, 'oauth4webapi', how))];
    if (i % 2) pair.reverse();
    for (const run of pair) run();
  }
  const coldOurs = median(cold.ours.map((r) => r.ms));
  const coldTheirs = median(cold.theirs.map((r) => r.ms));
  const phase = (i) => median(cold.ours.map((r) => r.phases[i])).toFixed(2);
  console.log(`\ncold start (${how === 'warm' ? 'runtime warmed' : 'fresh process'}), median [min–max] of ${samples} processes:`);
  console.log(`  latchkey import + instantiate + createBroker  ${spread(cold.ours.map((r) => r.ms))}  `
    + `(medians: import ${phase(0)}, createRaw ${phase(1)}, engine + key check ${phase(2)} ms)${how === 'warm' ? '   target ≤ 5 ms' : ''}`);
  console.log(`  oauth4webapi import                           ${spread(cold.theirs.map((r) => r.ms))}`);
  console.log(`  latchkey / oauth4webapi                       ${(coldOurs / coldTheirs).toFixed(1)}× the time`);
}
rmSync(dirname(warmModule), { recursive: true, force: true });

// ---------------------------------------------------------------- shared fixtures
const raw = await createRaw({ wasmBinary: wasm });
const as = {
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
};
const client = { client_id: '123-abc.apps.googleusercontent.com' };
const redirectUri = 'http://127.0.0.1:53682/callback';
const accessToken = `ya29.${'x'.repeat(190)}`;
const refreshToken = `1//${'r'.repeat(100)}`;
const tokenBody = JSON.stringify({ access_token: accessToken, expires_in: 3599, refresh_token: refreshToken, scope: 'email', token_type: 'Bearer' });
const tokenResponse = () => new Response(tokenBody, { status: 200, headers: { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store' } });
const s256 = (verifier) => createHash('sha256').update(verifier).digest('base64url');

// Google's endpoints without its identity request (the catalog's google asks userinfo for the
// account after the token, which oauth4webapi's side does not do).
const plainGoogle = {
  key: 'plain-google', display_name: 'Google (no identity)', auth_mode: 'oauth2', issuer: as.issuer,
  authorization_endpoint: as.authorization_endpoint, token_endpoint: as.token_endpoint, api_base_url: 'https://www.googleapis.com',
  default_scopes: ['email'], pkce: 'required', token_endpoint_auth_method: 'client_secret_post',
  injection: { hosts: ['www.googleapis.com'], header: 'Authorization', prefix: 'Bearer ', query_param: null },
};

/// A broker on fresh memoryStorage with an app for `provider` (Google's catalog entry by
/// default); `fetch` answers every request with the token response and keeps the last form sent.
async function googleBroker(provider = 'google') {
  const seen = {};
  const fetch = async (url, init) => { seen.url = url; seen.form = new URLSearchParams(init.body); return tokenResponse(); };
  const broker = await createBroker({ raw, storage: memoryStorage(), fetch });
  if (provider !== 'google') await broker.providers.register(plainGoogle);
  await broker.apps.upsert({ provider, clientId: client.client_id, clientSecret: 'secret', redirectUri, scopes: ['email'] });
  return { broker, seen };
}

/// Runs `fn` (async) in batches for `ms`; ops/s.
async function rate(fn, ms) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
  }
  return n / ((performance.now() - t0) / 1000);
}

/// Alternating rounds of two measurements: { ours, theirs } medians in ops/s. One round a side
/// first, not counted: V8 compiles wasm functions lazily (Liftoff, then optimized), JS alike.
async function sideBySide(ours, theirs) {
  const r = { ours: [], theirs: [] };
  if (!quick) { await ours(); await theirs(); }
  for (let i = 0; i < rounds; i++) {
    const pair = [async () => r.ours.push(await ours()), async () => r.theirs.push(await theirs())];
    if (i % 2) pair.reverse();
    for (const run of pair) await run();
  }
  return { ours: median(r.ours), theirs: median(r.theirs) };
}

const table = [];
const row = (name, { ours, theirs }, target) => table.push({ name, ours, theirs, target });

// ---------------------------------------------------------------- 3. starting an authorization
function theirAuthorizationUrl(challenge, state) {
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'email', state,
    code_challenge: challenge, code_challenge_method: 'S256', access_type: 'offline', prompt: 'consent',
  }).toString();
  return url.href;
}
async function theirAuthorize() {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  return { url: theirAuthorizationUrl(challenge, state), verifier, state };
}

{ // Both outputs checked once, outside the timing: the same URL shape, a challenge of its verifier.
  const { broker } = await googleBroker();
  const ours = new URL((await broker.authorize('google', { redirectUri })).url);
  const theirs = new URL((await theirAuthorize()).url);
  assert.equal(ours.origin + ours.pathname, theirs.origin + theirs.pathname);
  for (const p of ['response_type', 'client_id', 'redirect_uri', 'code_challenge_method']) assert.equal(ours.searchParams.get(p), theirs.searchParams.get(p), p);
  assert.match(ours.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(ours.searchParams.get('state'));
  broker.close();
}
// A fresh broker a round: the pending sign-ins of one round stay its own (memoryStorage keeps them).
row('start an authorization', await sideBySide(
  async () => {
    const { broker } = await googleBroker();
    const ops = await rate(() => broker.authorize('google', { redirectUri }), roundMs);
    broker.close();
    return ops;
  },
  () => rate(theirAuthorize, roundMs),
), 'latchkey ≥ 0.5× (≤ 2× the time)');

// ---------------------------------------------------------------- 4. token-response processing
const now = Date.now();
async function ourTokenResponse(response) {
  const body = await response.text();
  const r = JSON.parse(raw.parseTokenResponse(JSON.stringify({
    provider: 'google', status: response.status, content_type: response.headers.get('content-type') ?? '', body, now_ms: now, requested_scope: 'email',
  })));
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.ok;
}
const theirTokenResponse = (response) => oauth.processAuthorizationCodeResponse(as, client, response);
{
  const ours = await ourTokenResponse(tokenResponse());
  const theirs = await theirTokenResponse(tokenResponse());
  assert.equal(ours.access_token, accessToken);
  assert.equal(ours.refresh_token, refreshToken);
  assert.equal(ours.expires_at_ms, now + 3599_000);
  assert.equal(theirs.access_token, accessToken);
  assert.equal(theirs.refresh_token, refreshToken);
  assert.equal(theirs.expires_in, 3599);
  assert.equal(theirs.token_type, 'bearer'); // oauth4webapi lower-cases it
}
row('token response → token fields', await sideBySide(
  () => rate(() => ourTokenResponse(tokenResponse()), roundMs),
  () => rate(() => theirTokenResponse(tokenResponse()), roundMs),
), 'latchkey ≥ 1×');

// The whole callback, from the redirect to the token: each op needs a sign-in started before the
// timing, so a round starts `count` of them, then times their callbacks.
const count = quick ? 20 : 300;
async function ourCallbacks() {
  const { broker, seen } = await googleBroker(plainGoogle.key);
  const started = [];
  for (let i = 0; i < count; i++) started.push(new URL((await broker.authorize(plainGoogle.key, { redirectUri })).url));
  const t0 = performance.now();
  let last;
  for (const url of started) {
    const state = url.searchParams.get('state');
    last = await broker.handleCallback(`${redirectUri}?code=c-${state}&state=${state}&scope=email&iss=${encodeURIComponent(as.issuer)}`);
  }
  const ops = count / ((performance.now() - t0) / 1000);
  // The last callback sent its own code and the verifier of its challenge, and kept the token.
  const lastUrl = started.at(-1);
  assert.equal(seen.url, as.token_endpoint);
  assert.equal(seen.form.get('code'), `c-${lastUrl.searchParams.get('state')}`);
  assert.equal(s256(seen.form.get('code_verifier')), lastUrl.searchParams.get('code_challenge'));
  assert.equal(last.status, 'connected');
  assert.equal(await broker.getAccessToken(last.id), accessToken);
  broker.close();
  return ops;
}
async function theirCallbacks() {
  const seen = {};
  const stub = async (url, init) => { seen.url = String(url); seen.form = new URLSearchParams(init.body); return tokenResponse(); };
  const started = [];
  for (let i = 0; i < count; i++) started.push(await theirAuthorize());
  const t0 = performance.now();
  let last;
  for (const { state, verifier } of started) {
    const callback = new URL(`${redirectUri}?code=c-${state}&state=${state}&scope=email&iss=${encodeURIComponent(as.issuer)}`);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost('secret'), params, redirectUri, verifier, { [oauth.customFetch]: stub });
    last = await oauth.processAuthorizationCodeResponse(as, client, response);
  }
  const ops = count / ((performance.now() - t0) / 1000);
  const lastUrl = new URL(started.at(-1).url);
  assert.equal(seen.url, as.token_endpoint);
  assert.equal(seen.form.get('code'), `c-${started.at(-1).state}`);
  assert.equal(s256(seen.form.get('code_verifier')), lastUrl.searchParams.get('code_challenge'));
  assert.equal(last.access_token, accessToken);
  return ops;
}
row('callback → token (whole)', await sideBySide(ourCallbacks, theirCallbacks), '—');

// ---------------------------------------------------------------- the table
const us = (opsPerSec) => (1e6 / opsPerSec).toFixed(1);
console.log(`\nthroughput, median of ${rounds} alternating round(s)${quick ? '' : ` of ${roundMs} ms (the whole callback: ${count} ops)`}`);
console.log('operation                         latchkey ops/s (µs/op)    oauth4webapi ops/s (µs/op)  latchkey / oauth4webapi   target');
for (const r of table) {
  console.log(`${pad(r.name, 34)}${pad(`${Math.round(r.ours)} (${us(r.ours)})`, 26)}${pad(`${Math.round(r.theirs)} (${us(r.theirs)})`, 28)}`
    + `${lpad(`${(r.ours / r.theirs).toFixed(2)}×`, 8)}                ${r.target}`);
}
if (quick) console.log('\n--quick: both sides gave correct outputs (the figures above mean nothing)');
