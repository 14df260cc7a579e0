// latchkeyd's device grant routes (RFC 8628) against oidc-provider's device flow: POST
// …/device hands out the code, POST …/device/poll waits server-side until the user (driven by
// completeDeviceConsent, as a phone would) approves or refuses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { completeDeviceConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, providerFor, request, runD, startGateway, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

describe('latchkeyd device grant', () => {
  let as;
  let api;
  let cli;
  let gw;
  const keys = {};
  before(async () => {
    as = await startAuthServer({ pki, deviceInterval: 1 });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    const def = { ...providerFor(as, api, { key: 'devas' }), device_authorization_endpoint: as.endpoints.deviceAuthorization };
    const reg = await cli.run(['providers', 'register', '--file', cli.writeFile('devas.json', JSON.stringify(def))]);
    assert.equal(reg.status, 0, reg.stderr);
    const app = await cli.run(['apps', 'upsert', '--provider', 'devas', '--client-id', 'latchkey-device', '--client-secret-stdin'],
      { input: 'device-secret\n' });
    assert.equal(app.status, 0, app.stderr);
    for (const [name, role] of [['alice', 'user'], ['bob', 'user']]) {
      const r = await runD(cli, ['keys', 'create', '--principal', name, '--role', role]);
      assert.equal(r.status, 0, r.stderr);
      keys[name] = r.stdout.trim();
    }
    gw = await startGateway(cli);
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await api.close();
    await as.close();
  });

  const start = (key, body) => request(`${gw.url}/v1/providers/devas/device`, {
    method: 'POST', key, body: JSON.stringify(body),
  });
  const poll = (key, handle, provider = 'devas') => request(`${gw.url}/v1/providers/${provider}/device/poll`, {
    method: 'POST', key, body: JSON.stringify({ handle }),
  });

  test('approved on another device: the poll answers with the connection', async () => {
    const s = await start(keys.alice, { scopes: ['openid', 'api:read', 'offline_access'] });
    assert.equal(s.status, 200, s.text);
    const d = s.json();
    assert.equal(d.verification_uri, as.endpoints.deviceVerification);
    assert.match(d.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.match(d.handle, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(d.verification_uri_complete.startsWith(as.endpoints.deviceVerification));
    assert.ok(d.expires_at_ms > Date.now());
    assert.equal(d.interval_ms, 1000);
    assert.ok(!s.text.includes('device_code'), 'the device code never leaves the gateway');

    const waiting = poll(keys.alice, d.handle);  // a long request: it returns once the user decides
    const phone = await completeDeviceConsent(d.verification_uri, d.user_code, { caFile: pki.ca.cert, login: 'dora' });
    assert.ok(phone.done, 'the AS did not show its done page');
    const r = await waiting;
    assert.equal(r.status, 200, r.text);
    const c = r.json();
    assert.equal(c.account, 'dora');
    assert.equal(c.principal, 'alice');
    assert.equal(c.grant, 'device_code');
    assert.equal(c.has_refresh_token, true);

    const list = await request(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.ok(list.json().some((x) => x.provider === 'devas' && x.account === 'dora'));
    const token = await request(`${gw.url}/v1/connections/devas/dora/token`, { method: 'POST', key: keys.alice });
    assert.equal(token.status, 200, token.text);
    // The handle is spent.
    const again = await poll(keys.alice, d.handle);
    assert.equal(again.status, 400, again.text);
  });

  test('denied on the consent page: access_denied as JSON', async () => {
    const s = await start(keys.alice, { account: 'nope' });
    assert.equal(s.status, 200, s.text);
    const d = s.json();
    const waiting = poll(keys.alice, d.handle);
    const phone = await completeDeviceConsent(d.verification_uri, d.user_code, { caFile: pki.ca.cert, deny: true });
    assert.equal(phone.done, false);
    const r = await waiting;
    assert.equal(r.status, 502, r.text);
    const e = r.json().error;
    assert.equal(e.code, 'provider_error');
    assert.equal(e.provider_error, 'access_denied');
    assert.match(e.message, /denied/);
  });

  test("another principal's handle (or another provider's route) is not found", async () => {
    const s = await start(keys.alice, { account: 'mine' });
    assert.equal(s.status, 200, s.text);
    const { handle } = s.json();
    const bob = await poll(keys.bob, handle);
    assert.equal(bob.status, 400, bob.text);
    assert.equal(bob.json().error.code, 'invalid_state');
    const other = await poll(keys.alice, handle, 'github');
    assert.equal(other.status, 400, other.text);
    assert.equal(other.json().error.code, 'invalid_state');
    const none = await poll(keys.alice, 'x'.repeat(43));
    assert.equal(none.status, 400, none.text);
  });

  test('bad requests', async () => {
    assert.equal((await start(keys.alice, { nope: 1 })).status, 400);
    assert.equal((await start(undefined, {})).status, 401);
    const missing = await request(`${gw.url}/v1/providers/devas/device/poll`, { method: 'POST', key: keys.alice, body: '{}' });
    assert.equal(missing.status, 400);
    const get = await request(`${gw.url}/v1/providers/devas/device`, { key: keys.alice });
    assert.equal(get.status, 405);
    const cc = await request(`${gw.url}/v1/providers/github/device`, { method: 'POST', key: keys.alice, body: '{}' });
    assert.notEqual(cc.status, 200);
  });
});
