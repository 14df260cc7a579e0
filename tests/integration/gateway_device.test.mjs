// latchkeyd's device grant routes (RFC 8628) against oidc-provider's device flow: POST
// …/device hands out the code, POST …/device/poll answers at once — 202 while the user (driven
// by completeDeviceConsent, as a phone would) has not decided, then the connection or the
// refusal. The gateway runs with a single engine: a poll must never hold it while it waits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { completeDeviceConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, providerFor, request, sleep, startGateway, tempDir,
} from './harness.mjs';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/// Rejects if `promise` takes longer than `ms` (a request stuck behind a busy engine).
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

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
    const def = providerFor(as, api, { key: 'devas', device: true });
    const reg = await cli.run(['providers', 'register', '--file', cli.writeFile('devas.json', JSON.stringify(def))]);
    assert.equal(reg.status, 0, reg.stderr);
    const app = await cli.run(['apps', 'upsert', '--provider', 'devas', '--client-id', 'latchkey-device', '--client-secret-stdin'],
      { input: 'device-secret\n' });
    assert.equal(app.status, 0, app.stderr);
    await cli.addTestProvider(as, api, { key: 'nodev' });  // no device_authorization_endpoint
    Object.assign(keys, await createKeys(cli, [['alice', 'user'], ['bob', 'user']]));
    gw = await startGateway(cli, ['--engines', '1']);
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
  /// Polls as a client should: again at next_poll_at_ms while the answer is 202; the last answer.
  async function pollUntilDecided(key, handle) {
    for (;;) {
      const r = await within(5000, poll(key, handle), 'a device poll');
      if (r.status !== 202) return r;
      assert.equal(r.json().pending, true, r.text);
      await sleep(Math.min(1000, Math.max(50, r.json().next_poll_at_ms - Date.now())));
    }
  }

  test('approved on another device: the poll answers with the connection', async () => {
    const started = Date.now();
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

    // Not decided yet: answered at once, with when to ask again.
    const first = await within(5000, poll(keys.alice, d.handle), 'the first poll');
    assert.equal(first.status, 202, first.text);
    assert.equal(first.json().pending, true);
    assert.equal(first.json().interval_ms, 1000);
    assert.equal(first.json().expires_at_ms, d.expires_at_ms);
    // Not asked of the provider before one interval (1 s) has passed since the code was issued.
    const nextPoll = first.json().next_poll_at_ms;
    assert.ok(nextPoll >= started + 1000 && nextPoll <= Date.now() + 1000, `next_poll_at_ms ${nextPoll - started} ms after the start`);
    assert.ok(Number(first.headers['retry-after']) >= 1, first.headers['retry-after']);
    const [r, phone] = await Promise.all([
      pollUntilDecided(keys.alice, d.handle),
      completeDeviceConsent(d.verification_uri, d.user_code, { caFile: pki.ca.cert, login: 'dora' }),
    ]);
    assert.ok(phone.done, 'the AS did not show its done page');
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
    assert.equal(again.json().error.code, 'invalid_state');
  });

  test('denied on the consent page: access_denied as JSON', async () => {
    const s = await start(keys.alice, { account: 'nope' });
    assert.equal(s.status, 200, s.text);
    const d = s.json();
    const [r, phone] = await Promise.all([
      pollUntilDecided(keys.alice, d.handle),
      completeDeviceConsent(d.verification_uri, d.user_code, { caFile: pki.ca.cert, deny: true }),
    ]);
    assert.equal(phone.done, false);
    assert.equal(r.status, 502, r.text);
    const e = r.json().error;
    assert.equal(e.code, 'provider_error');
    assert.equal(e.provider_error, 'access_denied');
    assert.match(e.message, /denied/);
  });

  test('with one engine, other requests are served while a device sign-in waits for its user', async () => {
    const s = await start(keys.alice, { account: 'patient' });
    assert.equal(s.status, 200, s.text);
    const { handle } = s.json();
    as.resetStats();
    // A client polling far faster than the interval, for 3 s, while others use the gateway.
    const until = Date.now() + 3000;
    let polls = 0;
    const poller = (async () => {
      while (Date.now() < until) {
        const r = await within(5000, poll(keys.alice, handle), 'a device poll');
        assert.equal(r.status, 202, r.text);
        polls += 1;
        await sleep(100);
      }
    })();
    let served = 0;
    while (Date.now() < until) {
      const [list, who] = await Promise.all([
        within(2000, request(`${gw.url}/v1/connections`, { key: keys.bob }), 'GET /v1/connections'),
        within(2000, request(`${gw.url}/v1/whoami`, { key: keys.alice }), 'GET /v1/whoami'),
      ]);
      assert.equal(list.status, 200, list.text);
      assert.equal(who.json().principal, 'alice');
      served += 2;
      await sleep(150);
    }
    await poller;
    assert.ok(served >= 10, `only ${served} other requests were served`);
    assert.ok(polls >= 10, `only ${polls} polls were answered`);
    // However often the client asks, the provider is asked once per interval (1 s) at most.
    const asked = as.stats.token[DEVICE_GRANT] ?? 0;
    assert.ok(asked >= 1 && asked <= 4, `the token endpoint was asked ${asked} times in 3 s`);
    assert.equal(as.stats.slowDowns, 0);

    const [r, phone] = await Promise.all([
      pollUntilDecided(keys.alice, handle),
      completeDeviceConsent(s.json().verification_uri, s.json().user_code, { caFile: pki.ca.cert, login: 'pat' }),
    ]);
    assert.ok(phone.done);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().account, 'patient');
  });

  test("another principal's handle, another provider's route or an unknown handle: 400 invalid_state", async () => {
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
    assert.equal(none.json().error.code, 'invalid_state');
  });

  test('timeout_ms ends the sign-in before its code expires: the answer says so, later polls are state_expired', async () => {
    const before = Date.now();
    const s = await start(keys.alice, { account: 'hurry', scopes: ['openid'], timeout_ms: 1500 });
    assert.equal(s.status, 200, s.text);
    const d = s.json();
    // The AS gives codes minutes; this one ends 1.5 s after the start.
    assert.ok(d.expires_at_ms >= before + 1500 && d.expires_at_ms <= Date.now() + 1500, `${d.expires_at_ms - before} ms`);
    await sleep(d.expires_at_ms - Date.now() + 100);
    const late = await poll(keys.alice, d.handle);
    assert.equal(late.status, 400, late.text);
    assert.equal(late.json().error.code, 'state_expired');

    for (const timeout of [0, -1, 3600001, 1.5, '1000', null]) {
      const r = await start(keys.alice, { timeout_ms: timeout });
      assert.equal(r.status, 400, `${timeout}: ${r.text}`);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, /timeout_ms must be a whole number of milliseconds, 1 to 3600000/);
    }
    // The other fields keep their own checks next to it.
    const unknown = await start(keys.alice, { timeout_ms: 1000, nope: 1 });
    assert.equal(unknown.status, 400, unknown.text);
    assert.match(unknown.json().error.message, /unknown field 'nope'/);
    const badAccount = await start(keys.alice, { timeout_ms: 1000, account: '' });
    assert.equal(badAccount.status, 400, badAccount.text);
    assert.match(badAccount.json().error.message, /account must be a non-empty string/);
  });

  test('bad requests', async () => {
    assert.equal((await start(keys.alice, { nope: 1 })).status, 400);
    assert.equal((await start(undefined, {})).status, 401);
    const missing = await request(`${gw.url}/v1/providers/devas/device/poll`, { method: 'POST', key: keys.alice, body: '{}' });
    assert.equal(missing.status, 400);
    const get = await request(`${gw.url}/v1/providers/devas/device`, { key: keys.alice });
    assert.equal(get.status, 405);
    // A catalog provider with a device endpoint but no app in this store; one without the endpoint.
    const noApp = await request(`${gw.url}/v1/providers/github/device`, { method: 'POST', key: keys.alice, body: '{}' });
    assert.equal(noApp.status, 404, noApp.text);
    assert.equal(noApp.json().error.code, 'not_found');
    assert.match(noApp.json().error.message, /no app credentials for 'github'/);
    const noDevice = await request(`${gw.url}/v1/providers/nodev/device`, { method: 'POST', key: keys.alice, body: '{}' });
    assert.equal(noDevice.status, 501, noDevice.text);
    assert.equal(noDevice.json().error.code, 'unsupported');
    assert.match(noDevice.json().error.message, /'nodev' has no device_authorization_endpoint/);
  });
});
