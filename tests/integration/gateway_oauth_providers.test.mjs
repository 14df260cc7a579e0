// The /oauth-providers contract (docs/oauth_providers_api.md) against the real latchkeyd and the
// real authorization server (oidc-provider, tests/fixtures/auth_server.mjs): the contract
// document's own examples — its create body (endpoints pointed at the fixture instead of
// Salesforce, the rest as written, the AS knowing the example's client), its update body, the
// shape of its example answers — then a sign-in completed both ways (the gateway's callback, and
// POST /exchange with the code caught before it), status, token, disconnect, a client-credentials
// provider, delete, and the refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { defaultClients, startAuthServer } from '../fixtures/auth_server.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, request, sleep, startGateway, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

// The contract document's examples, as written there.
const EXAMPLE_RESPONSE = {
  id: '6650a1b2c3d4e5f678901234',
  name: 'salesforce',
  display_name: 'Salesforce',
  project: '6650a1b2c3d4e5f678905678',
  grant_type: 'authorization_code',
  authorization_endpoint: 'https://login.salesforce.com/services/oauth2/authorize',
  token_endpoint: 'https://login.salesforce.com/services/oauth2/token',
  client_id: '3MVG9...',
  has_client_secret: true,
  default_scopes: ['api', 'refresh_token'],
  use_pkce: true,
  revocation_endpoint: 'https://login.salesforce.com/services/oauth2/revoke',
  created_at: '2024-06-01T12:00:00.000Z',
  updated_at: '2024-06-01T12:00:00.000Z',
};
const EXAMPLE_CREATE = {
  name: 'salesforce',
  display_name: 'Salesforce',
  grant_type: 'authorization_code',
  authorization_endpoint: 'https://login.salesforce.com/services/oauth2/authorize',
  token_endpoint: 'https://login.salesforce.com/services/oauth2/token',
  client_id: '3MVG9...',
  client_secret: 'my-secret-value',
  default_scopes: ['api', 'refresh_token'],
  use_pkce: true,
  revocation_endpoint: 'https://login.salesforce.com/services/oauth2/revoke',
};
// The create "Code Example" (curl): the same without revocation_endpoint.
const { revocation_endpoint: _unused, ...EXAMPLE_CREATE_CURL } = EXAMPLE_CREATE;
const EXAMPLE_UPDATE = { display_name: 'Salesforce Production', default_scopes: ['api', 'refresh_token', 'full'] };
const STATUS_MEMBERS = ['oauth_provider_id', 'oauth_provider_name', 'authenticated', 'expires_at', 'scope'];
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const PREFIXES = ['/api/v1/oauth-providers', '/oauth-providers'];
const SECRETS = [EXAMPLE_CREATE.client_secret, 'm2m-secret', 'cli-secret'];

/// The example's members, in any order.
const members = (o) => Object.keys(o).sort();

function findMember(value, name) {
  if (Array.isArray(value)) return value.some((v) => findMember(v, name));
  if (value && typeof value === 'object') {
    return Object.keys(value).includes(name) || Object.values(value).some((v) => findMember(v, name));
  }
  return false;
}

describe('the /oauth-providers API', () => {
  let as; let gw; let keys; let base;
  const answers = [];  // every answer the gateway gave: no client secret may be in any
  // One request to the gateway, kept for the secret check.
  const call = async (method, path, { key, body } = {}) => {
    const r = await request(`${gw.url}${path}`, {
      method, key, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    answers.push(r.text);
    return r;
  };
  let sf;  // the example provider as created
  let created;  // its create answer

  before(async () => {
    // The AS knows the example's client (its id and secret as the document writes them), so the
    // example body signs in as it is; its redirect URI is loopback, any port (RFC 8252 §7.3).
    as = await startAuthServer({
      pki,
      clients: [...defaultClients, {
        client_id: EXAMPLE_CREATE.client_id,
        client_secret: EXAMPLE_CREATE.client_secret,
        client_name: 'Salesforce example',
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/oauth/callback'],
      }],
    });
    const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    keys = await createKeys(cli, [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']]);
    gw = await startGateway(cli);
    base = PREFIXES[0];
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await as?.close();
  });

  test('create with the example body: 201 and the example answer\'s members', async () => {
    const body = {
      ...EXAMPLE_CREATE,
      authorization_endpoint: as.endpoints.authorization,
      token_endpoint: as.endpoints.token,
      revocation_endpoint: as.endpoints.revocation,
    };
    const t0 = Date.now();
    const r = await call('POST', base, { key: keys.admin, body });
    const t1 = Date.now();
    assert.equal(r.status, 201, r.text);
    created = r.json();
    assert.deepEqual(members(created), members(EXAMPLE_RESPONSE));
    const { client_secret: _secret, ...expected } = body;
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(created[k], v, k);
    assert.equal(created.has_client_secret, true);
    assert.match(created.id, /^[0-9a-f]{24}$/);  // the shape of the example's ids
    assert.equal(typeof created.project, 'string');
    assert.ok(created.project.length > 0);
    assert.match(created.created_at, ISO_MS);
    assert.equal(created.updated_at, created.created_at);
    const at = Date.parse(created.created_at);
    assert.ok(at >= t0 - 1000 && at <= t1 + 1000, `${created.created_at} is when it was created`);
    sf = created.id;
  });

  test('the same provider is /v1\'s, under its id', async () => {
    const p = await call('GET', `/v1/providers/${sf}`, { key: keys.bob });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json().display_name, 'Salesforce');
    assert.equal(p.json().token_endpoint, as.endpoints.token);
    const app = await call('GET', `/v1/providers/${sf}/app`, { key: keys.bob });
    assert.equal(app.status, 200, app.text);
    assert.equal(app.json().client_id, EXAMPLE_CREATE.client_id);
    assert.equal(app.json().has_client_secret, true);
  });

  test('list and get: the same object on both prefixes, for any key', async () => {
    for (const prefix of PREFIXES) {
      const list = await call('GET', prefix, { key: keys.bob });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json(), [created]);
      assert.deepEqual(members(list.json()[0]), members(EXAMPLE_RESPONSE));
      const one = await call('GET', `${prefix}/${sf}`, { key: keys.alice });
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(one.json(), created);
    }
    for (const id of ['0123456789abcdef01234567', 'salesforce', 'x']) {
      const r = await call('GET', `${base}/${id}`, { key: keys.bob });
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json().error.code, 'not_found');
    }
  });

  test('update with the example body: only those members change, and updated_at', async () => {
    await sleep(20);  // so that a moved updated_at differs from created_at
    const r = await call('PUT', `${PREFIXES[1]}/${sf}`, { key: keys.admin, body: EXAMPLE_UPDATE });
    assert.equal(r.status, 200, r.text);
    const updated = r.json();
    assert.deepEqual(members(updated), members(EXAMPLE_RESPONSE));
    assert.equal(updated.display_name, 'Salesforce Production');
    assert.deepEqual(updated.default_scopes, ['api', 'refresh_token', 'full']);
    const { display_name: _d, default_scopes: _s, updated_at: previous, ...same } = created;
    const { display_name: _d2, default_scopes: _s2, updated_at: moved, ...rest } = updated;
    assert.deepEqual(rest, same);
    assert.equal(updated.created_at, created.created_at);
    assert.match(moved, ISO_MS);
    assert.ok(Date.parse(moved) > Date.parse(previous), `${moved} is after ${previous}`);
    assert.deepEqual((await call('GET', `${base}/${sf}`, { key: keys.bob })).json(), updated);
    created = updated;
  });

  test('refusals: no key 401, a user key 403 on writes, a name in use 409, a name not kebab-case 400', async () => {
    for (const prefix of PREFIXES) {
      for (const [method, path] of [['GET', ''], ['POST', ''], ['GET', `/${sf}`], ['PUT', `/${sf}`], ['DELETE', `/${sf}`],
        ['POST', '/exchange'], ['GET', `/${sf}/authorize`], ['GET', `/${sf}/status`], ['POST', `/${sf}/connect`],
        ['POST', `/${sf}/token`], ['DELETE', `/${sf}/disconnect`], ['GET', '/no/such/route']]) {
        const r = await call(method, `${prefix}${path}`, { body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
        assert.equal(r.status, 401, `${method} ${prefix}${path}: ${r.text}`);
        assert.equal(r.json().error.code, 'unauthorized');
      }
      for (const [method, path, body] of [['POST', '', EXAMPLE_CREATE_CURL], ['PUT', `/${sf}`, EXAMPLE_UPDATE],
        ['DELETE', `/${sf}`, undefined], ['POST', `/${sf}/connect`, {}]]) {
        const r = await call(method, `${prefix}${path}`, { key: keys.alice, body });
        assert.equal(r.status, 403, `${method} ${prefix}${path}: ${r.text}`);
        assert.equal(r.json().error.code, 'forbidden');
      }
    }
    // The create Code Example (curl) names the example's provider again: its name is taken.
    const dup = await call('POST', base, {
      key: keys.admin,
      body: { ...EXAMPLE_CREATE_CURL, authorization_endpoint: as.endpoints.authorization, token_endpoint: as.endpoints.token },
    });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.json().error.code, 'conflict');
    for (const name of ['Salesforce', 'sales force', 'sales_force', '-sf', 'sf-', 'sales--force', 'x'.repeat(65), '']) {
      const r = await call('POST', base, {
        key: keys.admin,
        body: { ...EXAMPLE_CREATE, name, authorization_endpoint: as.endpoints.authorization, token_endpoint: as.endpoints.token },
      });
      assert.equal(r.status, 400, `${JSON.stringify(name)}: ${r.text}`);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, /name/);
    }
    // Renaming onto a name in use is the same conflict; nothing else changed.
    const other = await call('POST', base, {
      key: keys.admin,
      body: { ...EXAMPLE_CREATE, name: 'salesforce-sandbox', authorization_endpoint: as.endpoints.authorization, token_endpoint: as.endpoints.token },
    });
    assert.equal(other.status, 201, other.text);
    const rename = await call('PUT', `${base}/${other.json().id}`, { key: keys.admin, body: { name: 'salesforce', display_name: 'X' } });
    assert.equal(rename.status, 409, rename.text);
    assert.deepEqual((await call('GET', `${base}/${other.json().id}`, { key: keys.admin })).json(), other.json());
    const del = await call('DELETE', `${base}/${other.json().id}`, { key: keys.admin });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json(), { success: true });
    // Refused bodies left nothing behind.
    assert.deepEqual((await call('GET', base, { key: keys.admin })).json(), [created]);
  });

  test('sign-in completed by the gateway\'s callback: status, token', async () => {
    // The fixture AS knows its own scopes, not Salesforce's.
    const put = await call('PUT', `${base}/${sf}`, { key: keys.admin, body: { default_scopes: ['openid', 'api:read'] } });
    assert.equal(put.status, 200, put.text);
    created = put.json();

    const none = await call('GET', `${base}/${sf}/status`, { key: keys.alice });
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.json(), {
      oauth_provider_id: sf, oauth_provider_name: 'salesforce', authenticated: false, expires_at: null, scope: null,
    });

    const r = await call('GET', `${base}/${sf}/authorize`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(members(r.json()), ['authorization_url', 'state']);
    const { authorization_url: url, state } = r.json();
    const u = new URL(url);
    assert.equal(`${u.origin}${u.pathname}`, as.endpoints.authorization);
    assert.equal(u.searchParams.get('response_type'), 'code');
    assert.equal(u.searchParams.get('client_id'), EXAMPLE_CREATE.client_id);
    assert.equal(u.searchParams.get('redirect_uri'), `${gw.url}/oauth/callback`);
    assert.equal(u.searchParams.get('state'), state);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');  // use_pkce
    assert.ok(u.searchParams.get('code_challenge'));
    assert.equal(u.searchParams.get('scope'), 'openid api:read');

    const t0 = Date.now();
    const consent = await completeConsent(url, { caFile: pki.ca.cert, fetchCallback: false });
    assert.ok(consent.callbackUrl.startsWith(`${gw.url}/oauth/callback?`), consent.callbackUrl);
    const page = await request(consent.callbackUrl);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Connected/);

    const s = await call('GET', `${PREFIXES[1]}/${sf}/status`, { key: keys.alice });
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(members(s.json()), [...STATUS_MEMBERS].sort());
    assert.equal(s.json().oauth_provider_id, sf);
    assert.equal(s.json().oauth_provider_name, 'salesforce');
    assert.equal(s.json().authenticated, true);
    assert.match(s.json().expires_at, ISO_MS);
    // The fixture's access tokens live 3600 s.
    const expires = Date.parse(s.json().expires_at);
    assert.ok(expires > t0 + 3500e3 && expires < Date.now() + 3700e3, s.json().expires_at);
    assert.equal(s.json().scope, 'openid api:read');
    // bob has signed in to nothing.
    assert.equal((await call('GET', `${base}/${sf}/status`, { key: keys.bob })).json().authenticated, false);
    // The connection is /v1's too: alice's, account "default".
    const conns = (await call('GET', '/v1/connections', { key: keys.alice })).json();
    assert.deepEqual(conns.map((c) => c.id), [`${sf}/default`]);

    const t = await call('POST', `${base}/${sf}/token`, { key: keys.alice, body: '{}' });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(members(t.json()), ['access_token']);
    const info = await as.introspect(t.json().access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, EXAMPLE_CREATE.client_id);
    assert.equal(info.sub, 'alice');
    // A replayed callback is refused: the sign-in's state worked once.
    const replay = await request(consent.callbackUrl, { headers: { accept: 'application/json' } });
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json().error.code, 'state_reused');
  });

  test('sign-in completed by POST /exchange with the code caught before the callback', async () => {
    const r = await call('GET', `${PREFIXES[1]}/${sf}/authorize`, { key: keys.bob });
    assert.equal(r.status, 200, r.text);
    const consent = await completeConsent(r.json().authorization_url, { caFile: pki.ca.cert, login: 'bob', fetchCallback: false });
    const { code, state } = consent.params;
    assert.ok(code && state === r.json().state);
    const body = { code, state };
    // Only the principal that started it may finish it.
    const asAlice = await call('POST', `${base}/exchange`, { key: keys.alice, body });
    assert.ok([400, 404].includes(asAlice.status), asAlice.text);
    const ok = await call('POST', `${base}/exchange`, { key: keys.bob, body });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json(), { success: true });
    const s = (await call('GET', `${base}/${sf}/status`, { key: keys.bob })).json();
    assert.equal(s.authenticated, true);
    assert.equal(s.scope, 'openid api:read');
    const t = await call('POST', `${base}/${sf}/token`, { key: keys.bob });
    assert.equal(t.status, 200, t.text);
    assert.equal((await as.introspect(t.json().access_token)).sub, 'bob');

    // The state is single-use: neither another exchange nor the callback takes it again.
    for (const prefix of PREFIXES) {
      const again = await call('POST', `${prefix}/exchange`, { key: keys.bob, body });
      assert.equal(again.status, 400, again.text);
      assert.equal(again.json().error.code, 'state_reused');
    }
    const callback = await request(consent.callbackUrl, { headers: { accept: 'application/json' } });
    assert.equal(callback.status, 400, callback.text);
    const bad = await call('POST', `${base}/exchange`, { key: keys.bob, body: { code } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json().error.code, 'invalid_request');
  });

  test('disconnect: the caller\'s tokens are revoked and deleted', async () => {
    const token = (await call('POST', `${base}/${sf}/token`, { key: keys.alice })).json().access_token;
    assert.equal((await as.introspect(token)).active, true);
    const r = await call('DELETE', `${base}/${sf}/disconnect`, { key: keys.alice });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { success: true });
    const s = (await call('GET', `${base}/${sf}/status`, { key: keys.alice })).json();
    assert.equal(s.authenticated, false);
    assert.equal(s.expires_at, null);
    assert.equal((await as.introspect(token)).active, false, 'revoked at the revocation_endpoint');
    const t = await call('POST', `${base}/${sf}/token`, { key: keys.alice });
    assert.equal(t.status, 404, t.text);
    assert.equal(t.json().error.code, 'not_found');
    assert.match(t.json().error.message, /authorize/);
    // bob's connection is his own and still there; disconnecting nothing is no error.
    assert.equal((await call('GET', `${base}/${sf}/status`, { key: keys.bob })).json().authenticated, true);
    assert.deepEqual((await call('DELETE', `${base}/${sf}/disconnect`, { key: keys.alice })).json(), { success: true });
  });

  test('client_secret "" clears it; a new one sets it again', async () => {
    const cleared = await call('PUT', `${base}/${sf}`, { key: keys.admin, body: { client_secret: '' } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.json().has_client_secret, false);
    assert.equal(cleared.json().client_id, EXAMPLE_CREATE.client_id);
    assert.equal((await call('GET', `${base}/${sf}`, { key: keys.bob })).json().has_client_secret, false);
    assert.equal((await call('GET', `/v1/providers/${sf}/app`, { key: keys.bob })).json().has_client_secret, false);
    const set = await call('PUT', `${base}/${sf}`, { key: keys.admin, body: { client_secret: EXAMPLE_CREATE.client_secret } });
    assert.equal(set.json().has_client_secret, true);
    const { updated_at: _a, ...was } = created;
    const { updated_at: _b, ...now } = set.json();
    assert.deepEqual(now, was);
  });

  test('a client_credentials provider: connect (admin), then the project\'s token for any key', async () => {
    const r = await call('POST', PREFIXES[1], {
      key: keys.admin,
      body: {
        name: 'm2m-service',
        display_name: 'Machine to machine',
        grant_type: 'client_credentials',
        token_endpoint: as.endpoints.token,
        client_id: 'latchkey-m2m',
        client_secret: 'm2m-secret',
        default_scopes: ['api:read'],
      },
    });
    assert.equal(r.status, 201, r.text);
    const m2m = r.json();
    assert.deepEqual(members(m2m), members(EXAMPLE_RESPONSE));
    assert.equal(m2m.grant_type, 'client_credentials');
    assert.equal(m2m.authorization_endpoint, null);
    assert.equal(m2m.revocation_endpoint, null);
    assert.equal(m2m.use_pkce, true);
    const id = m2m.id;

    const signIn = await call('GET', `${base}/${id}/authorize`, { key: keys.alice });
    assert.equal(signIn.status, 400, signIn.text);
    assert.match(signIn.json().error.message, /connect/);
    const wrong = await call('POST', `${base}/${sf}/connect`, { key: keys.admin, body: {} });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal((await call('GET', `${base}/${id}/status`, { key: keys.bob })).json().authenticated, false);

    const c = await call('POST', `${base}/${id}/connect`, { key: keys.admin, body: {} });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.json(), { success: true });
    // The token is the project's: a user key that never connected anything sees and gets it.
    const s = await call('GET', `${base}/${id}/status`, { key: keys.bob });
    assert.equal(s.json().authenticated, true, s.text);
    assert.equal(s.json().oauth_provider_name, 'm2m-service');
    assert.equal(s.json().scope, 'api:read');
    assert.match(s.json().expires_at, ISO_MS);
    const t = await call('POST', `${base}/${id}/token`, { key: keys.bob, body: '{}' });
    assert.equal(t.status, 200, t.text);
    const info = await as.introspect(t.json().access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'latchkey-m2m');

    const d = await call('DELETE', `${base}/${id}/disconnect`, { key: keys.alice });
    assert.deepEqual(d.json(), { success: true });
    assert.equal((await call('GET', `${base}/${id}/status`, { key: keys.admin })).json().authenticated, false);
    assert.equal((await call('POST', `${base}/${id}/token`, { key: keys.bob })).status, 404);

    // A switch to authorization_code needs an authorization endpoint.
    const sw = await call('PUT', `${base}/${id}`, { key: keys.admin, body: { grant_type: 'authorization_code' } });
    assert.equal(sw.status, 400, sw.text);
    assert.match(sw.json().error.message, /authorization_endpoint/);
    assert.deepEqual((await call('GET', base, { key: keys.bob })).json().map((p) => p.name), ['m2m-service', 'salesforce']);
  });

  test('delete: the provider, its app and its connections are gone; the name is free again', async () => {
    const r = await call('DELETE', `${PREFIXES[1]}/${sf}`, { key: keys.admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { success: true });
    assert.equal((await call('GET', `${base}/${sf}`, { key: keys.admin })).status, 404);
    assert.equal((await call('GET', `${base}/${sf}/status`, { key: keys.bob })).status, 404);
    assert.equal((await call('DELETE', `${base}/${sf}`, { key: keys.admin })).status, 404);
    assert.equal((await call('GET', `/v1/providers/${sf}`, { key: keys.admin })).status, 404);
    assert.deepEqual((await call('GET', '/v1/connections', { key: keys.bob })).json(), []);
    assert.deepEqual((await call('GET', base, { key: keys.bob })).json().map((p) => p.name), ['m2m-service']);
    const again = await call('POST', base, {
      key: keys.admin,
      body: { ...EXAMPLE_CREATE, authorization_endpoint: as.endpoints.authorization, token_endpoint: as.endpoints.token },
    });
    assert.equal(again.status, 201, again.text);
    assert.notEqual(again.json().id, sf);
  });

  test('no answer held a client secret', () => {
    assert.ok(answers.length > 50);
    for (const text of answers) {
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `an answer holds a secret: ${text}`);
      let doc;
      try { doc = JSON.parse(text); } catch { continue; }
      assert.ok(!findMember(doc, 'client_secret'), `an answer has a client_secret member: ${text}`);
    }
  });
});
