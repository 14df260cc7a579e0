// OAuth 1.0a end to end: the real `latchkey` CLI against a loopback provider whose every
// signature is verified by Debian's python3-oauthlib (tests/fixtures/oauth1_server.py) — a peer
// that shares no code with latchkey. One custom provider per signature method.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';

import { oauth1Provider, startOAuth1Server } from '../fixtures/oauth1_server.mjs';
import {
  Cli, createKeys, dumpStore, request, startGateway, tempDir,
} from './harness.mjs';

/// Starts the oauthlib provider: { url, stats(), close() }.
const startProvider = startOAuth1Server;

const METHODS = [
  { method: 'HMAC-SHA1', slug: 'hmac-sha1' },
  { method: 'HMAC-SHA256', slug: 'hmac-sha256' },
  { method: 'RSA-SHA1', slug: 'rsa-sha1' },
  { method: 'PLAINTEXT', slug: 'plaintext' },
];

/// `latchkey connect` with the consent given by following the provider's redirect to the CLI's
/// loopback listener, as a browser would.
async function connect(cli, key, args = []) {
  const run = cli.start(['connect', key, '--no-browser', '--json', '--timeout', '60', ...args]);
  const link = await run.link;  // http: the fixture provider is plain HTTP on loopback
  if (!link) return run.done;
  const consent = await fetch(link, { redirect: 'manual' });
  assert.equal(consent.status, 302, `the provider approves at once (${link})`);
  const callback = consent.headers.get('location');
  assert.match(callback, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback\?oauth_token=[^&]+&oauth_verifier=/);
  const page = await fetch(callback);
  const result = await run.done;
  return {
    ...result, link, callback, page: { status: page.status, body: await page.text() }, json: () => result.lines().at(-1),
  };
}

describe('OAuth 1.0a against python3-oauthlib', () => {
  let provider;
  let cli;
  const secrets = {};

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const clients = {};
    for (const { slug } of METHODS) {
      secrets[slug] = slug === 'rsa-sha1' ? privateKey : `secret & more for ${slug}`;
      clients[`ck-${slug}-0001`] = slug === 'rsa-sha1' ? { secret: null, rsa_public_key: publicKey } : { secret: secrets[slug] };
    }
    provider = await startProvider({ clients, user: 'alice' });
    cli = new Cli({ dir: tempDir('latchkey-oauth1-'), caFile: '/etc/ssl/certs/ca-certificates.crt' });
    for (const m of METHODS) {
      const file = cli.writeFile(`${m.slug}.json`, JSON.stringify(oauth1Provider(provider.url, { key: key(m.slug), method: m.method })));
      const reg = await cli.run(['providers', 'register', '--file', file]);
      assert.equal(reg.status, 0, reg.stderr);
      const secretFile = cli.writeFile(`${m.slug}.secret`, secrets[m.slug]);
      const app = await cli.run(['apps', 'upsert', '--provider', `o1-${m.slug}`, '--client-id', `ck-${m.slug}-0001`,
        '--client-secret-file', secretFile]);
      assert.equal(app.status, 0, app.stderr);
    }
  });

  let gw;
  after(() => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    provider?.close();
  });

  test('the catalog offers X, Trello and a custom OAuth 1.0a template', async () => {
    for (const key of ['x-oauth1', 'trello', 'custom-oauth1']) {
      const r = await cli.run(['providers', 'get', key, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const p = r.json();
      assert.equal((p.provider ?? p).auth_mode, 'oauth1');
    }
  });

  for (const m of METHODS) {
    test(`${m.method}: connect, request, ping, status`, async () => {
      const key = `o1-${m.slug}`;
      const c = await connect(cli, key);
      assert.equal(c.status, 0, c.stderr);
      assert.equal(c.page.status, 200);
      const conn = c.json();
      assert.equal(conn.account, 'alice');  // named by the identity request, itself signed
      assert.equal(conn.grant, 'oauth1');
      assert.equal(conn.status, 'connected');

      const me = await cli.run(['request', key, '/me?x=a%20b&y=1']);
      assert.equal(me.status, 0, me.stderr);
      const body = JSON.parse(me.stdout);
      assert.equal(body.signature_method, m.method);
      assert.equal(body.screen_name, 'alice');

      // A JSON body is covered by oauth_body_hash (not under PLAINTEXT), checked by the server.
      const post = await cli.run(['request', key, '-X', 'POST', '-H', 'Content-Type: application/json',
        '-d', '{"note":"a&b=c"}', '/me']);
      assert.equal(post.status, 0, post.stderr + post.stdout);
      const posted = JSON.parse(post.stdout);
      assert.equal(posted.method, 'POST');
      assert.equal(posted.body, '{"note":"a&b=c"}');
      assert.equal(posted.body_hash_checked, m.method !== 'PLAINTEXT');

      // A form body's parameters are signed too.
      const form = await cli.run(['request', key, '-X', 'POST', '-H', 'Content-Type: application/x-www-form-urlencoded',
        '-d', 'status=Hello%20Ladies+%2B+Gentlemen&a=1&a=0', '/me']);
      assert.equal(form.status, 0, form.stderr);

      const ping = await cli.run(['ping', key]);
      assert.equal(ping.status, 0, ping.stderr);
      const status = await cli.run(['status', key, '--json']);
      assert.equal(status.status, 0, status.stderr);
      assert.equal(status.json()[0].status, 'connected');
    });
  }

  test('the store holds no secret in clear', () => {
    // Every record, the write-ahead log's too (the store is in WAL mode).
    const db = dumpStore(cli.env.LATCHKEY_STORE);
    for (const m of METHODS) {
      assert.match(db, new RegExp(`'app/o1-${m.slug}'`), `the ${m.slug} app is in the store`);
      assert.match(db, new RegExp(`'conn/[^']*o1-${m.slug}[^']*'`), `the ${m.slug} connection is in the store`);
    }
    for (const slug of ['hmac-sha1', 'hmac-sha256', 'plaintext']) assert.ok(!db.includes(secrets[slug]), slug);
    assert.ok(!db.includes('PRIVATE KEY'));
  });

  test('a tampered secret is refused by the real server (401)', async () => {
    const before = await provider.stats();
    const bad = cli.writeFile('bad.secret', 'not the consumer secret');
    const upsert = await cli.run(['apps', 'upsert', '--provider', 'o1-hmac-sha1', '--client-id', 'ck-hmac-sha1-0001',
      '--client-secret-file', bad]);
    assert.equal(upsert.status, 0, upsert.stderr);
    const r = await cli.run(['request', key('hmac-sha1'), '-i', '/me']);
    assert.equal(r.status, 3, r.stderr);  // 401: the connection must be authorized again
    assert.match(r.stdout, /^HTTP 401/);
    assert.match(r.stdout, /invalid_signature/);
    const afterStats = await provider.stats();
    assert.ok(afterStats.rejected > before.rejected);

    // The right secret works again: nothing else was changed by the refusal.
    const good = cli.writeFile('good.secret', secrets['hmac-sha1']);
    assert.equal((await cli.run(['apps', 'upsert', '--provider', 'o1-hmac-sha1', '--client-id', 'ck-hmac-sha1-0001',
      '--client-secret-file', good])).status, 0);
    assert.equal((await cli.run(['request', key('hmac-sha1'), '/me'])).status, 0);
  });

  test('latchkeyd: authorize → provider → /oauth/callback → proxy, signed by the core', async () => {
    const { default: apiKey } = await createKeys(cli, [['default', 'user']]);
    gw = await startGateway(cli);
    const r = await request(`${gw.url}/v1/providers/${key('rsa-sha1')}/authorize?account=gw`, { key: apiKey });
    assert.equal(r.status, 200, r.text);
    const { authorization_url: url, state } = r.json();
    assert.equal(new URL(url).searchParams.get('oauth_token'), state);  // the temporary token is the handle
    const consent = await fetch(url, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const callback = consent.headers.get('location');
    assert.ok(callback.startsWith(`${gw.url}/oauth/callback?oauth_token=`), callback);
    const done = await request(callback, { headers: { accept: 'application/json' } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json().account, 'gw');
    assert.equal(done.json().grant, 'oauth1');

    const replay = await request(callback, { headers: { accept: 'application/json' } });
    assert.equal(replay.status, 400);
    assert.equal(replay.json().error.code, 'state_reused');

    const proxied = await request(`${gw.url}/v1/proxy/${key('rsa-sha1')}/me?q=1`, {
      key: apiKey, headers: { 'x-latchkey-account': 'gw' },
    });
    assert.equal(proxied.status, 200, proxied.text);
    assert.equal(proxied.json().signature_method, 'RSA-SHA1');
    assert.equal(proxied.json().screen_name, 'alice');
  });

  test('disconnect removes the connection', async () => {
    const r = await cli.run(['disconnect', key('plaintext'), '--revoke']);
    assert.equal(r.status, 0, r.stderr);
    const s = await cli.run(['status', key('plaintext')]);
    assert.equal(s.status, 1);
    assert.match(s.stderr, /latchkey connect o1-plaintext/);
  });
});

function key(slug) { return `o1-${slug}`; }
