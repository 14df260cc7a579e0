// latchkeyd end to end: the real gateway binary over HTTP, with API keys for three principals,
// a connection made by the real CLI against the fixture authorization server (oidc-provider
// behind TLS), and the same SQLite store shared by both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, providerFor, raw, request, runD, sleep, startGateway, startWith, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// A web root with one file of each type the gateway names, and files named like API routes
/// (which must never shadow them).
function makeWebRoot() {
  const dir = tempDir('latchkey-web-');
  const files = {
    'index.html': '<!doctype html><title>vault</title>',
    'app.js': 'export const x = 1;',
    'app.js.map': '{"version":3}',
    'style.css': 'body{}',
    'data.json': '{"a":1}',
    'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'img.png': '\x89PNG\r\n',
    'mod.wasm': '\0asm',
    'healthz': 'a file, not the route',
    'metrics': 'a file, not the route',
    'sub/index.html': '<p>sub</p>',
    'oauth/callback': 'a file, not the route',
    'v1/connections': 'a file, not the route',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, '..', 'latchkey-outside.txt'), 'outside the web root');
  return dir;
}

const APP_ORIGIN = 'http://app.test:5173';

/// Makes a started sign-in's pending record expire, as if the user had taken longer than its
/// lifetime: the engine's pending_ttl_ms (10 minutes) is not settable from latchkeyd, so the
/// record's expiry is moved into the past in the store (sqlite3, as the scripts inspect it).
function expirePending(storePath, state) {
  const key = `pending/${createHash('sha256').update(state).digest('base64url')}`;
  const changed = execFileSync('sqlite3', ['-cmd', '.timeout 5000', storePath,
    `UPDATE records SET value = json_set(value, '$.expires_at_ms', 1) WHERE key = '${key}'; SELECT changes();`]);
  assert.equal(changed.toString().trim(), '1', 'the pending record was found');
}

describe('latchkeyd', () => {
  let as; let api; let cli; let gw; let keys = {}; let token; let web;
  // Every token the AS issued, and every code and state the tests saw: none may reach a log.
  const issued = new Set();
  const seen = new Set();
  before(async () => {
    as = await startAuthServer({ pki });
    for (const kind of ['access_token', 'refresh_token', 'authorization_code', 'client_credentials']) {
      as.provider.on(`${kind}.saved`, (t) => issued.add(t.jti));  // opaque tokens: the value is the jti
    }
    api = await startApiServer({ pki, authServer: as });
    web = makeWebRoot();
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, api);

    // alice connects through the CLI, as principal "alice".
    const connected = await cli.connect('testas', [], {}, { principal: 'alice' });
    assert.ok(connected.url, 'connect printed an authorization link');
    assert.equal(connected.status, 0, connected.stderr);

    Object.assign(keys, await createKeys(cli, [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']]));
    for (const k of Object.values(keys)) assert.match(k, /^lk_[A-Za-z0-9_-]{43}$/);
    gw = await startGateway(cli, ['--return-to-origin', APP_ORIGIN, '--web-root', web]);
    // Only the SIGTERM test ends it: any other exit is a crash, told with what latchkeyd said.
    gw.exited.then(({ code, signal }) => {
      if (signal !== 'SIGTERM' && signal !== 'SIGKILL' && code !== 0) {
        const said = gw.stderr.split('\n').filter((l) => l && !l.startsWith('{"ts_ms"')).join('\n');
        console.error(`latchkeyd exited unexpectedly (code ${code}, signal ${signal}): ${said}`);
      }
    });
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await api.close();
    await as.close();
  });

  test('healthz needs no key', async () => {
    const r = await request(`${gw.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { ok: true });
  });

  test('no key or a bad key is 401', async () => {
    for (const key of [undefined, 'lk_not-a-real-key-0000000000000000000000000000', 'garbage']) {
      const r = await request(`${gw.url}/v1/connections`, { key });
      assert.equal(r.status, 401);
      assert.equal(r.json().error.code, 'unauthorized');
    }
  });

  test('providers are listed for any key', async () => {
    const r = await request(`${gw.url}/v1/providers`, { key: keys.bob });
    assert.equal(r.status, 200);
    assert.ok(r.json().some((p) => p.key === 'testas'));
    const one = await request(`${gw.url}/v1/providers/testas`, { key: keys.bob });
    assert.equal(one.status, 200);
    assert.equal(one.json().provider?.key ?? one.json().key, 'testas');
    assert.equal((await request(`${gw.url}/v1/providers/no-such`, { key: keys.bob })).status, 404);
  });

  test('alice sees and uses her connection', async () => {
    const list = await request(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json().map((c) => c.id), ['testas/alice']);
    const status = await request(`${gw.url}/v1/connections/testas/alice`, { key: keys.alice });
    assert.equal(status.status, 200);
    assert.equal(status.json().status, 'connected');
    const t = await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key: keys.alice });
    assert.equal(t.status, 200, t.text);
    token = t.json().access_token;
    assert.ok(token && t.json().expires_at > Date.now());
    assert.equal((await as.introspect(token)).active, true);
  });

  test('whoami names the key\'s principal and role', async () => {
    const pick = ({ principal, role, expires_at_ms, session }) => ({ principal, role, expires_at_ms, session });
    const alice = (await request(`${gw.url}/v1/whoami`, { key: keys.alice })).json();
    assert.deepEqual(pick(alice), { principal: 'alice', role: 'user', expires_at_ms: null, session: false });
    assert.match(alice.key_id, /^key_[0-9a-f]{18}$/);
    assert.deepEqual(pick((await request(`${gw.url}/v1/whoami`, { key: keys.admin })).json()),
      { principal: 'admin', role: 'admin', expires_at_ms: null, session: false });
    assert.equal((await request(`${gw.url}/v1/whoami`)).status, 401);
  });

  test('ping makes the provider\'s declared call with the connection', async () => {
    api.resetStats();
    const r = await request(`${gw.url}/v1/connections/testas/alice/ping`, { method: 'POST', key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().ok, true);
    assert.equal(r.json().status, 200);
    assert.equal(typeof r.json().ms, 'number');
    assert.equal(api.stats.byPath['/me'], 1);
    assert.equal((await request(`${gw.url}/v1/connections/testas/alice/ping`, { method: 'POST', key: keys.bob })).status, 404);
  });

  test('proxy: GET signs with alice\'s token, never the caller\'s key', async () => {
    api.resetStats();
    const r = await request(`${gw.url}/v1/proxy/testas/me`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json().sub, 'string');
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(api.stats.lastAuthorization, `Bearer ${token}`);
    assert.ok(!api.stats.lastAuthorization.includes(keys.alice));
    // An explicit account works too; an unknown one is 404.
    const named = await request(`${gw.url}/v1/proxy/testas/me`, { key: keys.alice, headers: { 'x-latchkey-account': 'alice' } });
    assert.equal(named.status, 200, named.text);
    const other = await request(`${gw.url}/v1/proxy/testas/me`, { key: keys.alice, headers: { 'x-latchkey-account': 'nobody' } });
    assert.equal(other.status, 404, other.text);
    assert.equal(other.json().error.code, 'not_found');
  });

  test('proxy: method, body, query and headers forwarded; credentials and hop-by-hop not', async () => {
    const body = JSON.stringify({ hello: 'world', n: 1 });
    const r = await request(`${gw.url}/v1/proxy/testas/echo?a=1&b=two`, {
      method: 'POST',
      key: keys.alice,
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        cookie: 'session=caller-cookie',
        'x-latchkey-trace': 'caller-trace',
        'x-custom': 'kept',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-hop': 'named-in-connection',
        connection: 'close, x-hop',
      },
    });
    assert.equal(r.status, 200, r.text);
    const echo = r.json();
    assert.equal(echo.method, 'POST');
    assert.equal(echo.path, '/echo');
    assert.deepEqual(echo.query, { a: '1', b: 'two' });
    assert.equal(echo.body, body);
    assert.equal(echo.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(echo.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(echo.headers['x-custom'], 'kept');
    assert.equal(echo.headers.authorization, `Bearer ${token}`);
    assert.ok(!r.text.includes(keys.alice), "the caller's key is not forwarded");
    for (const h of ['cookie', 'x-latchkey-trace', 'proxy-authorization', 'x-hop']) {
      assert.equal(echo.headers[h], undefined, h);
    }
    assert.notEqual(echo.headers.host, new URL(gw.url).host);
    // PUT and DELETE pass through as well.
    for (const method of ['PUT', 'DELETE']) {
      const m = await request(`${gw.url}/v1/proxy/testas/echo`, { method, key: keys.alice, body: '{}' });
      assert.equal(m.status, 200, m.text);
      assert.equal(m.json().method, method);
    }
  });

  test('proxy: upstream errors and statuses pass through as they are', async () => {
    const missing = await request(`${gw.url}/v1/proxy/testas/no-such-path`, { key: keys.alice });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { error: 'not_found' });
    const html = await request(`${gw.url}/v1/proxy/testas/html-error`, { key: keys.alice });
    assert.equal(html.status, 502);
    assert.match(html.headers['content-type'], /^text\/html/);
    assert.match(html.text, /502 Bad Gateway/);
  });

  test('proxy: path traversal is refused', async () => {
    for (const path of ['/v1/proxy/testas/../me', '/v1/proxy/testas/%2e%2e/me', '/v1/proxy/testas/a/%2E%2E/me',
      '/v1/proxy/testas/./me', '/v1/proxy/testas/%2e/me', '/v1/proxy/testas/a%2F..%2Fme', '/v1/proxy/testas/%252e%252e/me',
      '/v1/proxy/testas/a\\..\\me', '/v1/proxy/testas/a%5c..%5cme']) {
      api.resetStats();
      const r = await request(gw.url, { key: keys.alice, path });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, /path/, `${path}: refused by the route, not the HTTP parser`);
      assert.equal(api.stats.requests, 0, `${path} reached the API`);
    }
  });

  test('proxy: other principals, unknown providers and no key', async () => {
    const bob = await request(`${gw.url}/v1/proxy/testas/me`, { key: keys.bob });
    assert.equal(bob.status, 404, bob.text);
    assert.equal(bob.json().error.code, 'not_found');
    const none = await request(`${gw.url}/v1/proxy/no-such/me`, { key: keys.alice });
    assert.equal(none.status, 404, none.text);
    assert.equal(none.json().error.code, 'not_found');
    assert.equal((await request(`${gw.url}/v1/proxy/testas/me`)).status, 401);
  });

  test('proxy: a revoked access token is refreshed once and the request retried', async () => {
    const before = as.stats.token.refresh_token ?? 0;
    assert.equal(await as.revoke(token), true);
    const r = await request(`${gw.url}/v1/proxy/testas/me`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(as.stats.token.refresh_token ?? 0, before + 1);
    const t = await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key: keys.alice });
    assert.equal(t.status, 200, t.text);
    assert.notEqual(t.json().access_token, token);
    token = t.json().access_token;
    assert.equal(api.stats.lastAuthorization, `Bearer ${token}`);
  });

  test('proxy: a 10 MiB upstream body fits the 16 MiB cap', async () => {
    const r = await request(`${gw.url}/v1/proxy/testas/huge`, { key: keys.alice });
    assert.equal(r.status, 200);
    assert.equal(r.text.length, 10 * 1024 * 1024);
    assert.equal(r.headers['content-length'], String(10 * 1024 * 1024));
  });

  test('proxy: metrics count proxied requests', async () => {
    const r = await request(`${gw.url}/metrics`);
    assert.match(r.text, /latchkeyd_proxy_requests_total\{provider="testas",status="200"\} \d+/);
    assert.match(r.text, /latchkeyd_requests_total\{route="\/v1\/proxy\/\{provider\}\/\*",status="200"\} \d+/);
  });

  test("bob cannot see alice's connection", async () => {
    const list = await request(`${gw.url}/v1/connections`, { key: keys.bob });
    assert.deepEqual(list.json(), []);
    for (const [method, path] of [['GET', ''], ['POST', '/token'], ['DELETE', '']]) {
      const r = await request(`${gw.url}/v1/connections/testas/alice${path}`, { method, key: keys.bob });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.json().error.code, 'not_found');
    }
  });

  test('app credentials: admin only, secret write-only', async () => {
    const body = JSON.stringify({ client_id: 'gw-client', client_secret: 'gw-very-secret', scopes: ['openid'] });
    const denied = await request(`${gw.url}/v1/providers/github/app`, { method: 'PUT', key: keys.alice, body });
    assert.equal(denied.status, 403);
    assert.equal(denied.json().error.code, 'forbidden');
    const ok = await request(`${gw.url}/v1/providers/github/app`, { method: 'PUT', key: keys.admin, body });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().has_client_secret, true);
    assert.equal(ok.json().client_id, 'gw-client');
    assert.ok(!ok.text.includes('gw-very-secret'));
  });

  test('bad bodies and unknown routes are JSON errors', async () => {
    const bad = await request(`${gw.url}/v1/providers/github/app`, { method: 'PUT', key: keys.admin, body: '{"client_id": ' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
    const big = await request(`${gw.url}/v1/providers/github/app`,
      { method: 'PUT', key: keys.admin, body: JSON.stringify({ client_id: 'x'.repeat(2 << 20) }) });
    assert.equal(big.status, 413);
    assert.equal(big.json().error.code, 'invalid_request');
    const none = await request(`${gw.url}/v2/nothing`, { key: keys.alice });
    assert.equal(none.status, 404);
    assert.equal(none.json().error.code, 'not_found');
  });

  test('keep-alive serves several requests on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set();
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve, reject) => {
        const req = http.get(`${gw.url}/healthz`, { agent }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
      });
    }
    agent.destroy();
    assert.equal(sockets.size, 1);
  });

  test('DELETE with revoke kills the tokens at the AS', async () => {
    const r = await request(`${gw.url}/v1/connections/testas/alice?revoke=true`, { method: 'DELETE', key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().deleted, true);
    assert.equal(r.json().revoked, true);
    assert.equal((await as.introspect(token)).active, false);
    const list = await request(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.deepEqual(list.json(), []);
  });

  test('custom providers over REST: admin writes, anyone reads', async () => {
    const def = providerFor(as, api, { key: 'gwas' });
    const denied = await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.alice, body: JSON.stringify(def) });
    assert.equal(denied.status, 403);
    assert.equal(denied.json().error.code, 'forbidden');
    const created = await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().provider?.key ?? created.json().key, 'gwas');
    const again = await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json().error.code, 'conflict');
    const invalid = await request(`${gw.url}/v1/providers`,
      { method: 'POST', key: keys.admin, body: JSON.stringify({ ...def, key: 'gwbad', token_endpoint: 'http://example.com/token' }) });
    assert.equal(invalid.status, 400, invalid.text);
    assert.equal(invalid.json().error.code, 'invalid_request');
    assert.ok(invalid.json().error.message.length > 0);
    assert.equal((await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: '{' })).status, 400);

    const renamed = { ...def, display_name: 'Gateway AS' };
    assert.equal((await request(`${gw.url}/v1/providers/gwas`, { method: 'PUT', key: keys.bob, body: JSON.stringify(renamed) })).status, 403);
    const put = await request(`${gw.url}/v1/providers/gwas`, { method: 'PUT', key: keys.admin, body: JSON.stringify(renamed) });
    assert.equal(put.status, 200, put.text);
    const read = await request(`${gw.url}/v1/providers/gwas`, { key: keys.bob });
    assert.equal((read.json().provider ?? read.json()).display_name, 'Gateway AS');
    // A PUT may name only what changes, and what GET answered goes back in as it is.
    const partial = await request(`${gw.url}/v1/providers/gwas`, { method: 'PUT', key: keys.admin, body: JSON.stringify({ display_name: 'Gateway AS 2' }) });
    assert.equal(partial.status, 200, partial.text);
    const reread = (await request(`${gw.url}/v1/providers/gwas`, { key: keys.bob })).json();
    assert.equal(reread.display_name, 'Gateway AS 2');
    assert.equal(reread.token_endpoint, def.token_endpoint);
    const roundTrip = await request(`${gw.url}/v1/providers/gwas`, { method: 'PUT', key: keys.admin, body: JSON.stringify(reread) });
    assert.equal(roundTrip.status, 200, roundTrip.text);
    const mismatch = await request(`${gw.url}/v1/providers/gwas`, { method: 'PUT', key: keys.admin, body: JSON.stringify({ ...def, key: 'other' }) });
    assert.equal(mismatch.status, 400);
    const builtin = await request(`${gw.url}/v1/providers/github`, { method: 'PUT', key: keys.admin, body: JSON.stringify({ ...def, key: 'github' }) });
    assert.equal(builtin.status, 400, builtin.text);
    assert.equal((await request(`${gw.url}/v1/providers/github`, { method: 'DELETE', key: keys.admin })).status, 400);

    const app = JSON.stringify({ client_id: 'latchkey-cli', client_secret: 'cli-secret' });
    const appOk = await request(`${gw.url}/v1/providers/gwas/app`, { method: 'PUT', key: keys.admin, body: app });
    assert.equal(appOk.status, 200, appOk.text);

    // A throwaway provider to delete.
    const tmp = providerFor(as, api, { key: 'gwtmp' });
    assert.equal((await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(tmp) })).status, 201);
    assert.equal((await request(`${gw.url}/v1/providers/gwtmp`, { method: 'DELETE', key: keys.alice })).status, 403);
    const del = await request(`${gw.url}/v1/providers/gwtmp?force=true`, { method: 'DELETE', key: keys.admin });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json().removed, true);
    assert.equal((await request(`${gw.url}/v1/providers/gwtmp`, { key: keys.admin })).status, 404);
  });

  test('authorize → consent → the gateway callback page', async () => {
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?scopes=openid,api:read`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    const { authorization_url: url, state } = r.json();
    assert.ok(url && state);
    assert.equal(new URL(url).searchParams.get('redirect_uri'), `${gw.url}/oauth/callback`);
    assert.equal(new URL(url).searchParams.get('state'), state);
    const consent = await completeConsent(url, { caFile: pki.ca.cert, fetchCallback: false });
    assert.ok(consent.callbackUrl.startsWith(`${gw.url}/oauth/callback?`));
    const code = consent.params.code;
    assert.ok(code);
    seen.add(code).add(state);
    const page = await request(consent.callbackUrl);
    assert.equal(page.status, 200, page.text);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['content-security-policy'], "default-src 'none'; script-src 'unsafe-inline'");
    assert.match(page.text, /connected/);
    assert.match(page.text, /history\.replaceState\(null, '', '\/oauth\/callback'\)/);
    assert.match(page.text, /window\.opener\?\.postMessage\(m, location\.origin\)/);
    assert.match(page.text, /new BroadcastChannel\('latchkey-oauth'\)\.postMessage\(m\)/);
    assert.match(page.text, /latchkey:connected/);
    assert.ok(!page.text.includes(code), 'the code is not echoed');
    assert.ok(!page.text.includes(state), 'the state is not echoed');
    assert.ok(!/<script[^>]+src=/i.test(page.text), 'no external script');

    const list = await request(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.deepEqual(list.json().map((c) => c.id), ['gwas/alice']);
    assert.deepEqual((await request(`${gw.url}/v1/connections`, { key: keys.bob })).json(), []);

    const replay = await request(consent.callbackUrl);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /Not connected/);
    const replayJson = await request(consent.callbackUrl, { headers: { accept: 'application/json' } });
    assert.equal(replayJson.status, 400);
    assert.equal(replayJson.json().error.code, 'state_reused');  // the core tells a replay from a stranger
    const unknown = await request(`${gw.url}/oauth/callback?code=x&state=nope`, { headers: { accept: 'application/json' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json().error.code, 'invalid_state');
    assert.equal((await request(`${gw.url}/oauth/callback`)).status, 400);
  });

  test('authorize: return_to off the allow-list is refused; unknown provider is 404', async () => {
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent('https://evil.example/')}`,
      { key: keys.alice });
    assert.equal(r.status, 400);
    assert.equal(r.json().error.code, 'invalid_request');
    assert.match(r.json().error.message, /return_to/);
    assert.equal((await request(`${gw.url}/v1/providers/no-such/authorize`, { key: keys.alice })).status, 404);
    assert.equal((await request(`${gw.url}/v1/providers/gwas/authorize`)).status, 401);
  });

  test('POST /v1/oauth/exchange completes for the principal that started it only', async () => {
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?account=second`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    const consent = await completeConsent(r.json().authorization_url, { caFile: pki.ca.cert, fetchCallback: false });
    const body = JSON.stringify({ code: consent.params.code, state: consent.params.state });
    seen.add(consent.params.code).add(consent.params.state);
    const asBob = await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.bob, body });
    assert.ok([400, 404].includes(asBob.status), asBob.text);
    assert.ok(!asBob.text.includes('alice'));
    const unknown = await request(`${gw.url}/v1/oauth/exchange`,
      { method: 'POST', key: keys.bob, body: JSON.stringify({ code: 'x', state: 'not-a-state' }) });
    assert.equal(unknown.status, asBob.status);
    assert.deepEqual(unknown.json(), asBob.json());
    const ok = await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.alice, body });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().id, 'gwas/second');
    assert.equal(ok.json().status, 'connected');
    assert.equal((await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.alice, body })).status, 400);
    const bad = await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.alice, body: '{"code":1}' });
    assert.equal(bad.status, 400);
    const t = await request(`${gw.url}/v1/connections/gwas/second/token`, { method: 'POST', key: keys.alice });
    assert.equal(t.status, 200, t.text);
    assert.equal((await as.introspect(t.json().access_token)).active, true);
  });

  test('client credentials connect', async () => {
    const def = providerFor(as, api, { key: 'gwm2m', mode: 'client_credentials' });
    assert.equal((await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) })).status, 201);
    const app = JSON.stringify({ client_id: 'latchkey-m2m', client_secret: 'm2m-secret' });
    assert.equal((await request(`${gw.url}/v1/providers/gwm2m/app`, { method: 'PUT', key: keys.admin, body: app })).status, 200);
    const c = await request(`${gw.url}/v1/providers/gwm2m/connect`, { method: 'POST', key: keys.bob });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json().grant, 'client_credentials');
    assert.equal(c.json().principal, 'bob');
    const id = c.json().id;
    const t = await request(`${gw.url}/v1/connections/${id}/token`, { method: 'POST', key: keys.bob });
    assert.equal(t.status, 200, t.text);
    assert.equal((await as.introspect(t.json().access_token)).active, true);
    assert.equal((await request(`${gw.url}/v1/connections/${id}/token`, { method: 'POST', key: keys.alice })).status, 404);
    const bad = await request(`${gw.url}/v1/providers/gwm2m/connect`, { method: 'POST', key: keys.bob, body: '{"nope":1}' });
    assert.equal(bad.status, 400);
  });

  test('proxy: an unreachable upstream is a 502 JSON error', async () => {
    const free = net.createServer();
    await new Promise((resolve) => free.listen(0, '127.0.0.1', resolve));
    const { port } = free.address();
    await new Promise((resolve) => free.close(resolve));
    const def = providerFor(as, { url: `https://127.0.0.1:${port}` }, { key: 'gwdead', mode: 'client_credentials' });
    assert.equal((await request(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) })).status, 201);
    const app = JSON.stringify({ client_id: 'latchkey-m2m', client_secret: 'm2m-secret' });
    assert.equal((await request(`${gw.url}/v1/providers/gwdead/app`, { method: 'PUT', key: keys.admin, body: app })).status, 200);
    assert.equal((await request(`${gw.url}/v1/providers/gwdead/connect`, { method: 'POST', key: keys.bob })).status, 200);
    const r = await request(`${gw.url}/v1/proxy/gwdead/me`, { key: keys.bob });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json().error.code, 'transport');
    assert.ok(r.json().error.message.length > 0);
  });

  test('app reads say has_client_secret, never the secret; "" clears it, leaving it out keeps it', async () => {
    const put = (body) => request(`${gw.url}/v1/providers/gwas/app`, { method: 'PUT', key: keys.admin, body: JSON.stringify(body) });
    const read = async () => {
      const r = await request(`${gw.url}/v1/providers/gwas/app`, { key: keys.bob });
      assert.equal(r.status, 200, r.text);
      assert.ok(!r.text.includes('cli-secret') && !r.text.includes('rotated-secret'), 'a read returned the secret');
      assert.equal(r.json().client_secret, undefined);
      return r.json();
    };
    assert.equal((await read()).has_client_secret, true);
    assert.equal((await put({ client_id: 'latchkey-cli' })).status, 200);
    assert.equal((await read()).has_client_secret, true, 'leaving client_secret out keeps it');
    const cleared = await put({ client_id: 'latchkey-cli', client_secret: '' });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.json().has_client_secret, false);
    assert.equal((await read()).has_client_secret, false);
    const set = await put({ client_id: 'latchkey-cli', client_secret: 'rotated-secret' });
    assert.ok(!set.text.includes('rotated-secret'));
    assert.equal((await read()).has_client_secret, true);
    assert.equal((await put({ client_id: 'latchkey-cli', client_secret: 'cli-secret' })).status, 200);
    assert.equal((await request(`${gw.url}/v1/providers/no-such/app`, { key: keys.bob })).status, 404);
    // DELETE is admin-only and removes the app; PUT puts it back.
    assert.equal((await request(`${gw.url}/v1/providers/gwas/app`, { method: 'DELETE', key: keys.bob })).status, 403);
    assert.equal((await request(`${gw.url}/v1/providers/gwas/app`, { method: 'DELETE', key: keys.admin })).status, 200);
    assert.equal((await request(`${gw.url}/v1/providers/gwas/app`, { key: keys.bob })).status, 404);
    assert.equal((await put({ client_id: 'latchkey-cli', client_secret: 'cli-secret' })).status, 200);
    assert.equal((await request(`${gw.url}/v1/providers/gwas/app`, { method: 'POST', key: keys.admin })).status, 405);
  });

  test('return_to: an allow-listed origin gets a 303 back with the outcome, once', async () => {
    const returnTo = `${APP_ORIGIN}/done?tab=2#section`;
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?account=back&return_to=${encodeURIComponent(returnTo)}`,
      { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    const consent = await completeConsent(r.json().authorization_url, { caFile: pki.ca.cert, fetchCallback: false });
    seen.add(consent.params.code).add(consent.params.state);
    const back = await request(consent.callbackUrl);
    assert.equal(back.status, 303, back.text);
    assert.equal(back.headers['referrer-policy'], 'no-referrer');
    const location = back.headers.location;
    assert.equal(location, `${APP_ORIGIN}/done?tab=2&latchkey_status=connected&provider=gwas&account=back#section`);
    for (const secret of [consent.params.code, consent.params.state]) assert.ok(!location.includes(secret));
    assert.ok(!back.text.includes(consent.params.code));
    const t = await request(`${gw.url}/v1/connections/gwas/back/token`, { method: 'POST', key: keys.alice });
    assert.equal(t.status, 200, t.text);
    // Consumed: a replay gets the page (the state is used up), not another redirect.
    const replay = await request(consent.callbackUrl);
    assert.equal(replay.status, 400);
    assert.equal(replay.headers.location, undefined);
    assert.match(replay.text, /Not connected/);
  });

  test('return_to: the gateway\'s own origin (its vault page) needs no allow-listing', async () => {
    const returnTo = `${gw.url}/?view=connections`;
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?account=own&return_to=${encodeURIComponent(returnTo)}`,
      { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    const consent = await completeConsent(r.json().authorization_url, { caFile: pki.ca.cert, fetchCallback: false });
    seen.add(consent.params.code).add(consent.params.state);
    const back = await request(consent.callbackUrl);
    assert.equal(back.status, 303, back.text);
    assert.equal(back.headers.location, `${gw.url}/?view=connections&latchkey_status=connected&provider=gwas&account=own`);
  });

  test('return_to: a refused consent and an expired sign-in go back as errors', async () => {
    const returnTo = `${APP_ORIGIN}/done`;
    const start = async () => {
      const r = await request(`${gw.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent(returnTo)}`, { key: keys.alice });
      assert.equal(r.status, 200, r.text);
      seen.add(r.json().state);
      return r.json();
    };
    const denied = await completeConsent((await start()).authorization_url, { caFile: pki.ca.cert, deny: true, fetchCallback: false });
    assert.equal(denied.params.error, 'access_denied');
    const d = await request(denied.callbackUrl);
    assert.equal(d.status, 303, d.text);
    assert.equal(d.headers.location, `${returnTo}?latchkey_status=error&provider=gwas&error=provider_error`);

    const late = await start();
    const consent = await completeConsent(late.authorization_url, { caFile: pki.ca.cert, fetchCallback: false });
    seen.add(consent.params.code);
    expirePending(cli.env.LATCHKEY_STORE, late.state);
    const e = await request(consent.callbackUrl);
    assert.equal(e.status, 303, e.text);
    assert.equal(e.headers.location, `${returnTo}?latchkey_status=error&provider=gwas&error=state_expired`);
  });

  test('expired state without return_to: a clear 400', async () => {
    const r = await request(`${gw.url}/v1/providers/gwas/authorize?account=late`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    const consent = await completeConsent(r.json().authorization_url, { caFile: pki.ca.cert, fetchCallback: false });
    seen.add(consent.params.code).add(consent.params.state);
    expirePending(cli.env.LATCHKEY_STORE, r.json().state);
    const page = await request(consent.callbackUrl, { headers: { accept: 'application/json' } });
    assert.equal(page.status, 400, page.text);
    assert.equal(page.json().error.code, 'state_expired');
    assert.match(page.json().error.message, /expired/);
    const body = JSON.stringify({ code: consent.params.code, state: consent.params.state });
    const ex = await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.alice, body });
    assert.equal(ex.status, 400, ex.text);
    assert.equal(ex.json().error.code, 'state_expired');
    assert.equal((await request(`${gw.url}/v1/connections/gwas/late`, { key: keys.alice })).status, 404);
  });

  test('return_to: anything off the allow-list is refused, naming the flag', async () => {
    for (const bad of [
      'https://app.test:5173/',            // another scheme
      'http://app.test:5174/',             // another port
      'http://app.test/',                  // the default port is another origin
      'http://user@app.test:5173/',        // userinfo
      'http://app.test:5173@evil.example/',
      'http://app.test:5173\\@evil.example/',
      'http://evil.example/?x=http://app.test:5173/',
      '//app.test:5173/',                  // scheme-relative
      '/relative',
      'javascript:alert(1)',
      'http://app.test:5173/\r\nSet-Cookie: x=1',
    ]) {
      const r = await request(`${gw.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent(bad)}`, { key: keys.alice });
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, /return_to/, bad);
    }
    const off = await request(`${gw.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent('https://evil.example/x')}`,
      { key: keys.alice });
    assert.match(off.json().error.message, /--return-to-origin https:\/\/evil\.example/);
    // Origins compare case-insensitively in scheme and host, as browsers do.
    const upper = await request(`${gw.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent('HTTP://APP.TEST:5173/x')}`,
      { key: keys.alice });
    assert.equal(upper.status, 200, upper.text);
  });

  test('web root: files with their types and headers at /', async () => {
    const types = {
      '/': 'text/html; charset=utf-8',
      '/index.html': 'text/html; charset=utf-8',
      '/sub/': 'text/html; charset=utf-8',
      '/sub': 'text/html; charset=utf-8',
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.js.map': 'application/json',
      '/style.css': 'text/css; charset=utf-8',
      '/data.json': 'application/json',
      '/icon.svg': 'image/svg+xml',
      '/img.png': 'image/png',
      '/mod.wasm': 'application/wasm',
    };
    for (const [path, type] of Object.entries(types)) {
      const r = await request(`${gw.url}${path}`);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.equal(r.headers['content-type'], type, path);
      assert.match(r.headers['content-security-policy'], /^default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/, path);
      assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.ok(r.headers['cache-control'], path);
    }
    assert.equal((await request(`${gw.url}/`)).text, '<!doctype html><title>vault</title>');
    assert.equal((await request(`${gw.url}/`)).headers['cache-control'], 'no-cache');
    assert.match((await request(`${gw.url}/app.js`)).headers['cache-control'], /max-age=\d+/);
    const head = await request(`${gw.url}/app.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(head.headers['content-length'], String((await request(`${gw.url}/app.js`)).text.length));
    assert.equal(head.text, '');
    const missing = await request(`${gw.url}/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error.code, 'not_found');
    const post = await request(`${gw.url}/index.html`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.json().error.code, 'invalid_request');
  });

  test('web root: the API routes keep precedence over files', async () => {
    assert.deepEqual((await request(`${gw.url}/healthz`)).json(), { ok: true });
    assert.match((await request(`${gw.url}/metrics`)).text, /latchkeyd_requests_total/);
    assert.equal((await request(`${gw.url}/v1/connections`)).status, 401);
    assert.equal((await request(`${gw.url}/oauth/callback`, { headers: { accept: 'application/json' } })).status, 400);
    for (const path of ['/healthz/x', '/metrics/x', '/oauth/x']) {
      const r = await request(`${gw.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal(r.json().error.code, 'not_found', path);
    }
  });

  test('web root: no way out of it, encoded or not', async () => {
    for (const path of ['/../latchkey-outside.txt', '/%2e%2e/latchkey-outside.txt', '/%2E%2E/latchkey-outside.txt',
      '/sub/../../latchkey-outside.txt', '/sub/%2e%2e/%2e%2e/latchkey-outside.txt', '/sub%2f..%2f..%2flatchkey-outside.txt',
      '/..%2flatchkey-outside.txt', '/..%5clatchkey-outside.txt', '/sub\\..\\..\\latchkey-outside.txt', '/./index.html',
      '/index.html%00.png', '/%2fetc%2fpasswd']) {
      const r = await request(gw.url, { path });
      assert.ok([400, 404].includes(r.status), `${path}: ${r.status} ${r.text}`);
      assert.ok(!r.text.includes('outside the web root') && !r.text.includes('root:'), `${path} escaped`);
      assert.ok(r.json().error.code, path);
    }
  });

  test('bad input: wrong types and unknown fields are 400 with a message naming the field', async () => {
    const app = (body) => request(`${gw.url}/v1/providers/gwas/app`, { method: 'PUT', key: keys.admin, body });
    for (const [body, field] of [
      ['{"client_id": 5}', 'client_id'],
      ['{"client_id": "x", "client_secret": 1}', 'client_secret'],
      ['{"client_id": "x", "scopes": "openid"}', 'scopes'],
      ['{"client_id": "x", "scopes": [1]}', 'scopes'],
      ['{"client_id": "x", "template_values": ["a"]}', 'template_values'],
      ['{"client_id": "x", "redirect_uri": null}', 'redirect_uri'],
      ['{"client_id": "x", "surprise": true}', 'surprise'],
      ['[]', 'object'],
      ['"str"', 'object'],
      ['not json', 'JSON'],
      ['', 'JSON'],
    ]) {
      const r = await app(body);
      assert.equal(r.status, 400, `${body}: ${r.text}`);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, new RegExp(field), body);
    }
    const ex = await request(`${gw.url}/v1/oauth/exchange`, { method: 'POST', key: keys.alice, body: '{"code":"x","state":"y","extra":1}' });
    assert.equal(ex.status, 400);
    assert.match(ex.json().error.message, /extra/);
    const cc = await request(`${gw.url}/v1/providers/gwm2m/connect`, { method: 'POST', key: keys.bob, body: '{"scopes":"api:read"}' });
    assert.equal(cc.status, 400);
    assert.match(cc.json().error.message, /scopes/);
    const q = await request(`${gw.url}/v1/providers/gwas/authorize?color=red`, { key: keys.alice });
    assert.equal(q.status, 400);
    assert.match(q.json().error.message, /color/);
  });

  test('bad input: a 10 MB body is 413, and the gateway keeps serving meanwhile', async () => {
    const big = request(`${gw.url}/v1/providers/gwas/app`,
      { method: 'PUT', key: keys.admin, body: JSON.stringify({ client_id: 'x'.repeat(10 * 1024 * 1024) }) });
    const others = Promise.all(Array.from({ length: 10 }, () => request(`${gw.url}/healthz`)));
    const r = await big;
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json().error.code, 'invalid_request');
    assert.match(r.json().error.message, /larger/);
    for (const o of await others) assert.equal(o.status, 200);
    assert.equal((await request(`${gw.url}/healthz`)).status, 200);
  });

  test('bad input: header floods are 431', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `X-Flood-${i}: v\r\n`).join('');
    const huge = `X-Huge: ${'a'.repeat(64 * 1024)}\r\n`;
    for (const [what, headers] of [['many headers', many], ['one huge header', huge]]) {
      const r = await raw(gw.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
      assert.equal(r.status, 431, `${what}: ${r.answer.slice(0, 200)}`);
      assert.equal(JSON.parse(r.body).error.code, 'invalid_request', what);
      assert.equal((await request(`${gw.url}/healthz`)).status, 200, `still serving after ${what}`);
    }
  });

  test('bad input: CR or LF inside a header value is 400', async () => {
    for (const [what, line] of [
      ['a bare CR', 'X-Bad: a\rb\r\n'],
      ['CRLF then a line with no colon', 'X-Bad: a\r\nInjected\r\n'],
      ['a bare LF', 'X-Bad: a\nb\r\n'],
    ]) {
      const r = await raw(gw.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${line}\r\n`);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.answer.slice(0, 200))}`);
      assert.equal(JSON.parse(r.body).error.code, 'invalid_request', what);
    }
    assert.equal((await request(`${gw.url}/healthz`)).status, 200);
  });

  test('bad input: unknown providers are 404 on every route', async () => {
    for (const [method, path] of [['GET', '/v1/providers/nope'], ['GET', '/v1/providers/nope/authorize'],
      ['GET', '/v1/providers/nope/app'], ['POST', '/v1/providers/nope/connect'], ['GET', '/v1/proxy/nope/me'],
      ['POST', '/v1/connections/nope/alice/token']]) {
      const r = await request(`${gw.url}${path}`, { method, key: keys.alice });
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.json().error.code, 'not_found');
      assert.ok(r.json().error.message.length > 0);
    }
  });

  test('slow clients are cut off while other clients keep being served', async () => {
    // More trickling clients than engines: a slow client must not hold an engine.
    const slow = await startGateway(cli, ['--read-timeout', '2', '--engines', '2']);
    const lorises = [];
    try {
      const { port } = new URL(slow.url);
      for (let i = 0; i < 6; i++) {
        const sock = net.connect(Number(port), '127.0.0.1');
        sock.on('error', () => {});
        const closed = new Promise((resolve) => sock.on('close', resolve));
        sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        const drip = setInterval(() => sock.write('X-Slow: 1\r\n'), 300);  // never ends its head
        lorises.push({ sock, closed, drip });
      }
      await sleep(200);
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const r = await request(`${slow.url}/healthz`);
        assert.equal(r.status, 200);
        assert.ok(Date.now() - started < 1000, `a quick request waited ${Date.now() - started} ms behind slow ones`);
      }
      const cutOff = Date.now();
      await Promise.all(lorises.map((l) => l.closed));
      assert.ok(Date.now() - cutOff < 5000, 'the slow clients were cut off at the read timeout');
      assert.equal((await request(`${slow.url}/healthz`)).status, 200);
    } finally {
      for (const l of lorises) {
        clearInterval(l.drip);
        l.sock.destroy();
      }
      slow.child.kill('SIGTERM');
      await slow.exited;
    }
  });

  test('without a web root, / is a 404 JSON error', async () => {
    const bare = await startGateway(cli);
    try {
      for (const path of ['/', '/index.html']) {
        const r = await request(`${bare.url}${path}`);
        assert.equal(r.status, 404, path);
        assert.equal(r.json().error.code, 'not_found');
      }
      const rt = await request(`${bare.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent(`${APP_ORIGIN}/`)}`,
        { key: keys.alice });
      assert.equal(rt.status, 400, 'no origin is allowed by default');
      assert.match(rt.json().error.message, /--return-to-origin/);
    } finally {
      bare.child.kill('SIGTERM');
      await bare.exited;
    }
  });

  test('a config file alone configures it; flags win over it', async () => {
    const otherWeb = tempDir('latchkey-web2-');
    writeFileSync(join(otherWeb, 'index.html'), 'from the flag');
    const file = cli.writeFile('latchkeyd.toml', [
      '# latchkeyd settings',
      `store = "${cli.env.LATCHKEY_STORE}"`,
      `ca-file = "${pki.ca.cert}"`,
      'listen = "127.0.0.1:0"',
      'read-timeout = 5',
      `return-to-origin = ["https://vault.example", "${APP_ORIGIN}"]`,
      `web-root = "${web}"`,
      '',
    ].join('\n'));
    // Only the config file: no store, CA or listen address in the environment or the flags.
    const env = { PATH: process.env.PATH, HOME: cli.dir, LATCHKEYD_CONFIG: file };
    const started = startWith(['serve'], env);
    const d = await started.ready;
    try {
      assert.equal((await request(`${d.url}/`)).text, '<!doctype html><title>vault</title>');
      const conns = await request(`${d.url}/v1/connections`, { key: keys.alice });
      assert.equal(conns.status, 200, conns.text);
      assert.ok(conns.json().length > 0, 'the store from the file');
      const rt = await request(`${d.url}/v1/providers/gwas/authorize?return_to=${encodeURIComponent('https://vault.example/x')}`,
        { key: keys.alice });
      assert.equal(rt.status, 200, rt.text);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
    const flagged = startWith(['--config', file, 'serve', '--web-root', otherWeb], { PATH: process.env.PATH, HOME: cli.dir });
    const f = await flagged.ready;
    try {
      assert.equal((await request(`${f.url}/`)).text, 'from the flag');
    } finally {
      f.child.kill('SIGTERM');
      await f.exited;
    }
  });

  test('usage errors exit 1 naming the mistake and the nearest command or option', async () => {
    for (const [args, said] of [
      [['serv'], "latchkeyd: unknown command 'serv'; did you mean 'serve'?"],
      [['keys', 'craete', '--principal', 'x'], "latchkeyd: unknown command 'keys craete'; did you mean 'keys create'?"],
      [['serve', '--listne', '127.0.0.1:0'], 'latchkeyd: unknown option --listne; did you mean --listen?'],
      [['keys', 'create'], 'latchkeyd: missing --principal for `latchkeyd keys create` (`latchkeyd keys create --help` says what it takes)'],
    ]) {
      const r = await runD(cli, args);
      assert.equal(r.status, 1, args.join(' '));
      assert.equal(r.stderr.trim(), said);
    }
    assert.equal((await runD(cli, ['--help'])).status, 0);
  });

  test('a config file with an unknown key or a bad value is refused at start-up', async () => {
    const env = { PATH: process.env.PATH, HOME: cli.dir };
    const typo = cli.writeFile('typo.toml', `store = "${cli.env.LATCHKEY_STORE}"\nlisen = "127.0.0.1:0"\n`);
    const r = await runD({ env: { ...env, LATCHKEYD_CONFIG: typo } }, ['serve']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, '', 'it did not start listening');
    assert.match(r.stderr, /config file .*typo\.toml: unknown key 'lisen'/);
    const missing = await runD({ env: { ...env, LATCHKEYD_CONFIG: join(cli.dir, 'nope.toml') } }, ['serve']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nope\.toml/);
    const badOrigin = cli.writeFile('origin.toml', 'listen = "127.0.0.1:0"\nreturn-to-origin = ["https://a.example/path"]\n');
    const o = await runD({ env }, ['--config', badOrigin, 'serve']);
    assert.notEqual(o.status, 0);
    assert.match(o.stderr, /--return-to-origin 'https:\/\/a\.example\/path' must be an origin only/);
    const badRoot = await runD({ env }, ['serve', '--listen', '127.0.0.1:0', '--web-root', join(cli.dir, 'no-such-dir')]);
    assert.notEqual(badRoot.status, 0);
    assert.match(badRoot.stderr, /--web-root .* is not a directory/);
  });

  test('metrics count requests', async () => {
    const r = await request(`${gw.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.text, /latchkeyd_requests_total\{route="\/v1\/connections",status="200"\} \d+/);
    assert.match(r.text, /latchkeyd_request_duration_seconds_count \d+/);
    assert.match(r.text, /latchkeyd_refreshes_total \d+/);
  });

  test('a client too slow to send its request is cut off', async () => {
    const slow = await startGateway(cli, ['--read-timeout', '1', '--engines', '1']);
    try {
      const { port } = new URL(slow.url);
      const sock = net.connect(Number(port), '127.0.0.1');
      let answer = '';
      sock.on('data', (d) => { answer += d; });
      await new Promise((resolve) => sock.on('connect', resolve));
      sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');  // never finishes its head
      const started = Date.now();
      await new Promise((resolve) => sock.on('close', resolve));
      assert.ok(Date.now() - started < 5000);
      assert.equal(answer, '');
      // The single worker is free again.
      assert.equal((await request(`${slow.url}/healthz`)).status, 200);
    } finally {
      slow.child.kill('SIGTERM');
      assert.equal((await slow.exited).code, 0);
    }
  });

  test('SIGTERM stops it cleanly; the access log holds no secrets', async () => {
    // An idle keep-alive connection must not hold shutdown up until its read timeout.
    const { port } = new URL(gw.url);
    const idle = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => idle.on('connect', resolve));
    const idleClosed = new Promise((resolve) => idle.on('close', resolve));
    idle.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    gw.child.kill('SIGTERM');
    const { code, signal } = await gw.exited;
    await idleClosed;
    assert.ok(Date.now() - started < 5000, 'shutdown waited on an idle connection');
    assert.equal(signal, null);
    assert.equal(code, 0);
    const lines = gw.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.route);
    assert.ok(requests.length >= 20);
    assert.ok(requests.some((l) => l.principal === 'alice' && l.route === '/v1/connections/{id}/token' && l.status === 200));
    // The whole flow ran through this gateway: sign-ins with codes and states, exchanges,
    // tokens handed out, refreshes, proxying, revocation. None of its secrets may be logged.
    assert.ok(issued.has(token), 'the AS\'s issued tokens were captured');
    assert.ok([...issued].length >= 8 && seen.size >= 6);
    for (const secret of [...Object.values(keys), ...issued, ...seen, 'gw-very-secret', 'cli-secret', 'm2m-secret',
      'rotated-secret']) {
      assert.ok(!gw.stderr.includes(secret), 'a secret reached the log');
    }
  });
});
