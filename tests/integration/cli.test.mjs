// The latchkey CLI end to end: real oidc-provider behind TLS (test CA made by openssl), a real
// protected API, the real SQLite store, mbedTLS doing real handshakes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, providerFor, sleep, tempDir } from './harness.mjs';

const pkiDir = tempDir('latchkey-pki-');
const pki = await makeTestPki(pkiDir);

/// Revokes `token` at the AS's revocation endpoint, which revokes its whole grant, refresh token
/// included (as.revoke destroys only the token itself).
function revokeGrant(as, token) {
  return new Promise((resolve, reject) => {
    const req = https.request(as.endpoints.revocation, {
      method: 'POST', ca: readFileSync(pki.ca.cert),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('latchkey-cli:cli-secret').toString('base64')}` },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(`token=${encodeURIComponent(token)}`);
  });
}

async function setUp({ ttl = 3600, buffer = 60 } = {}) {
  const as = await startAuthServer({ pki, accessTokenTtl: ttl });
  const api = await startApiServer({ pki, authServer: as });
  const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
  await cli.addTestProvider(as, api, { buffer });
  return { as, api, cli, async close() { await api.close(); await as.close(); } };
}

describe('catalog and registry', () => {
  let env;
  before(async () => { env = await setUp(); });
  after(() => env.close());

  test('providers list and get', async () => {
    const list = await env.cli.run(['providers', 'list', '--json']);
    assert.equal(list.status, 0, list.stderr);
    const keys = list.json().map((p) => p.key);
    assert.ok(keys.length >= 200 && keys.includes('google') && keys.includes('testas'), `${keys.length} providers`);
    // The table: a CATEGORY column, each built-in entry's category in it, and the total at the end.
    const table = await env.cli.run(['providers', 'list']);
    assert.equal(table.status, 0, table.stderr);
    const rows = table.stdout.trim().split('\n');
    assert.match(rows[0], /^KEY\s+NAME\s+CATEGORY\s+AUTH\s/);
    assert.match(rows.find((r) => r.startsWith('github ')), /^github\s+GitHub\s+developer\s+oauth2\s/);
    assert.match(rows.find((r) => r.startsWith('salesforce ')), /\s+crm\s+oauth2\s/);
    assert.equal(rows.at(-1), `${keys.length} providers`);
    assert.equal(rows.length, keys.length + 2);
    const git = (await env.cli.run(['providers', 'list', '--provider-key', 'github,gitlab', '--json'])).json().map((p) => p.key);
    // Substrings of keys or names: github-mcp (the catalog's GitHub MCP server) matches too.
    assert.deepEqual(git.sort(), ['github', 'github-mcp', 'gitlab']);
    const google = (await env.cli.run(['providers', 'get', 'google', '--json'])).json();
    assert.equal(google.token_endpoint, 'https://oauth2.googleapis.com/token');
    assert.equal((await env.cli.run(['providers', 'get', 'no-such-provider'])).status, 1);
  });

  test('apps never show the secret', async () => {
    const app = await env.cli.run(['apps', 'get', 'testas', '--json']);
    assert.equal(app.status, 0);
    assert.equal(app.json().has_client_secret, true);
    assert.ok(!app.stdout.includes('cli-secret'));
    assert.ok(!(await env.cli.run(['apps', 'list', '--json'])).stdout.includes('cli-secret'));
  });

  test('discover registers from the issuer metadata', async () => {
    const r = await env.cli.run(['providers', 'discover', env.as.issuer, '--provider-key', 'discovered', '--allow-private-network', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().token_endpoint, env.as.endpoints.token);
    assert.equal(r.json().issuer, env.as.issuer);
  });

  test('malformed provider file is refused with a clear message', async () => {
    const bad = env.cli.writeFile('bad.json', '{"key": "x", "token_endpoint": ');
    const r = await env.cli.run(['providers', 'register', '--file', bad]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not valid JSON/);
    const http = env.cli.writeFile('http.json', JSON.stringify({ key: 'plain', display_name: 'Plain', authorization_endpoint: 'http://example.com/a', token_endpoint: 'https://example.com/t' }));
    const r2 = await env.cli.run(['providers', 'register', '--file', http]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /https/);
  });

  test('providers get --json goes back in as is; an update file names only what changes', async () => {
    const got = await env.cli.run(['providers', 'get', 'testas', '--json']);
    assert.equal(got.status, 0, got.stderr);
    const form = got.json();
    assert.equal(form.has_app, true);  // what get adds travels with it
    const same = await env.cli.run(['providers', 'update', 'testas', '--file', env.cli.writeFile('same.json', got.stdout)]);
    assert.equal(same.status, 0, same.stderr);
    const partial = env.cli.writeFile('partial.json', JSON.stringify({ display_name: 'Test AS, renamed' }));
    const u = await env.cli.run(['providers', 'update', 'testas', '--file', partial, '--json']);
    assert.equal(u.status, 0, u.stderr);
    const after = (await env.cli.run(['providers', 'get', 'testas', '--json'])).json();
    assert.equal(after.display_name, 'Test AS, renamed');
    assert.equal(after.token_endpoint, form.token_endpoint);
    assert.deepEqual(after.injection, form.injection);
    const other = env.cli.writeFile('other.json', JSON.stringify({ key: 'someone-else', display_name: 'x' }));
    const refused = await env.cli.run(['providers', 'update', 'testas', '--file', other]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /key must be 'testas'/);
  });

  test('built-ins cannot be changed; custom ones need --force while connected', async () => {
    assert.equal((await env.cli.run(['providers', 'delete', 'github'])).status, 1);
    assert.equal((await env.cli.run(['providers', 'delete', 'discovered'])).status, 0);
  });
});

describe('connect and use', () => {
  let env;
  before(async () => { env = await setUp(); });
  after(() => env.close());

  test('connect → status → token → request → ping', async () => {
    const c = await env.cli.connect('testas');
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'alice');  // named by the userinfo (identity) endpoint
    assert.equal(c.browser.status, 200);
    assert.match(c.browser.body, /Connected/);

    const status = await env.cli.run(['status', 'testas', '--json']);
    assert.equal(status.status, 0);
    assert.equal(status.json()[0].status, 'connected');
    assert.match(status.json()[0].scope, /api:read/);

    const token = (await env.cli.run(['token', 'testas'])).stdout.trim();
    assert.equal((await env.as.introspect(token)).active, true);

    env.api.resetStats();
    const me = await env.cli.run(['request', 'testas', '/me', '-H', 'Authorization: Bearer not-mine']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).sub, 'alice');
    assert.equal(env.api.stats.lastAuthorization, `Bearer ${token}`);  // the caller's header was replaced

    const ping = await env.cli.run(['ping', 'testas']);
    assert.equal(ping.status, 0, ping.stderr);
    assert.match(ping.stdout, /ok: HTTP 200/);

    const list = (await env.cli.run(['connections', 'list', '--json'])).json();
    assert.deepEqual(list.map((x) => [x.provider, x.account]), [['testas', 'alice']]);
  });

  test('a 401 from the API refreshes once and retries', async () => {
    const before = (await env.cli.run(['token', 'testas'])).stdout.trim();
    assert.equal(await env.as.revoke(before), true);  // only this access token dies
    env.as.resetStats();
    const me = await env.cli.run(['request', 'testas', '/me']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).sub, 'alice');
    assert.equal(env.as.stats.token.refresh_token, 1);
    assert.notEqual((await env.cli.run(['token', 'testas'])).stdout.trim(), before);
  });

  test('connect times out cleanly', async () => {
    const r = await env.cli.run(['connect', 'testas', '--account', 'slow', '--no-browser', '--timeout', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timed out after 1 s/);
  });

  test('request refuses origins outside the injection rules', async () => {
    const r = await env.cli.run(['request', 'testas', 'https://localhost:1/']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'https:\/\/localhost:1' is not an origin/);
  });

  test('403 insufficient_scope says which scopes add fixes it; scopes add does', async () => {
    const r = await env.cli.run(['request', 'testas', '/write']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /latchkey scopes add testas api:write/);
    const run = env.cli.start(['scopes', 'add', 'testas', 'api:write', '--no-browser', '--json']);
    const url = await run.link;
    assert.match(decodeURIComponent(url.replaceAll('+', ' ')), /scope=openid api:read api:write/);
    const { completeConsent } = await import('../fixtures/consent.mjs');
    await completeConsent(url, { caFile: pki.ca.cert });
    const done = await run.done;
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.lines().at(-1).scope, /api:write/);
    assert.equal((await env.cli.run(['request', 'testas', '/write'])).status, 0);
  });

  test('a 10 MB response is refused under the size cap', async () => {
    const r = await env.cli.run(['request', 'testas', '/huge', '--max-size', '1048576']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /larger than 1048576 bytes/);
  });

  test('the store holds no secret in clear', async () => {
    const token = (await env.cli.run(['token', 'testas'])).stdout.trim();
    const dump = execFileSync('sqlite3', [env.cli.env.LATCHKEY_STORE, '.dump'], { encoding: 'utf8' });
    assert.ok(dump.includes('conn/'));  // the records are there...
    for (const secret of [token, 'cli-secret']) assert.ok(!dump.includes(secret), 'found a secret in the store');
    const mode = execFileSync('stat', ['-c', '%a', env.cli.env.LATCHKEY_STORE], { encoding: 'utf8' }).trim();
    assert.equal(mode, '600');
  });

  test('a wrong master key is refused and loses nothing', async () => {
    const wrong = Buffer.alloc(32, 7).toString('base64');
    const r = await env.cli.run(['connections', 'list'], { env: { LATCHKEY_MASTER_KEY: wrong } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /master key/);
    assert.equal((await env.cli.run(['token', 'testas'])).status, 0);
  });

  test('a wrong state on the loopback listener is ignored; the real callback still completes', async () => {
    const run = env.cli.start(['connect', 'testas', '--account', 'second', '--no-browser', '--json']);
    const url = await run.link;
    const { completeConsent } = await import('../fixtures/consent.mjs');
    const real = await completeConsent(url, { caFile: pki.ca.cert, fetchCallback: false });
    const forged = new URL(real.callbackUrl);
    forged.searchParams.set('state', 'forged-state');
    const res = await fetch(forged);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /does not belong/);
    const stray = await fetch(new URL('/favicon.ico', forged));
    assert.equal(stray.status, 404);
    const ok = await fetch(real.callbackUrl);
    assert.equal(ok.status, 200);
    const done = await run.done;
    assert.equal(done.status, 0, done.stderr);
    assert.equal(done.lines().at(-1).account, 'second');
  });

  test('denied consent is reported plainly', async () => {
    const c = await env.cli.connect('testas', ['--account', 'denied'], { deny: true });
    assert.equal(c.status, 2);
    assert.match(c.stderr, /denied/);
    assert.equal(c.json().error.code, 'provider_error');
    assert.equal(c.json().error.provider_error, 'access_denied');
    assert.equal(c.browser.status, 400);
  });

  test('disconnect --revoke kills the tokens at the AS', async () => {
    const token = (await env.cli.run(['token', 'testas', '--account', 'alice'])).stdout.trim();
    const r = await env.cli.run(['disconnect', 'testas', '--account', 'alice', '--revoke']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tokens revoked/);
    assert.equal((await env.as.introspect(token)).active, false);
    assert.equal((await env.cli.run(['token', 'testas', '--account', 'alice'])).status, 1);
  });
});

describe('refresh', () => {
  let env;
  // 4 s tokens with a 2 s buffer: after 4.3 s a token is expired; a fresh one is not due.
  before(async () => { env = await setUp({ ttl: 4, buffer: 2 }); });
  after(() => env.close());

  test('expiry refreshes automatically, and rotated refresh tokens keep working', async () => {
    assert.equal((await env.cli.connect('testas')).status, 0);
    const first = (await env.cli.run(['token', 'testas'])).stdout.trim();
    env.as.resetStats();
    await sleep(4300);
    const second = await env.cli.run(['token', 'testas', '--json']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.json().refreshed, true);
    assert.notEqual(second.json().access_token, first);
    // A second refresh must use the rotated refresh token (reusing the old one would fail and
    // revoke the grant).
    await sleep(4300);
    const third = await env.cli.run(['token', 'testas', '--json']);
    assert.equal(third.status, 0, third.stderr);
    assert.equal(env.as.stats.token.refresh_token, 2);
    assert.equal(env.as.stats.tokenErrors.refresh_token ?? 0, 0);
  });

  test('two concurrent processes on an expired token make exactly one refresh call', async () => {
    await sleep(4300);
    env.as.resetStats();
    const a = env.cli.start(['token', 'testas']);
    const b = env.cli.start(['token', 'testas']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.status, 0, ra.stderr);
    assert.equal(rb.status, 0, rb.stderr);
    assert.equal(ra.stdout.trim(), rb.stdout.trim());
    assert.equal(env.as.stats.token.refresh_token, 1);
  });

  test('a revoked refresh token means needs_reauth, exit 3, and a clear next step', async () => {
    await revokeGrant(env.as, (await env.cli.run(['token', 'testas'])).stdout.trim());
    const r = await env.cli.run(['token', 'testas', '--force-refresh']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /latchkey connect testas/);
    const s = await env.cli.run(['status', 'testas', '--json']);
    assert.equal(s.status, 3);
    assert.equal(s.json()[0].status, 'needs_reauth');
    // Reconnecting fixes it.
    assert.equal((await env.cli.connect('testas')).status, 0);
    assert.equal((await env.cli.run(['token', 'testas'])).status, 0);
  });
});

describe('client credentials', () => {
  let env;
  before(async () => { env = await setUp(); });
  after(() => env.close());

  test('connect, token and request without a browser', async () => {
    const def = providerFor(env.as, env.api, { key: 'testas-m2m', mode: 'client_credentials' });
    const file = env.cli.writeFile('m2m.json', JSON.stringify(def));
    assert.equal((await env.cli.run(['providers', 'register', '--file', file])).status, 0);
    assert.equal((await env.cli.run(['apps', 'upsert', '--provider', 'testas-m2m', '--client-id', 'latchkey-m2m', '--client-secret-stdin'], { input: 'm2m-secret' })).status, 0);
    const c = await env.cli.run(['connect', 'testas-m2m', '--json']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().grant, 'client_credentials');
    const me = await env.cli.run(['request', 'testas-m2m', '/me']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).client_id, 'latchkey-m2m');
  });
});

describe('status lists every account of a provider', () => {
  let env;
  before(async () => {
    env = await setUp();
    for (const login of ['alice', 'bob']) {
      const c = await env.cli.connect('testas', [], { login });
      assert.equal(c.status, 0, c.stderr);
      assert.equal(c.json().account, login);  // named by the identity endpoint
    }
  });
  after(() => env.close());

  test('--json: one object per connection, scopes as a list', async () => {
    const r = await env.cli.run(['status', 'testas', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const all = r.json().sort((a, b) => a.account.localeCompare(b.account));
    assert.deepEqual(all.map((c) => [c.id, c.account, c.status]),
      [['testas/alice', 'alice', 'connected'], ['testas/bob', 'bob', 'connected']]);
    for (const c of all) {
      assert.deepEqual(c.scopes, ['openid', 'api:read']);  // the provider's default scopes, as granted
      assert.equal(c.scope, 'openid api:read');
      assert.equal(c.has_refresh_token, true);
      assert.ok(c.expires_at_ms > Date.now() && c.expires_at_ms <= Date.now() + 3600_000, `${c.expires_at_ms}`);
    }
  });

  test('--account narrows it to one', async () => {
    const r = await env.cli.run(['status', 'testas', '--account', 'bob', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json().map((c) => c.account), ['bob']);
    const none = await env.cli.run(['status', 'testas', '--account', 'carol', '--json']);
    assert.equal(none.status, 1);
    assert.match(none.json().error.message, /no connection/);
  });

  test('text: a block of lines per connection', async () => {
    const r = await env.cli.run(['status', 'testas']);
    assert.equal(r.status, 0, r.stderr);
    const blocks = r.stdout.trim().split('\n\n');
    assert.equal(blocks.length, 2, r.stdout);
    const accounts = blocks.map((b) => /^account +(\S+)$/m.exec(b)?.[1]).sort();
    assert.deepEqual(accounts, ['alice', 'bob']);
    for (const b of blocks) {
      assert.match(b, /^id +testas\/(alice|bob)$/m);
      assert.match(b, /^status +connected$/m);
      assert.match(b, /^scopes +openid, api:read$/m);
      assert.match(b, /^expires +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(refreshed automatically\)$/m);
      assert.match(b, /^refresh token +yes$/m);
    }
  });

  test('a connection that must be authorized again: listed as such, and the answer exits 3', async () => {
    await revokeGrant(env.as, (await env.cli.run(['token', 'testas', '--account', 'bob'])).stdout.trim());
    assert.equal((await env.cli.run(['token', 'testas', '--account', 'bob', '--force-refresh'])).status, 3);
    const r = await env.cli.run(['status', 'testas', '--json']);
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(r.json().map((c) => [c.account, c.status]).sort(), [['alice', 'connected'], ['bob', 'needs_reauth']]);
    assert.equal((await env.cli.run(['status', 'testas', '--account', 'alice'])).status, 0);
  });
});

describe('--json on every verb: one JSON document on stdout', () => {
  let env;
  before(async () => {
    env = await setUp();
    assert.equal((await env.cli.connect('testas')).status, 0);
    const m2m = providerFor(env.as, env.api, { key: 'testas-m2m', mode: 'client_credentials' });
    assert.equal((await env.cli.run(['providers', 'register', '--file', env.cli.writeFile('m2m.json', JSON.stringify(m2m))])).status, 0);
    assert.equal((await env.cli.run(['apps', 'upsert', '--provider', 'testas-m2m', '--client-id', 'latchkey-m2m',
      '--client-secret-stdin'], { input: 'm2m-secret' })).status, 0);
  });
  after(() => env.close());

  // In order: later verbs use what earlier ones made. Each check reads a member the verb's answer has.
  const verbs = () => [
    [['providers', 'list', '--provider-key', 'testas'], (j) => assert.ok(j.some((p) => p.key === 'testas'))],
    [['providers', 'get', 'testas'], (j) => assert.equal(j.key, 'testas')],
    [['providers', 'register', '--provider-key', 'json-extra', '--auth-url', 'https://example.com/a', '--token-url',
      'https://example.com/t'], (j) => assert.equal(j.key, 'json-extra')],
    [['providers', 'update', 'json-extra', '--file', env.cli.writeFile('rename.json', '{"display_name":"Renamed"}')],
      (j) => assert.equal(j.display_name, 'Renamed')],
    [['providers', 'discover', env.as.issuer, '--provider-key', 'json-disc', '--allow-private-network'],
      (j) => assert.equal(j.issuer, env.as.issuer)],
    [['providers', 'delete', 'json-disc'], (j) => assert.deepEqual(j, { provider: 'json-disc', removed: true, connections_removed: 0 })],
    [['mode', 'testas'], (j) => assert.equal(j.mode, 'your-own')],
    [['apps', 'upsert', '--provider', 'json-extra', '--client-id', 'x'], (j) => assert.equal(j.client_id, 'x')],
    [['apps', 'list'], (j) => assert.ok(j.some((a) => a.provider === 'json-extra'))],
    [['apps', 'get', 'json-extra'], (j) => assert.equal(j.has_client_secret, false)],
    [['apps', 'delete', 'json-extra'], (j) => assert.deepEqual(j, { provider: 'json-extra', removed: true, connections_removed: 0 })],
    [['connect', 'testas-m2m'], (j) => assert.deepEqual([j.grant, j.scopes], ['client_credentials', ['api:read']])],
    [['connections', 'list'], (j) => assert.deepEqual(j.map((c) => c.provider).sort(), ['testas', 'testas-m2m'])],
    [['status', 'testas'], (j) => assert.equal(j[0].account, 'alice')],
    [['token', 'testas'], (j) => assert.equal(typeof j.access_token, 'string')],
    [['ping', 'testas'], (j) => assert.equal(j.ok, true)],
    [['request', 'testas', '/me'], (j) => assert.deepEqual([j.status, j.body.sub], [200, 'alice'])],
    [['disconnect', 'testas-m2m'], (j) => assert.equal(j.deleted, true)],
    [['providers', 'delete', 'json-extra'], (j) => assert.equal(j.removed, true)],
  ];

  test('each verb', async () => {
    for (const [args, check] of verbs()) {
      const r = await env.cli.run([...args, '--json']);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout.trim().split('\n').length, 1, `${args.join(' ')} printed more than one line: ${r.stdout}`);
      check(r.json());
    }
  });

  test('a failing verb prints its error as the one document', async () => {
    for (const args of [['providers', 'delete', 'github'], ['apps', 'delete', 'no-such-provider'],
      ['request', 'testas', 'https://localhost:1/'], ['disconnect', 'no-such-provider']]) {
      const r = await env.cli.run([...args, '--json']);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(typeof r.json().error.message, 'string', args.join(' '));
    }
  });

  test('connect --no-browser --json: the link first, while it waits; then the connection', async () => {
    const run = env.cli.start(['connect', 'testas', '--account', 'ndjson', '--no-browser', '--json', '--timeout', '60']);
    let early = '';
    run.child.stdout.on('data', (d) => { early += d; });
    const url = await run.link;
    for (let i = 0; i < 100 && !early.includes('\n'); i += 1) await sleep(20);
    const first = JSON.parse(early.split('\n')[0]);  // printed before the sign-in is done
    assert.deepEqual(Object.keys(first).sort(), ['authorization_url', 'redirect_uri']);
    assert.equal(first.authorization_url, url);
    assert.match(first.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
    assert.equal(new URL(first.authorization_url).searchParams.get('redirect_uri'), first.redirect_uri);
    const { completeConsent } = await import('../fixtures/consent.mjs');
    await completeConsent(first.authorization_url, { caFile: pki.ca.cert });
    const done = await run.done;
    assert.equal(done.status, 0, done.stderr);
    const lines = done.lines();
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], first);
    assert.equal(lines[1].account, 'ndjson');
  });
});

describe('request: curl\'s -G -I -s -v, --json, and empty error answers', () => {
  let env;
  before(async () => {
    env = await setUp();
    assert.equal((await env.cli.connect('testas')).status, 0);
  });
  after(() => env.close());

  const echo = async (args) => {
    const r = await env.cli.run(['request', 'testas', ...args]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  test('-G sends the data as the query string of a GET; without it, a POST body', async () => {
    const g = await echo(['/echo?x=0', '-G', '-d', 'a=1&b=two%20words']);
    assert.equal(g.method, 'GET');
    assert.deepEqual(g.query, { x: '0', a: '1', b: 'two words' });
    assert.equal(g.body, '');
    const p = await echo(['/echo', '-d', 'a=1']);
    assert.equal(p.method, 'POST');
    assert.deepEqual(p.query, {});
    assert.equal(p.body, 'a=1');
  });

  test('-I sends HEAD and prints the status line and headers only', async () => {
    const r = await env.cli.run(['request', 'testas', '/me', '-I', '-v']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^> HEAD https:\/\/127\.0\.0\.1:\d+\/me$/m);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'HTTP 200 OK');
    assert.ok(lines.includes('content-type: application/json'), r.stdout);
    assert.doesNotMatch(r.stdout, /alice/);  // no body
    const bad = await env.cli.run(['request', 'testas', '/me', '-I', '-d', 'x']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /-I sends a HEAD request, which has no body/);
  });

  test('-v shows each request and answer on stderr, never the token or the client secret', async () => {
    const before = (await env.cli.run(['token', 'testas'])).stdout.trim();
    assert.equal(await env.as.revoke(before), true);  // the API answers 401: latchkey refreshes and retries
    const r = await env.cli.run(['request', 'testas', '/me', '-v', '-H', 'X-Note: hi']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).sub, 'alice');
    const gets = r.stderr.match(/^> GET https:\/\/127\.0\.0\.1:\d+\/me$/gm) ?? [];
    assert.equal(gets.length, 2, r.stderr);  // refused, then again with the new token
    assert.match(r.stderr, new RegExp(`^> POST ${env.as.endpoints.token.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    assert.match(r.stderr, /^> X-Note: hi$/m);
    assert.match(r.stderr, /^> Authorization: \[hidden\]$/m);
    assert.match(r.stderr, /^< HTTP 401 Unauthorized$/m);
    assert.match(r.stderr, /^< HTTP 200 OK$/m);
    const after = (await env.cli.run(['token', 'testas'])).stdout.trim();
    assert.notEqual(after, before);
    const basic = Buffer.from('latchkey-cli:cli-secret').toString('base64');
    for (const secret of [before, after, 'cli-secret', basic]) assert.ok(!r.stderr.includes(secret), '-v printed a secret');
    assert.doesNotMatch(r.stderr, /authorization: *(bearer|basic)/i);
  });

  test('an error answer with an empty body says its status on stderr; -s silences the notes', async () => {
    const r = await env.cli.run(['request', 'testas', '/empty/404']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'HTTP 404 Not Found\n');
    const s = await env.cli.run(['request', 'testas', '/empty/404', '-s']);
    assert.equal(s.status, 2);
    assert.equal(s.stderr, '');
    // The scope hint of a 403 is a note too.
    const hint = await env.cli.run(['request', 'testas', '/write']);
    assert.equal(hint.status, 2);
    assert.match(hint.stderr, /latchkey scopes add testas api:write/);
    const quiet = await env.cli.run(['request', 'testas', '/write', '-s']);
    assert.equal(quiet.status, 2);
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, /insufficient_scope/);  // the answer itself is still printed
  });

  test('--json: {status, headers, body}, the body parsed when it is JSON', async () => {
    const me = await env.cli.run(['request', 'testas', '/me', '--json']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(me.json().status, 200);
    assert.match(me.json().headers['content-type'], /^application\/json/);
    assert.equal(me.json().body.sub, 'alice');
    const html = await env.cli.run(['request', 'testas', '/html-error', '--json']);
    assert.equal(html.status, 2);
    assert.equal(html.json().status, 502);
    assert.match(html.json().body, /^<!DOCTYPE html>/);
    const empty = await env.cli.run(['request', 'testas', '/empty/503', '--json']);
    assert.equal(empty.status, 2);
    assert.deepEqual([empty.json().status, empty.json().body], [503, '']);
  });
});

describe('--scopes against the provider\'s available_scopes', () => {
  let env;
  before(async () => {
    env = await setUp();
    // Offers openid and api:read; the AS grants api:write too, so an unlisted scope can still work.
    const def = { ...providerFor(env.as, env.api, { key: 'testas-scoped' }), available_scopes: ['openid', 'api:read'] };
    assert.equal((await env.cli.run(['providers', 'register', '--file', env.cli.writeFile('scoped.json', JSON.stringify(def))])).status, 0);
    assert.equal((await env.cli.run(['apps', 'upsert', '--provider', 'testas-scoped', '--client-id', 'latchkey-cli',
      '--client-secret-stdin'], { input: 'cli-secret' })).status, 0);
  });
  after(() => env.close());

  test('an unlisted scope gets a warning naming it, and is asked for anyway', async () => {
    const c = await env.cli.connect('testas-scoped', ['--scopes', 'openid,api:read,api:write']);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stderr, /^latchkey: warning: 'testas-scoped' does not offer the scope api:write \(/m);
    assert.deepEqual(c.json().scopes, ['openid', 'api:read', 'api:write']);
    const quiet = await env.cli.connect('testas-scoped', ['--scopes', 'openid api:read', '--account', 'listed']);
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /warning/);
  });

  test('--strict refuses them before any sign-in starts', async () => {
    env.as.resetStats();
    const r = await env.cli.run(['connect', 'testas-scoped', '--scopes', 'openid,bogus,api:write', '--strict', '--no-browser']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^latchkey: 'testas-scoped' does not offer the scopes bogus, api:write \(.*--strict/m);
    assert.doesNotMatch(r.stderr, /Open this link/);
    const j = await env.cli.run(['scopes', 'add', 'testas-scoped', 'bogus', '--strict', '--json', '--account', 'listed']);
    assert.equal(j.status, 1);
    assert.match(j.json().error.message, /does not offer the scope bogus/);
    assert.equal(env.as.stats.authorization, 0);
  });

  test('a provider that lists no scopes: no warning, and --strict has nothing to refuse', async () => {
    const r = await env.cli.run(['connect', 'testas', '--scopes', 'whatever', '--strict', '--no-browser', '--timeout', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timed out after 1 s/);  // the sign-in started
    assert.doesNotMatch(r.stderr, /does not offer|warning/);
  });

  test("--scopes '' is an error, not the defaults", async () => {
    for (const empty of ['', ',', ' ']) {
      const r = await env.cli.run(['connect', 'testas-scoped', '--scopes', empty, '--no-browser', '--timeout', '1']);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, "latchkey: --scopes needs at least one scope; leave it out for the provider's defaults\n");
    }
  });
});

describe('bad input', () => {
  let env;
  before(async () => { env = await setUp(); });
  after(() => env.close());

  async function tlsServer(cert) {
    const server = https.createServer({ key: readFileSync(cert.key), cert: readFileSync(cert.cert) }, (req, res) => res.end('{}'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return server;
  }

  test('an untrusted certificate is refused with a clear TLS message', async () => {
    const server = await tlsServer(pki.untrusted);
    const r = await env.cli.run(['providers', 'discover', `https://127.0.0.1:${server.address().port}`, '--provider-key', 'untrusted', '--allow-private-network']);
    server.close();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not trusted/);
  });

  test('a certificate for another host is refused', async () => {
    const server = await tlsServer(pki.wrongHost);
    const r = await env.cli.run(['providers', 'discover', `https://127.0.0.1:${server.address().port}`, '--provider-key', 'wrong', '--allow-private-network']);
    server.close();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /wrong\.example|not for|name/);
  });

  test('a dead authorization server', async () => {
    const r = await env.cli.run(['providers', 'discover', 'https://127.0.0.1:9', '--provider-key', 'dead', '--allow-private-network']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refused/);
  });

  test('a token endpoint answering HTML', async () => {
    const def = providerFor(env.as, env.api, { key: 'testas-html', tokenEndpoint: `${env.api.url}/html-error` });
    const file = env.cli.writeFile('html.json', JSON.stringify(def));
    assert.equal((await env.cli.run(['providers', 'register', '--file', file])).status, 0);
    assert.equal((await env.cli.run(['apps', 'upsert', '--provider', 'testas-html', '--client-id', 'latchkey-cli', '--client-secret-stdin'], { input: 'cli-secret' })).status, 0);
    const c = await env.cli.connect('testas-html');
    assert.equal(c.status, 2);
    assert.match(c.stderr, /HTML page/);
    assert.equal((await env.cli.run(['status', 'testas-html'])).status, 1);  // nothing stored
  });

  test('a corrupted or truncated store is reported and left untouched', async () => {
    const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    assert.equal((await cli.run(['apps', 'upsert', '--provider', 'github', '--client-id', 'x'])).status, 0);
    const store = cli.env.LATCHKEY_STORE;
    const good = readFileSync(store);
    for (const bytes of [Buffer.from('this is not a database'), good.subarray(0, Math.floor(good.length / 2))]) {
      writeFileSync(store, bytes);
      const r = await cli.run(['connections', 'list']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.deepEqual(readFileSync(store), bytes);
    }
  });
});

after(() => {
  try { execFileSync('rm', ['-rf', pkiDir]); } catch { /* best effort */ }
});
