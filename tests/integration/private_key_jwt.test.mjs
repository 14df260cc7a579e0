// private_key_jwt client authentication (RFC 7523 §2.2) end to end: oidc-provider knows the
// clients only by their public keys (JWKS), and the CLI signs a fresh assertion for every token
// endpoint request — code exchange, refresh, client credentials, revocation — with the PEM key
// kept as the app's sealed client secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { defaultClients, startAuthServer } from '../fixtures/auth_server.mjs';
import { jwtClients, jwtProviders, keyPair } from '../fixtures/client_keys.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

const rsa = keyPair('rsa', 'rsa-1');
const ec = keyPair('ec', 'ec-1');
const stranger = keyPair('rsa', 'rsa-1');  // same kid, a key the AS has never seen

describe('private_key_jwt', () => {
  let as;
  let api;
  let cli;
  before(async () => {
    as = await startAuthServer({
      pki,
      clients: [...defaultClients, ...jwtClients(rsa, ec)],
    });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    for (const def of jwtProviders(as, api)) {
      const r = await cli.run(['providers', 'register', '--file', cli.writeFile(`${def.key}.json`, JSON.stringify(def))]);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(async () => { await api.close(); await as.close(); });

  async function upsert(provider, clientId, key, kid) {
    const file = cli.writeFile(`${provider}.pem`, key.pem);
    const r = await cli.run(['apps', 'upsert', '--provider', provider, '--client-id', clientId,
      '--auth-method', 'private_key_jwt', '--key-id', kid, '--client-secret-file', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const app = r.json();
    assert.equal(app.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(app.key_id, kid);
    assert.equal(app.has_client_secret, true);
    assert.ok(!r.stdout.includes('PRIVATE KEY'));
  }

  test('connect (code exchange), refresh and revocation with an RS256 assertion', async () => {
    await upsert('jwtas', 'latchkey-jwt', rsa, 'rsa-1');
    as.resetStats();
    const c = await cli.connect('jwtas');
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().has_refresh_token, true);
    assert.equal(as.stats.token.authorization_code, 1);
    assert.equal(as.stats.tokenErrors.authorization_code ?? 0, 0);

    const t = await cli.run(['token', 'jwtas', '--force-refresh', '--json']);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(t.json().refreshed, true);
    const t2 = await cli.run(['token', 'jwtas', '--force-refresh', '--json']);  // a second assertion: a new jti, or the AS refuses it
    assert.equal(t2.status, 0, t2.stderr);
    assert.equal(as.stats.token.refresh_token, 2);
    assert.equal(as.stats.tokenErrors.refresh_token ?? 0, 0);
    const me = await cli.run(['request', 'jwtas', '/me']);
    assert.equal(me.status, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).client_id, 'latchkey-jwt');

    as.resetStats();
    const d = await cli.run(['disconnect', 'jwtas', '--revoke', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().revoked, true, d.stdout);
    // Both tokens, each with a fresh assertion (the AS refuses a jti seen before).
    assert.equal(as.stats.revocation, 2);
  });

  test('client credentials with RS256 and with ES256', async () => {
    await upsert('jwtas-m2m', 'latchkey-jwt', rsa, 'rsa-1');
    await upsert('jwtas-ec', 'latchkey-jwt-ec', ec, 'ec-1');
    as.resetStats();
    for (const [provider, clientId] of [['jwtas-m2m', 'latchkey-jwt'], ['jwtas-ec', 'latchkey-jwt-ec']]) {
      const c = await cli.run(['connect', provider, '--json']);
      assert.equal(c.status, 0, c.stderr);
      assert.equal(c.json().grant, 'client_credentials');
      const me = await cli.run(['request', provider, '/me']);
      assert.equal(me.status, 0, me.stderr);
      assert.equal(JSON.parse(me.stdout).client_id, clientId);
    }
    assert.equal(as.stats.token.client_credentials, 2);
  });

  test('a key the AS does not know: a clear invalid_client error, and the key is never printed', async () => {
    await upsert('jwtas-m2m', 'latchkey-jwt', stranger, 'rsa-1');
    const c = await cli.run(['connect', 'jwtas-m2m', '--json']);
    assert.equal(c.status, 2, c.stderr);
    const e = c.json().error;
    assert.equal(e.provider_error, 'invalid_client');
    assert.match(e.message, /client/i);
    for (const out of [c.stdout, c.stderr]) {
      assert.ok(!out.includes('PRIVATE KEY') && !out.includes(stranger.pem.split('\n')[1]));
    }
    // Not a key at all: refused before any request, without quoting it.
    const file = cli.writeFile('not-a-key.pem', 'hunter2-not-a-key');
    const u = await cli.run(['apps', 'upsert', '--provider', 'jwtas-m2m', '--client-id', 'latchkey-jwt',
      '--client-secret-file', file]);
    assert.equal(u.status, 0, u.stderr);
    const bad = await cli.run(['connect', 'jwtas-m2m']);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /private_key_jwt.*PEM/);
    assert.ok(!bad.stderr.includes('hunter2'));
  });

  test('unknown methods are refused by apps upsert', async () => {
    const r = await cli.run(['apps', 'upsert', '--provider', 'jwtas', '--client-id', 'x', '--auth-method', 'mtls']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /token_endpoint_auth_method/);
  });
});
