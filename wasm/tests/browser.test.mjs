// The Emscripten package in a real browser: headless Debian Chromium (driven by playwright-core)
// loads the ES module, connects through the test AS's real login and consent pages, and calls
// the API as the user.
//
// The page is served from http://127.0.0.1:<port> (a secure context, so WebCrypto works) by a
// small server in this test, which also serves the built package under /pkg/. Two things a
// browser needs that the fixtures do not give it:
//  - trust in the fixtures' TLS: Chromium takes no CA file without an NSS database, so it is
//    launched with --ignore-certificate-errors-spki-list pinning exactly the test server
//    certificate's public key (the AS's consent pages are visited over https);
//  - CORS: the AS allows no cross-origin token requests (the fixture's clientBasedCORS is
//    false) and the API sends no CORS headers, so the page server reverse-proxies both under
//    the page's origin (/as/*, /api/*), as a site would whose provider has no CORS. The consent
//    pages themselves are the AS's own origin; the provider's issuer stays the real AS's, so
//    the callback's RFC 9207 `iss` is checked against it.
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { after, before, test } from 'node:test';

import { fixtures, layers, pki } from './support.mjs';

const CHROMIUM = '/usr/bin/chromium';
const layer = (await layers()).find((l) => l.name === 'emscripten');
let playwright;
try {
  playwright = await import('playwright-core');
} catch {
  playwright = null;
}
const skip = !layer ? 'set LATCHKEY_WASM_PKG to the built Emscripten package'
  : !existsSync(CHROMIUM) ? `no ${CHROMIUM} (apt-get install chromium)`
    : !playwright ? 'playwright-core is not installed (npm ci)' : false;

const MIME = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>latchkey browser test</title></head><body>
<script type="module">
  import * as latchkey from '/pkg/index.js';
  window.latchkey = latchkey;
  document.title = 'ready';
</script></body></html>`;

/// The page server: the page, the package, and same-origin reverse proxies to the AS and API.
async function pageServer(fx, pkgDir) {
  const ca = readFileSync(pki.ca.cert);
  const upstream = { '/as/': fx.as.issuer, '/api/': fx.api.url };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(PAGE);
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (url.pathname === '/oauth/callback') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!DOCTYPE html><title>callback</title><p>Back at the app.</p>');
    }
    if (url.pathname.startsWith('/pkg/')) {
      const file = normalize(join(pkgDir, decodeURIComponent(url.pathname.slice('/pkg/'.length))));
      if (!file.startsWith(pkgDir + sep) || !existsSync(file)) {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      return res.end(readFileSync(file));
    }
    const prefix = Object.keys(upstream).find((p) => url.pathname.startsWith(p));
    if (!prefix) {
      res.writeHead(404);
      return res.end();
    }
    const target = new URL(url.pathname.slice(prefix.length - 1) + url.search, upstream[prefix]);
    const headers = { ...req.headers, host: target.host };
    for (const h of ['origin', 'referer', 'cookie', 'connection']) delete headers[h];
    const out = https.request(target, { method: req.method, headers, ca }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    out.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    return req.pipe(out);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of the fixtures' server certificate.
function spkiHash(certFile) {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

let fx;
let site;
let context;
let profile;
before(async () => {
  if (skip) return;
  fx = await fixtures();
  site = await pageServer(fx, layer.pkgDir);
  profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
  context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', `--ignore-certificate-errors-spki-list=${spkiHash(pki.server.cert)}`],
  });
});
after(async () => {
  await context?.close();
  site?.server.close();
  await fx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('Chromium: the ES module connects through the real consent pages and calls the API', { skip }, async () => {
  const errors = [];
  const app = await context.newPage();
  app.on('pageerror', (e) => errors.push(String(e)));
  app.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`); });
  await app.goto(`${site.origin}/`);
  await app.waitForFunction(() => document.title === 'ready', null, { timeout: 10000 });

  const o = site.origin;
  const provider = {
    key: 'testas',
    display_name: 'Test AS (browser)',
    auth_mode: 'oauth2',
    authorization_endpoint: fx.as.endpoints.authorization,
    issuer: fx.as.issuer,
    token_endpoint: `${o}/as/token`,
    revocation_endpoint: `${o}/as/token/revocation`,
    userinfo_endpoint: `${o}/as/me`,
    api_base_url: `${o}/api`,
    default_scopes: ['openid', 'api:read'],
    pkce: 'required',
    token_endpoint_auth_method: 'client_secret_basic',
    identity: { url: `${o}/as/me`, account_path: 'sub', headers: {} },
    injection: { hosts: [o], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  };
  const consentUrl = await app.evaluate(async ({ provider, redirectUri }) => {
    const { createBroker, memoryStorage } = window.latchkey;
    window.broker = await createBroker({ storage: memoryStorage() });
    await window.broker.providers.register(provider);
    await window.broker.apps.upsert({ provider: 'testas', clientId: 'latchkey-cli', clientSecret: 'cli-secret', redirectUri });
    return (await window.broker.authorize('testas')).url;
  }, { provider, redirectUri: `${o}/oauth/callback` });
  assert.ok(consentUrl.startsWith(fx.as.endpoints.authorization));

  // The user, in a second tab: the AS's real login and consent forms, over pinned TLS.
  const user = await context.newPage();
  await user.goto(consentUrl);
  await user.fill('#login input[name=login]', 'alice');
  await user.fill('#login input[name=password]', 'password');
  await user.click('#login button[type=submit]');
  await user.waitForSelector('#consent');
  await user.click('#consent button[type=submit]');
  await user.waitForURL(`${o}/oauth/callback?**`);
  const callbackUrl = user.url();
  await user.close();

  fx.api.resetStats();
  const result = await app.evaluate(async (callback) => {
    const conn = await window.broker.handleCallback(callback);
    const token = await window.broker.getAccessToken(conn.id);
    const res = await window.broker.fetch(conn.id, '/me');
    return { conn, token, status: res.status, body: await res.json() };
  }, callbackUrl);
  assert.equal(result.conn.id, 'testas/alice');
  assert.equal(result.conn.status, 'connected');
  assert.equal(result.status, 200);
  assert.equal(result.body.sub, 'alice');
  assert.equal(fx.api.stats.lastAuthorization, `Bearer ${result.token}`);
  assert.equal((await fx.as.introspect(result.token)).active, true);
  assert.deepEqual(errors, []);
});
