// latchkeyd with pushed authorization requests (RFC 9126) and private_key_jwt client
// authentication (RFC 7523 §2.2), both against oidc-provider and set up only through the
// gateway's API: providers and apps are PUT/POSTed by an admin key, users sign in through
// GET …/authorize, the real consent pages and the gateway's /oauth/callback, and the
// connection is used through the proxy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { defaultClients, startAuthServer } from '../fixtures/auth_server.mjs';
import {
  jwtClients, jwtProviders, keyPair, pemMarker,
} from '../fixtures/client_keys.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, providerFor, request, startGateway, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// A gateway on its own store with an admin and a user key: { gw, keys, close() }.
async function startGatewayWithKeys() {
  const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
  const keys = await createKeys(cli, [['admin', 'admin'], ['alice', 'user']]);
  const gw = await startGateway(cli);
  return { gw, keys, close() { if (gw.child.exitCode === null) gw.child.kill('SIGKILL'); } };
}

/// The gateway's JSON API as `key`: api(key)('PUT', '/v1/…', body) → the harness's response.
const caller = (gw) => (key) => (method, path, body) => request(`${gw.url}${path}`, {
  method, key, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/// Alice signs in at `url` (the AS's real pages, then the gateway's /oauth/callback, which
/// says she is connected); checks that the code was exchanged once, without error, and that
/// the connection `provider`/alice reaches the API through the proxy as `clientId`.
/// `env` is a startGatewayWithKeys(); `alice` her caller. Resolves with the connection.
async function signInAndUse({ as, env, alice }, url, provider, clientId) {
  const browser = await completeConsent(url, { caFile: pki.ca.cert, login: 'alice' });
  assert.ok(browser.callbackUrl.startsWith(`${env.gw.url}/oauth/callback?`), browser.callbackUrl);
  assert.equal(browser.status, 200, browser.body);
  assert.match(browser.body, /latchkey:connected/);
  assert.equal(as.stats.token.authorization_code, 1);
  assert.equal(as.stats.tokenErrors.authorization_code ?? 0, 0);

  const c = await alice('GET', `/v1/connections/${provider}/alice`);
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json().grant, 'authorization_code');
  const me = await alice('GET', `/v1/proxy/${provider}/me`);
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json().sub, 'alice');
  assert.equal(me.json().client_id, clientId);
  return c.json();
}

describe('latchkeyd: pushed authorization requests (RFC 9126)', () => {
  let as;
  let api;
  let env;
  let admin;
  let alice;
  before(async () => {
    as = await startAuthServer({ pki, requirePar: true });
    api = await startApiServer({ pki, authServer: as });
    env = await startGatewayWithKeys();
    admin = caller(env.gw)(env.keys.admin);
    alice = caller(env.gw)(env.keys.alice);
    for (const [key, par] of [['parsa', true], ['nopar', false]]) {
      const p = await admin('POST', '/v1/providers', providerFor(as, api, { key, par }));
      assert.equal(p.status, 201, p.text);
      const app = await admin('PUT', `/v1/providers/${key}/app`, { client_id: 'latchkey-cli', client_secret: 'cli-secret' });
      assert.equal(app.status, 200, app.text);
    }
  });
  after(async () => { env?.close(); await api?.close(); await as?.close(); });

  test('authorize pushes the request: the consent URL carries only client_id and request_uri; the connection works', async () => {
    as.resetStats();
    const a = await alice('GET', '/v1/providers/parsa/authorize?scopes=openid,api:read');
    assert.equal(a.status, 200, a.text);
    const url = new URL(a.json().authorization_url);
    assert.equal(url.origin + url.pathname, as.endpoints.authorization);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.equal(url.searchParams.get('client_id'), 'latchkey-cli');
    assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(as.stats.pushedAuthorization, 1);
    await signInAndUse({ as, env, alice }, url.href, 'parsa', 'latchkey-cli');
  });

  test('the same AS refuses a provider that does not push (the requirement is real)', async () => {
    as.resetStats();
    const a = await alice('GET', '/v1/providers/nopar/authorize?account=nobody');
    assert.equal(a.status, 200, a.text);
    const url = new URL(a.json().authorization_url);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');  // the parameters travel in the URL
    assert.equal(as.stats.pushedAuthorization, 0);
    const browser = await completeConsent(url.href, { caFile: pki.ca.cert });
    // The AS sends its refusal back to the gateway's callback, which says so.
    assert.equal(browser.params.error, 'invalid_request', browser.callbackUrl);
    assert.match(browser.params.error_description, /Pushed Authorization Request must be used/);
    assert.match(browser.body, /Not connected/);
    assert.equal(as.stats.token.authorization_code ?? 0, 0);
    assert.equal((await alice('GET', '/v1/connections/nopar/nobody')).status, 404);
  });
});

describe('latchkeyd: private_key_jwt apps (RFC 7523)', () => {
  const rsa = keyPair('rsa', 'rsa-1');
  const ec = keyPair('ec', 'ec-1');
  const stranger = keyPair('rsa', 'rsa-1');  // same kid, a key the AS has never seen
  let as;
  let api;
  let env;
  let admin;
  let alice;
  before(async () => {
    as = await startAuthServer({
      pki,
      clients: [...defaultClients, ...jwtClients(rsa, ec)],
    });
    api = await startApiServer({ pki, authServer: as });
    env = await startGatewayWithKeys();
    admin = caller(env.gw)(env.keys.admin);
    alice = caller(env.gw)(env.keys.alice);
    for (const def of jwtProviders(as, api)) {
      const p = await admin('POST', '/v1/providers', def);
      assert.equal(p.status, 201, p.text);
    }
  });
  after(async () => { env?.close(); await api?.close(); await as?.close(); });

  /// PUT …/app with the PEM as the write-only client secret; the answer never holds it.
  async function putApp(provider, clientId, key, kid) {
    const r = await admin('PUT', `/v1/providers/${provider}/app`, {
      client_id: clientId, client_secret: key.pem, token_endpoint_auth_method: 'private_key_jwt', key_id: kid,
    });
    assert.equal(r.status, 200, r.text);
    for (const answer of [r, await admin('GET', `/v1/providers/${provider}/app`)]) {
      const app = answer.json();
      assert.equal(app.token_endpoint_auth_method, 'private_key_jwt');
      assert.equal(app.key_id, kid);
      assert.equal(app.has_client_secret, true);
      assert.equal(app.client_secret, undefined);
      assert.ok(!answer.text.includes('PRIVATE KEY') && !answer.text.includes(pemMarker(key.pem)));
    }
  }

  test('code exchange, refresh, proxy and revocation with an RS256 assertion', async () => {
    await putApp('jwtas', 'latchkey-jwt', rsa, 'rsa-1');
    as.resetStats();
    const a = await alice('GET', '/v1/providers/jwtas/authorize');
    assert.equal(a.status, 200, a.text);
    const c = await signInAndUse({ as, env, alice }, a.json().authorization_url, 'jwtas', 'latchkey-jwt');
    assert.equal(c.has_refresh_token, true);
    as.resetStats();
    for (let i = 0; i < 2; i += 1) {  // a new jti each time, or the AS refuses the second
      const t = await alice('POST', '/v1/connections/jwtas/alice/token?force_refresh=true');
      assert.equal(t.status, 200, t.text);
    }
    assert.equal(as.stats.token.refresh_token, 2);
    assert.equal(as.stats.tokenErrors.refresh_token ?? 0, 0);

    as.resetStats();
    const d = await alice('DELETE', '/v1/connections/jwtas/alice?revoke=true');
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json().revoked, true, d.text);
    // Both tokens, each with a fresh assertion (the AS refuses a jti seen before).
    assert.equal(as.stats.revocation, 2);
  });

  test('client credentials with RS256 and with ES256', async () => {
    await putApp('jwtas-m2m', 'latchkey-jwt', rsa, 'rsa-1');
    await putApp('jwtas-ec', 'latchkey-jwt-ec', ec, 'ec-1');
    as.resetStats();
    for (const [provider, clientId] of [['jwtas-m2m', 'latchkey-jwt'], ['jwtas-ec', 'latchkey-jwt-ec']]) {
      const c = await alice('POST', `/v1/providers/${provider}/connect`, {});
      assert.equal(c.status, 200, c.text);
      assert.equal(c.json().grant, 'client_credentials');
      const me = await alice('GET', `/v1/proxy/${provider}/me`);
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json().client_id, clientId);
    }
    assert.equal(as.stats.token.client_credentials, 2);
    assert.equal(as.stats.tokenErrors.client_credentials ?? 0, 0);
  });

  test('a key the AS does not know: invalid_client, and no key in any answer or log line', async () => {
    await putApp('jwtas-m2m', 'latchkey-jwt', stranger, 'rsa-1');
    const c = await alice('POST', '/v1/providers/jwtas-m2m/connect', { account: 'stranger' });
    assert.equal(c.status, 502, c.text);
    assert.equal(c.json().error.provider_error, 'invalid_client');
    assert.ok(!c.text.includes('PRIVATE KEY') && !c.text.includes(pemMarker(stranger.pem)));
    // Not a key at all: refused before any request, without quoting it.
    const bad = await admin('PUT', '/v1/providers/jwtas-m2m/app', { client_id: 'latchkey-jwt', client_secret: 'hunter2-not-a-key' });
    assert.equal(bad.status, 200, bad.text);
    const refused = await alice('POST', '/v1/providers/jwtas-m2m/connect', { account: 'stranger' });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json().error.message, /private_key_jwt.*PEM/);
    assert.ok(!refused.text.includes('hunter2'));
    const unknown = await admin('PUT', '/v1/providers/jwtas-m2m/app', { client_id: 'x', token_endpoint_auth_method: 'mtls' });
    assert.equal(unknown.status, 400, unknown.text);
    assert.match(unknown.json().error.message, /token_endpoint_auth_method/);
    for (const key of [rsa, ec, stranger]) assert.ok(!env.gw.stderr.includes(pemMarker(key.pem)), 'a key in the access log');
    assert.ok(!env.gw.stderr.includes('hunter2'));
  });
});
