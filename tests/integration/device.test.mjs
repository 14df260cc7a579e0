// `latchkey connect KEY --device` (RFC 8628) end to end: the real oidc-provider with its device
// flow on, the user side (code page, login, consent) driven by completeDeviceConsent as a phone
// would, and the CLI polling the real token endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { completeDeviceConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, providerFor, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// Starts `connect --device` and resolves once it has printed the verification URI and code.
function startDevice(cli, provider, args = []) {
  const run = cli.start(['connect', provider, '--device', '--json', ...args]);
  let stderr = '';
  const shown = new Promise((resolve) => {
    run.child.stderr.on('data', (d) => {
      stderr += d;
      const uri = stderr.match(/open this page on any device:\n\s+(https:\/\/\S+)\n/);
      const code = stderr.match(/enter the code:\n\s+(\S+)\n/);
      if (uri && code) resolve({ uri: uri[1], code: code[1] });
    });
    run.done.then(() => resolve(null));
  });
  return { ...run, shown };
}

describe('connect --device', () => {
  let as;
  let api;
  let cli;
  before(async () => {
    as = await startAuthServer({ pki, deviceInterval: 1 });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    // Discovery fills in device_authorization_endpoint from the server's metadata.
    const d = await cli.run(['providers', 'discover', as.issuer, '--provider-key', 'devas', '--allow-private-network', '--json']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.json().device_authorization_endpoint, as.endpoints.deviceAuthorization);
    const def = providerFor(as, api, { key: 'devas', device: true });
    const file = cli.writeFile('devas.json', JSON.stringify(def));
    const u = await cli.run(['providers', 'update', 'devas', '--file', file]);
    assert.equal(u.status, 0, u.stderr);
    const app = await cli.run(['apps', 'upsert', '--provider', 'devas', '--client-id', 'latchkey-device', '--client-secret-stdin'],
      { input: 'device-secret\n' });
    assert.equal(app.status, 0, app.stderr);
  });
  after(async () => { await api.close(); await as.close(); });

  test('approved on another device: connected, named, and usable', async () => {
    as.resetStats();
    const run = startDevice(cli, 'devas', ['--scopes', 'openid,api:read,offline_access']);
    const shown = await run.shown;
    assert.ok(shown, 'the CLI printed no code');
    assert.equal(shown.uri, as.endpoints.deviceVerification);
    assert.match(shown.code, /^[A-Z]{4}-[A-Z]{4}$/);
    const phone = await completeDeviceConsent(shown.uri, shown.code, { caFile: pki.ca.cert, login: 'dora' });
    assert.ok(phone.done, 'the AS did not show its done page');
    const r = await run.done;
    assert.equal(r.status, 0, r.stderr);
    const c = r.json();
    assert.equal(c.account, 'dora');
    assert.equal(c.grant, 'device_code');
    assert.equal(c.has_refresh_token, true);
    assert.match(c.scope, /api:read/);
    // The QR code is drawn (half blocks) and the device code is never printed.
    assert.match(r.stderr, /[\u2580\u2584\u2588]{10}/);
    assert.equal(as.stats.deviceCodes.length, 1);
    const [deviceCode] = as.stats.deviceCodes;
    assert.ok(deviceCode.length >= 20, deviceCode);
    assert.ok(!r.stderr.includes(deviceCode) && !r.stdout.includes(deviceCode), 'the device code was printed');
    assert.ok(as.stats.token['urn:ietf:params:oauth:grant-type:device_code'] >= 1);
    const ping = await cli.run(['ping', 'devas', '--account', 'dora']);
    assert.equal(ping.status, 0, ping.stderr);
    const refresh = await cli.run(['token', 'devas', '--account', 'dora', '--json']);
    assert.equal(refresh.status, 0, refresh.stderr);
  });

  test('denied on the consent page: exit 2 with access_denied', async () => {
    const run = startDevice(cli, 'devas');
    const shown = await run.shown;
    assert.ok(shown, 'the CLI printed no code');
    const phone = await completeDeviceConsent(shown.uri, shown.code, { caFile: pki.ca.cert, deny: true });
    assert.equal(phone.done, false);
    const r = await run.done;
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /denied/);
    assert.equal(r.json().error.provider_error, 'access_denied');
  });

  test('slow_down makes the CLI wait 5 s longer between polls', async () => {
    as.resetStats();
    as.slowDown(1);
    const started = Date.now();
    const run = startDevice(cli, 'devas', ['--account', 'slow']);
    const shown = await run.shown;
    assert.ok(shown, 'the CLI printed no code');
    const phone = await completeDeviceConsent(shown.uri, shown.code, { caFile: pki.ca.cert });
    assert.ok(phone.done);
    const r = await run.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json().account, 'slow');
    assert.equal(as.stats.slowDowns, 1);
    // 1 s before the slow_down, then 1 + 5 s before the next poll.
    assert.ok(Date.now() - started >= 6500, `finished after ${Date.now() - started} ms`);
  });

  test('--timeout 3 without an approval stops after about 3 s with exit 3 (authorize again)', async () => {
    as.resetStats();
    const started = Date.now();
    const run = startDevice(cli, 'devas', ['--timeout', '3']);
    // Without the limit it would poll for the code's whole life (10 min): stop it, and fail.
    const guard = setTimeout(() => run.child.kill('SIGKILL'), 15000);
    const shown = await run.shown;
    assert.ok(shown, 'the CLI printed no code');
    const r = await run.done;
    clearTimeout(guard);
    const took = Date.now() - started;
    assert.equal(r.status, 3, `exit ${r.status} after ${took} ms: ${r.stderr}`);
    assert.ok(took >= 2900 && took < 8000, `finished after ${took} ms`);
    assert.equal(r.json().error.code, 'state_expired');
    assert.match(r.stderr, /start again with `latchkey connect devas --device`/);
    assert.match(r.stderr, /up to 3 s/);
    assert.ok(as.stats.token['urn:ietf:params:oauth:grant-type:device_code'] >= 1, 'it did poll');
  });

  test('a provider without a device endpoint says so (exit 1)', async () => {
    await cli.addTestProvider(as, api, { key: 'nodev' });
    as.resetStats();
    const r = await cli.run(['connect', 'nodev', '--device']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /'nodev' has no device_authorization_endpoint, so it cannot connect with a code/);
    assert.equal(as.stats.requests, 0, 'nothing was asked of the AS');
  });
});
