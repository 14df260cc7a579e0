// latchkeyd end to end: the real gateway binary over HTTP, with API keys for three principals,
// a connection made by the real CLI against the fixture authorization server (oidc-provider
// behind TLS), and the same SQLite store shared by both.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, providerFor, tempDir } from './harness.mjs';
import { request, runD, startGateway } from './latchkeyd.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

describe('latchkeyd', () => {
  let as; let api; let cli; let gw; let keys = {}; let token;
  before(async () => {
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    const file = cli.writeFile('provider.json', JSON.stringify(providerFor(as, api)));
    assert.equal((await cli.run(['providers', 'register', '--file', file])).status, 0);
    const app = await cli.run(['apps', 'upsert', '--provider', 'testas', '--client-id', 'latchkey-cli', '--client-secret-stdin'],
      { input: 'cli-secret\n' });
    assert.equal(app.status, 0, app.stderr);

    // alice connects through the CLI, as principal "alice".
    const run = cli.start(['--principal', 'alice', 'connect', 'testas', '--no-browser', '--json', '--timeout', '60']);
    const url = await run.link;
    assert.ok(url, 'connect printed an authorization link');
    await completeConsent(url, { caFile: pki.ca.cert });
    const connected = await run.done;
    assert.equal(connected.status, 0, connected.stderr);

    for (const [name, role] of [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']]) {
      const r = await runD(cli, ['keys', 'create', '--principal', name, '--role', role]);
      assert.equal(r.status, 0, r.stderr);
      keys[name] = r.stdout.trim();
      assert.match(keys[name], /^lk_[A-Za-z0-9_-]{43}$/);
    }
    gw = await startGateway(cli);
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
    for (const secret of [...Object.values(keys), token, 'gw-very-secret', 'cli-secret']) {
      assert.ok(!gw.stderr.includes(secret), 'a secret reached the access log');
    }
  });
});
