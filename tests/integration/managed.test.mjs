// Managed mode end to end: the real CLI, with `latchkey mode testas --set managed`, connects, gets
// tokens and makes requests through a real latchkeyd (its own store, app credentials and
// /oauth/callback) against the fixture authorization server (oidc-provider behind TLS) and API.
// The CLI's store holds no app credentials and no connection for the managed provider.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { freePort } from '../fixtures/http_util.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, providerFor, request as gwRequest, startGateway, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// Revokes the whole grant (refresh token included) the way the CLI test does: at the endpoint.
function revokeGrant(as, token) {
  return new Promise((resolve, reject) => {
    const req = https.request(as.endpoints.revocation, {
      method: 'POST',
      ca: readFileSync(pki.ca.cert),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('latchkey-cli:cli-secret').toString('base64')}`,
      },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(`token=${encodeURIComponent(token)}`);
  });
}

describe('managed mode', () => {
  let as; let api; let gw; let gwEnv; let cli; let bare; let keys = {}; let token;
  const noSecrets = (r) => {
    for (const k of Object.values(keys)) {
      assert.ok(!r.stdout.includes(k) && !r.stderr.includes(k), 'an API key was printed');
    }
  };

  before(async () => {
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });

    // The gateway: its own store, keys, provider and app credentials.
    const gwDir = tempDir('latchkey-gw-');
    gwEnv = { PATH: process.env.PATH, HOME: gwDir, LATCHKEY_STORE: `${gwDir}/gw.db`, LATCHKEY_CA_FILE: pki.ca.cert };
    Object.assign(keys, await createKeys(gwEnv, [['alice', 'user'], ['admin', 'admin']]));
    gw = await startGateway(gwEnv, ['--engines', '2']);
    for (const def of [providerFor(as, api), providerFor(as, api, { key: 'testas-m2m', mode: 'client_credentials' })]) {
      const created = await gwRequest(`${gw.url}/v1/providers`, { method: 'POST', key: keys.admin, body: JSON.stringify(def) });
      assert.equal(created.status, 201, created.text);
    }
    const apps = [['testas', 'latchkey-cli', 'cli-secret'], ['testas-m2m', 'latchkey-m2m', 'm2m-secret']];
    for (const [key, id, secret] of apps) {
      const app = await gwRequest(`${gw.url}/v1/providers/${key}/app`,
        { method: 'PUT', key: keys.admin, body: JSON.stringify({ client_id: id, client_secret: secret }) });
      assert.equal(app.status, 200, app.text);
    }

    // The CLI: the same providers, marked as having a managed app, and no app credentials of its own.
    const dir = tempDir();
    bare = new Cli({ dir, caFile: pki.ca.cert });
    cli = new Cli({ dir, caFile: pki.ca.cert, env: { LATCHKEY_GATEWAY_URL: gw.url, LATCHKEY_API_KEY: keys.alice } });
    for (const def of [providerFor(as, api), providerFor(as, api, { key: 'testas-m2m', mode: 'client_credentials' })]) {
      const file = bare.writeFile(`${def.key}.json`, JSON.stringify({ ...def, managed_service_config_key: def.key }));
      const r = await bare.run(['providers', 'register', '--file', file]);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await api?.close();
    await as?.close();
  });

  test('mode --set managed is stored and says what the environment still needs', async () => {
    const set = await bare.run(['mode', 'testas', '--set', 'managed']);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'testas: managed');
    assert.match(set.stderr, /set LATCHKEY_GATEWAY_URL/);
    const shown = await cli.run(['mode', 'testas', '--json']);
    assert.equal(shown.json().mode, 'managed');
    assert.equal((await cli.run(['mode', 'testas-m2m', '--set', 'managed'])).status, 0);
    const plain = await cli.run(['mode', 'github', '--set', 'managed']);
    assert.equal(plain.status, 1, 'a provider without a managed app stays your-own');
  });

  test('connect: the link is the gateway\'s (its app, its callback); the wait ends when the gateway stored it', async () => {
    const c = await cli.connect('testas');
    assert.equal(c.status, 0, c.stderr);
    const url = new URL(c.url);
    assert.equal(url.searchParams.get('client_id'), 'latchkey-cli');
    assert.equal(url.searchParams.get('redirect_uri'), `${gw.url}/oauth/callback`);
    assert.equal(c.browser.status, 200);
    assert.ok(c.browser.callbackUrl.startsWith(`${gw.url}/oauth/callback?`));
    assert.match(c.browser.body, /Connected/);
    assert.equal(c.json().id, 'testas/alice');
    assert.equal(c.json().principal, 'alice');  // the API key's principal
    assert.equal(c.json().status, 'connected');
    noSecrets(c);

    const atGateway = await gwRequest(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.deepEqual(atGateway.json().map((x) => x.id), ['testas/alice']);
    // Nothing was stored locally: the local engine (your-own mode) knows no such connection.
    assert.equal((await bare.run(['mode', 'testas', '--set', 'your-own'])).status, 0);
    const local = await bare.run(['status', 'testas']);
    assert.equal(local.status, 1);
    assert.match(local.stderr, /no connection/);
    assert.equal((await bare.run(['mode', 'testas', '--set', 'managed'])).status, 0);
  });

  test('status and connections list come from the gateway, text and JSON', async () => {
    const s = await cli.run(['status', 'testas', '--json']);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.json().length, 1);
    assert.equal(s.json()[0].status, 'connected');
    assert.equal(s.json()[0].account, 'alice');
    assert.match(s.json()[0].scope, /api:read/);
    const text = await cli.run(['status', 'testas', '--account', 'alice']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^status +connected$/m);
    const list = await cli.run(['connections', 'list', '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(list.json().map((x) => [x.provider, x.account]), [['testas', 'alice']]);
    const table = await cli.run(['connections', 'list']);
    assert.match(table.stdout, /^testas +alice +connected/m);
    noSecrets(list);
    const none = await cli.run(['status', 'testas', '--account', 'nobody']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no connection/);
  });

  test('token: one the authorization server accepts', async () => {
    const r = await cli.run(['token', 'testas']);
    assert.equal(r.status, 0, r.stderr);
    token = r.stdout.trim();
    assert.equal((await as.introspect(token)).active, true);
    assert.equal((await as.introspect(token)).client_id, 'latchkey-cli');
    const j = await cli.run(['token', 'testas', '--json']);
    assert.equal(j.json().access_token, token);
    assert.ok(j.json().expires_at_ms > Date.now());
    const forced = await cli.run(['token', 'testas', '--force-refresh']);
    assert.equal(forced.status, 1);
    assert.match(forced.stderr, /--force-refresh is not available for managed providers/);
  });

  test('request goes through the gateway\'s proxy with the connection\'s token', async () => {
    api.resetStats();
    const me = await cli.run(['request', 'testas', '/me', '-H', 'Authorization: Bearer not-mine']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).sub, 'alice');
    assert.equal(api.stats.lastAuthorization, `Bearer ${token}`);
    noSecrets(me);

    const body = JSON.stringify({ hello: 'world' });
    const echo = await cli.run(['request', 'testas', `${api.url}/echo?a=1`, '-X', 'PUT', '-d', body, '-H', 'X-Custom: kept', '-i']);
    assert.equal(echo.status, 0, echo.stderr);
    assert.match(echo.stdout, /^HTTP 200 OK$/m);
    const sent = JSON.parse(echo.stdout.slice(echo.stdout.indexOf('\n\n') + 2));
    assert.equal(sent.method, 'PUT');
    assert.equal(sent.path, '/echo');
    assert.deepEqual(sent.query, { a: '1' });
    assert.equal(sent.body, body);
    assert.equal(sent.headers['x-custom'], 'kept');
    assert.equal(sent.headers.authorization, `Bearer ${token}`);
    assert.ok(!echo.stdout.includes(keys.alice), 'the API key reached the upstream');

    const missing = await cli.run(['request', 'testas', '/no-such-path']);
    assert.equal(missing.status, 2, 'an upstream 404 is a provider error, as locally');
    assert.deepEqual(JSON.parse(missing.stdout), { error: 'not_found' });
    const outside = await cli.run(['request', 'testas', 'https://localhost:1/']);
    assert.equal(outside.status, 1);
    assert.match(outside.stderr, /gateway's proxy/);

    const ping = await cli.run(['ping', 'testas']);
    assert.equal(ping.status, 0, ping.stderr);
    assert.match(ping.stdout, /ok: HTTP 200/);
  });

  test('client credentials connect through the gateway; local connections are listed beside managed ones', async () => {
    const c = await cli.run(['connect', 'testas-m2m', '--json']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().grant, 'client_credentials');
    const me = await cli.run(['request', 'testas-m2m', '/me']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).client_id, 'latchkey-m2m');

    // A third provider in your-own mode stays local, with the CLI's own app.
    const file = bare.writeFile('local.json', JSON.stringify(providerFor(as, api, { key: 'local-m2m', mode: 'client_credentials' })));
    assert.equal((await bare.run(['providers', 'register', '--file', file])).status, 0);
    const app = await bare.run(['apps', 'upsert', '--provider', 'local-m2m', '--client-id', 'latchkey-m2m', '--client-secret-stdin'],
      { input: 'm2m-secret' });
    assert.equal(app.status, 0, app.stderr);
    assert.equal((await cli.run(['connect', 'local-m2m'])).status, 0);
    const list = await cli.run(['connections', 'list', '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(list.json().map((x) => `${x.principal}:${x.id}`).sort(),
      ['alice:testas-m2m/default', 'alice:testas/alice', 'default:local-m2m/default']);
    const atGateway = await gwRequest(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.ok(!atGateway.json().some((x) => x.provider === 'local-m2m'));
  });

  test('a connection the gateway can no longer refresh: exit 3 and the way out; connecting again fixes it', async () => {
    await revokeGrant(as, token);
    const r = await cli.run(['request', 'testas', '/me']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /latchkey connect testas/);
    const s = await cli.run(['status', 'testas', '--json']);
    assert.equal(s.status, 3);
    assert.equal(s.json()[0].status, 'needs_reauth');
    // Reconnecting the same account: the wait notices the stored connection changed.
    const again = await cli.connect('testas');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.json().status, 'connected');
    assert.equal((await cli.run(['status', 'testas'])).status, 0);
  });

  test('connect times out cleanly when the sign-in never finishes', async () => {
    const r = await cli.run(['connect', 'testas', '--account', 'slow', '--no-browser', '--timeout', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timed out after 1 s/);
    assert.match(r.stderr, /^\s+https:\/\/127\.0\.0\.1:\d+\//m, 'the link was printed first');
  });

  test('disconnect --revoke goes through the gateway and kills the tokens at the AS', async () => {
    const t = (await cli.run(['token', 'testas'])).stdout.trim();
    assert.equal((await as.introspect(t)).active, true);
    const r = await cli.run(['disconnect', 'testas', '--revoke']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /disconnected testas \(tokens revoked\)/);
    assert.equal((await as.introspect(t)).active, false);
    const after = await cli.run(['token', 'testas']);
    assert.equal(after.status, 1);
    assert.match(after.stderr, /no connection to 'testas'/);
    const list = await gwRequest(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.ok(!list.json().some((x) => x.provider === 'testas'));
  });

  test('no LATCHKEY_GATEWAY_URL, or no key: says exactly what to set', async () => {
    const noUrl = await bare.run(['token', 'testas'], { env: { LATCHKEY_API_KEY: keys.alice } });
    assert.equal(noUrl.status, 1);
    assert.match(noUrl.stderr, /managed mode.*set LATCHKEY_GATEWAY_URL/);
    const noKey = await bare.run(['status', 'testas', '--json'], { env: { LATCHKEY_GATEWAY_URL: gw.url } });
    assert.equal(noKey.status, 1);
    assert.match(noKey.stderr, /set LATCHKEY_API_KEY .*LATCHKEY_API_KEY_FILE/);
    assert.equal(noKey.json().error.code, 'invalid_request');
    const plainHttp = await cli.run(['status', 'testas'], { env: { LATCHKEY_GATEWAY_URL: 'http://example.com:8787' } });
    assert.equal(plainHttp.status, 1);
    assert.match(plainHttp.stderr, /LATCHKEY_GATEWAY_URL must use https/);
  });

  test('a wrong API key: one line saying to check LATCHKEY_API_KEY, never the key', async () => {
    const wrong = `lk_${'A'.repeat(43)}`;
    const r = await cli.run(['connections', 'list'], { env: { LATCHKEY_API_KEY: wrong } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /did not accept the API key.*check LATCHKEY_API_KEY/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong));
    const c = await cli.run(['connect', 'testas', '--no-browser'], { env: { LATCHKEY_API_KEY: wrong } });
    assert.equal(c.status, 1);
    assert.doesNotMatch(c.stderr, /https:\/\//, 'no consent link before the key is known to work');
  });

  test('LATCHKEY_API_KEY_FILE: used when only its owner can read it', async () => {
    const file = cli.writeFile('api-key', `${keys.alice}\n`);
    const env = { LATCHKEY_API_KEY: '', LATCHKEY_API_KEY_FILE: file };
    chmodSync(file, 0o644);
    const open = await cli.run(['connections', 'list'], { env });
    assert.equal(open.status, 1);
    assert.match(open.stderr, /mode 0644.*chmod 600/);
    chmodSync(file, 0o600);
    const ok = await cli.run(['connections', 'list', '--json'], { env });
    assert.equal(ok.status, 0, ok.stderr);
    const both = await cli.run(['connections', 'list'], { env: { LATCHKEY_API_KEY_FILE: file } });
    assert.equal(both.status, 1);
    assert.match(both.stderr, /both LATCHKEY_API_KEY and LATCHKEY_API_KEY_FILE/);
  });

  test('a dead gateway, and something that is not the gateway', async () => {
    const dead = await cli.run(['status', 'testas-m2m'], { env: { LATCHKEY_GATEWAY_URL: `http://127.0.0.1:${await freePort()}` } });
    assert.equal(dead.status, 2);
    assert.match(dead.stderr, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(LATCHKEY_GATEWAY_URL\)/);
    assert.equal(dead.stderr.trim().split('\n').length, 1);

    const page = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
    await new Promise((r) => page.listen(0, '127.0.0.1', r));
    const html = await cli.run(['token', 'testas-m2m'], { env: { LATCHKEY_GATEWAY_URL: `http://127.0.0.1:${page.address().port}` } });
    page.close();
    assert.equal(html.status, 2);
    assert.match(html.stderr, /answered HTTP 200 with an HTML page/);
    assert.ok(!html.stdout.includes('nginx'));
  });

  test('an API key on the command line is refused without being echoed', async () => {
    for (const args of [['token', 'testas-m2m', '--api-key', keys.alice], [`--api-key=${keys.alice}`, 'token', 'testas-m2m'],
      ['request', 'testas-m2m', keys.alice]]) {
      const r = await bare.run(args, { env: { LATCHKEY_GATEWAY_URL: gw.url } });
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, /never read from arguments.*LATCHKEY_API_KEY/);
      assert.equal(r.stdout, '');
      noSecrets(r);
    }
  });

  test('the gateway\'s access log shows the CLI\'s calls and no secret', async () => {
    const lines = gw.stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.route);
    for (const route of ['/v1/providers/{key}/authorize', '/oauth/callback', '/v1/connections/{id}/token', '/v1/proxy/{provider}/*']) {
      assert.ok(lines.some((l) => l.route === route && l.status === 200), route);
    }
    for (const secret of [...Object.values(keys), token, 'cli-secret']) {
      assert.ok(!gw.stderr.includes(secret), 'a secret reached the access log');
    }
  });
});
