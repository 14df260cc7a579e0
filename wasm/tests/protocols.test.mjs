// OAuth 1.0a and the device grant through the JS API, once per raw layer:
// - OAuth 1.0a against tests/fixtures/oauth1_server.py, where Debian's python3-oauthlib checks
//   every signature; the test also recomputes the HMAC-SHA1 of each signed request itself
//   (node:crypto over the RFC 5849 §3.4.1 base string), so a wrong base string cannot hide
//   behind a lenient server.
// - The device grant (RFC 8628) with a scripted token endpoint (the exact answers the polling
//   must survive: authorization_pending, slow_down, access_denied) and a recording sleep (the
//   intervals the core asks for), then once against the real oidc-provider.
// - Pushed authorization requests (RFC 9126) at an oidc-provider that requires them, and
//   private_key_jwt client authentication (RFC 7523) with RSA and P-256 keys known to
//   oidc-provider only by their JWKS: authorize, exchange, refresh, client credentials, revoke.
// Run: LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node wasm/tests/run.mjs wasm/tests/protocols.test.mjs
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../../tests/fixtures/api_server.mjs';
import { defaultClients, startAuthServer } from '../../tests/fixtures/auth_server.mjs';
import {
  jwtClients, jwtProviders, keyPair, pemMarker,
} from '../../tests/fixtures/client_keys.mjs';
import { completeConsent, completeDeviceConsent } from '../../tests/fixtures/consent.mjs';
import { oauth1Provider, startOAuth1Server } from '../../tests/fixtures/oauth1_server.mjs';
import { startMcpServer } from '../../tests/fixtures/mcp_server.mjs';
import {
  connect, consent, fetchMe, layers, pki, providerFor, REDIRECT, rejectsWith,
} from './support.mjs';

const LAYERS = await layers();
if (LAYERS.length === 0) test('JS broker protocols', { skip: 'set LATCHKEY_WASM_PKG and/or LATCHKEY_WASI_WASM' }, () => {});

// ---------------------------------------------------------------------------------------------
// OAuth 1.0a

const CONSUMER_KEY = 'ck-js-hmac-sha1-01';
const CONSUMER_SECRET = 'consumer secret & more';

/// RFC 3986 unreserved characters stay, everything else is %XX (RFC 5849 §3.6).
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/// The Authorization: OAuth header's parameters, decoded.
function oauthParams(header) {
  assert.match(header, /^OAuth /);
  const out = {};
  for (const m of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) out[m[1]] = decodeURIComponent(m[2]);
  return out;
}

/// The signature base string (RFC 5849 §3.4.1), written here from the RFC, not from the core.
function baseString(method, url, oauth, form = []) {
  const u = new URL(url);
  const params = [...u.searchParams, ...Object.entries(oauth).filter(([k]) => k !== 'oauth_signature' && k !== 'realm'), ...form]
    .map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const normalized = params.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), enc(`${u.protocol}//${u.host}${u.pathname}`), enc(normalized)].join('&');
}

const hmacSha1 = (key, text) => createHmac('sha1', key).update(text).digest('base64');

/// A fetch that passes everything to the real one and keeps what was sent, and the token secret
/// the provider issued (for the test's own signature check; the broker never shows it).
function recordingFetch() {
  const sent = [];
  const spy = { sent, tokenSecret: null };
  spy.fetch = async (url, init = {}) => {
    const body = init.body === undefined ? '' : typeof init.body === 'string' ? init.body : Buffer.from(init.body).toString('utf8');
    sent.push({ url: String(url), method: init.method ?? 'GET', headers: new Headers(init.headers), body });
    const res = await fetch(url, init);
    if (new URL(url).pathname === '/oauth/access_token' && res.ok) {
      spy.tokenSecret = new URLSearchParams(await res.clone().text()).get('oauth_token_secret');
    }
    return res;
  };
  return spy;
}

/// Checks a request the broker sent: the header's shape, and its signature recomputed here.
function checkSignature(spy, req, { form = [] } = {}) {
  const p = oauthParams(req.headers.get('authorization'));
  assert.equal(p.oauth_consumer_key, CONSUMER_KEY);
  assert.equal(p.oauth_signature_method, 'HMAC-SHA1');
  assert.ok(Math.abs(Number(p.oauth_timestamp) - Date.now() / 1000) < 60, `timestamp ${p.oauth_timestamp}`);
  assert.match(p.oauth_nonce, /^[A-Za-z0-9]{8,}$/);
  assert.match(p.oauth_signature, /^[A-Za-z0-9+/]{27}=$/); // base64 of 20 bytes
  assert.ok(spy.tokenSecret, 'the token secret was issued');
  const key = `${enc(CONSUMER_SECRET)}&${enc(spy.tokenSecret)}`;
  assert.equal(p.oauth_signature, hmacSha1(key, baseString(req.method, req.url, p, form)));
  return p;
}

for (const layer of LAYERS) {
  describe(`${layer.name} layer: OAuth 1.0a against python3-oauthlib`, () => {
    let server;
    before(async () => {
      server = await startOAuth1Server({ clients: { [CONSUMER_KEY]: { secret: CONSUMER_SECRET } }, user: 'alice' });
    });
    after(() => server?.close());

    test('authorize → oauth_token + oauth_verifier callback → signed requests', async () => {
      const spy = recordingFetch();
      const broker = await layer.createBroker({ fetch: spy.fetch });
      await broker.providers.register(oauth1Provider(server.url));
      await broker.apps.upsert({ provider: 'o1', clientId: CONSUMER_KEY, clientSecret: CONSUMER_SECRET });

      const start = await broker.authorize('o1', { redirectUri: REDIRECT });
      const consentUrl = new URL(start.url);
      assert.equal(consentUrl.origin + consentUrl.pathname, `${server.url}/oauth/authorize`);
      assert.equal(consentUrl.searchParams.get('oauth_token'), start.state, 'the state is the temporary token');
      // The provider approves at once and sends the browser to the callback.
      const consent = await fetch(start.url, { redirect: 'manual' });
      assert.equal(consent.status, 302);
      const callback = consent.headers.get('location');
      assert.match(callback, /^http:\/\/127\.0\.0\.1:9\/oauth\/callback\?oauth_token=[^&]+&oauth_verifier=[^&]+$/);

      const conn = await broker.handleCallback(callback);
      assert.equal(conn.id, 'o1/alice'); // named by the identity request, itself signed
      assert.equal(conn.grant, 'oauth1');
      assert.equal(conn.status, 'connected');
      assert.equal(conn.expiresAtMs, null);
      await rejectsWith(layer, broker.handleCallback(callback), 'state_reused');

      // GET with a query (a space, a repeated name): the query is part of the base string.
      const me = await broker.fetch(conn.id, '/me?b=2&a=x%20y&a=1', { headers: { authorization: 'Bearer not-mine' } });
      assert.equal(me.status, 200, await me.clone().text());
      const seen = await me.json();
      assert.deepEqual([seen.screen_name, seen.signature_method, seen.client_key], ['alice', 'HMAC-SHA1', CONSUMER_KEY]);
      const get = spy.sent.at(-1);
      assert.equal(get.url, `${server.url}/api/me?b=2&a=x%20y&a=1`);
      const p = checkSignature(spy, get);
      assert.equal(p.oauth_token, await broker.getAccessToken(conn.id));
      assert.equal(p.oauth_body_hash, undefined);

      // A form body (URLSearchParams, its Content-Type set by fetch's rules): its parameters are signed.
      const form = new URLSearchParams([['note', 'a&b=c'], ['z', 'é 1']]);
      const posted = await broker.fetch(conn.id, '/me', { method: 'POST', body: form });
      assert.equal(posted.status, 200, await posted.clone().text());
      assert.equal((await posted.json()).body_hash_checked, false);
      const formReq = spy.sent.at(-1);
      assert.match(formReq.headers.get('content-type'), /^application\/x-www-form-urlencoded/);
      assert.equal(oauthParams(formReq.headers.get('authorization')).oauth_body_hash, undefined);
      checkSignature(spy, formReq, { form: [...form] });

      // Any other body: oauth_body_hash (SHA-1 of the bytes sent), checked by the server too.
      const json = JSON.stringify({ note: 'a&b=c', n: 'ü' });
      const put = await broker.fetch(conn.id, '/me', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: json });
      assert.equal(put.status, 200, await put.clone().text());
      const putSeen = await put.json();
      assert.equal(putSeen.body_hash_checked, true);
      assert.equal(putSeen.body, json);
      const putReq = spy.sent.at(-1);
      assert.equal(checkSignature(spy, putReq).oauth_body_hash, createHash('sha1').update(json).digest('base64'));

      // A binary body cannot be hashed through the C ABI's text: refused, nothing sent.
      const count = spy.sent.length;
      await rejectsWith(layer, broker.fetch(conn.id, '/me', { method: 'POST', body: new Uint8Array([0xff, 0xfe, 0x00]) }), 'unsupported', /binary/);
      assert.equal(spy.sent.length, count);

      const stats = await server.stats();
      assert.equal(stats.rejected, 0, JSON.stringify(stats));
      broker.close();
    });

    test('a tampered verifier is refused by the provider; nothing is stored', async () => {
      const broker = await layer.createBroker();
      await broker.providers.register(oauth1Provider(server.url));
      await broker.apps.upsert({ provider: 'o1', clientId: CONSUMER_KEY, clientSecret: CONSUMER_SECRET });
      const start = await broker.authorize('o1', { redirectUri: REDIRECT });
      const callback = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location'));
      callback.searchParams.set('oauth_verifier', 'not-the-verifier');
      await rejectsWith(layer, broker.handleCallback(callback.href), 'invalid_grant', /the provider rejected the verifier/);
      assert.deepEqual(await broker.connections(), []);
      broker.close();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The device grant

const AS = 'https://as.device.test';

function deviceProvider({ key = 'dev' } = {}) {
  return {
    key,
    display_name: 'Device test AS',
    auth_mode: 'oauth2',
    authorization_endpoint: `${AS}/authorize`,
    token_endpoint: `${AS}/token`,
    device_authorization_endpoint: `${AS}/device`,
    api_base_url: 'https://api.device.test',
    default_scopes: ['read'],
    pkce: 'supported',
    token_endpoint_auth_method: 'client_secret_basic',
    injection: { hosts: ['https://api.device.test'], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  };
}

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/// A scripted authorization server: the device authorization answer, then `tokenAnswers` in order.
function scriptedAs(tokenAnswers) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    calls.push({ path: u.pathname, form: new URLSearchParams(init.body ?? ''), headers: new Headers(init.headers) });
    if (u.pathname === '/device') {
      return json(200, {
        device_code: 'dc-not-for-the-store', user_code: 'WDJB-MJHT', verification_uri: `${AS}/device`,
        verification_uri_complete: `${AS}/device?user_code=WDJB-MJHT`, expires_in: 600, interval: 2,
      });
    }
    if (u.pathname === '/token' && tokenAnswers.length) return json(...tokenAnswers.shift());
    return json(500, { error: 'unexpected', path: u.pathname });
  };
  return { fetch, calls, tokenCalls: () => calls.filter((c) => c.path === '/token') };
}

/// A sleep that returns at once and keeps the intervals asked for (honouring an abort).
function recordingSleep(onSleep = () => {}) {
  const slept = [];
  const sleep = async (ms, signal) => {
    slept.push(ms);
    onSleep(slept.length);
    if (signal?.aborted) throw signal.reason;
  };
  return { sleep, slept };
}

async function deviceBroker(layer, answers, onSleep) {
  const as = scriptedAs(answers);
  const rec = recordingSleep(onSleep);
  const storage = layer.index.memoryStorage();
  const broker = await layer.createBroker({ fetch: as.fetch, sleep: rec.sleep, storage });
  await broker.providers.register(deviceProvider());
  await broker.apps.upsert({ provider: 'dev', clientId: 'dev-client', clientSecret: 'dev-secret' });
  return { broker, as, rec, storage };
}

const PENDING = [400, { error: 'authorization_pending' }];
const SLOW_DOWN = [400, { error: 'slow_down' }];
const TOKEN = [200, { access_token: 'at-device-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-device-1', scope: 'read' }];

for (const layer of LAYERS) {
  describe(`${layer.name} layer: the device grant`, () => {
    test('pending → slow_down → success: the intervals the server asks for, then a connection', async () => {
      const { broker, as, rec, storage } = await deviceBroker(layer, [PENDING, SLOW_DOWN, TOKEN]);
      const d = await broker.device('dev', { scopes: ['read'], account: 'ci' });
      assert.deepEqual({ ...d, wait: undefined, poll: undefined }, {
        userCode: 'WDJB-MJHT', verificationUri: `${AS}/device`, verificationUriComplete: `${AS}/device?user_code=WDJB-MJHT`,
        expiresAt: d.expiresAt, interval: 2000, wait: undefined, poll: undefined,
      });
      assert.ok(Math.abs(d.expiresAt - (Date.now() + 600_000)) < 10_000);
      const [auth] = as.calls;
      assert.equal(auth.path, '/device');
      assert.equal(auth.form.get('scope'), 'read');
      assert.equal(auth.headers.get('authorization'), `Basic ${Buffer.from('dev-client:dev-secret').toString('base64')}`);
      // The device code is kept sealed, never in clear.
      const records = await storage.list('');
      assert.equal(records.filter((r) => r.key.startsWith('device/')).length, 1, records.map((r) => r.key).join(' '));
      for (const r of records) assert.ok(!r.value.includes('dc-not-for-the-store'), r.key);

      const conn = await d.wait();
      assert.equal(conn.id, 'dev/ci');
      assert.equal(conn.grant, 'device_code');
      assert.equal(conn.hasRefreshToken, true);
      // A sleep of the interval before every token request; slow_down adds 5 s (RFC 8628 §3.5).
      assert.deepEqual(rec.slept, [2000, 2000, 7000]);
      const polls = as.tokenCalls();
      assert.equal(polls.length, 3);
      for (const p of polls) {
        assert.equal(p.form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:device_code');
        assert.equal(p.form.get('device_code'), 'dc-not-for-the-store');
      }
      assert.equal(await broker.getAccessToken(conn.id), 'at-device-1');
      await rejectsWith(layer, d.wait(), 'invalid_state'); // finished: the handle is spent
      broker.close();
    });

    test('access_denied ends the wait with provider_error; nothing is connected', async () => {
      const { broker, rec } = await deviceBroker(layer, [PENDING, [400, { error: 'access_denied', error_description: 'the user said no' }]]);
      const d = await broker.device('dev', { account: 'ci' });
      const e = await rejectsWith(layer, d.wait(), 'provider_error');
      assert.equal(e.providerError, 'access_denied');
      assert.deepEqual(rec.slept, [2000, 2000]);
      assert.deepEqual(await broker.connections(), []);
      broker.close();
    });

    test('expired_token ends the wait with state_expired', async () => {
      const { broker } = await deviceBroker(layer, [PENDING, [400, { error: 'expired_token' }]]);
      const d = await broker.device('dev', { account: 'ci' });
      await rejectsWith(layer, d.wait(), 'state_expired');
      broker.close();
    });

    test('a timeout ends the wait with state_expired, as an expired code does (and poll() answers the same)', async () => {
      let clock = Date.now();
      const as = scriptedAs([PENDING, PENDING, PENDING, PENDING]);
      const slept = [];
      const sleep = async (ms) => { slept.push(ms); clock += ms; };
      const broker = await layer.createBroker({ fetch: as.fetch, sleep, now: () => clock });
      await broker.providers.register(deviceProvider());
      await broker.apps.upsert({ provider: 'dev', clientId: 'dev-client', clientSecret: 'dev-secret' });
      const started = clock;
      const d = await broker.device('dev', { account: 'ci', timeout: 3000 });
      assert.equal(d.expiresAt, started + 3000);  // the code itself lives 600 s
      const e = await rejectsWith(layer, d.wait(), 'state_expired', /start again/);
      assert.ok(!e.message.includes('dc-not-for-the-store'));
      assert.deepEqual(slept, [2000, 1000]);  // the 2 s interval, then only what was left
      assert.equal(as.tokenCalls().length, 1);
      const again = await broker.device('dev', { account: 'ci', timeout: 3000 });
      clock += 3000;
      await rejectsWith(layer, again.poll(), 'state_expired');
      assert.deepEqual(await broker.connections(), []);
      broker.close();
    });

    test('an aborted wait stops polling; wait() again resumes with the same code', async () => {
      const controller = new AbortController();
      const { broker, as, rec } = await deviceBroker(layer, [PENDING, TOKEN], (n) => { if (n === 2) controller.abort(); });
      const d = await broker.device('dev', { account: 'ci' });
      await assert.rejects(d.wait({ signal: controller.signal }), { name: 'AbortError' });
      assert.equal(as.tokenCalls().length, 1, 'no token request after the abort');
      const conn = await d.wait();
      assert.equal(conn.grant, 'device_code');
      assert.deepEqual(rec.slept, [2000, 2000, 2000]);
      assert.equal(as.tokenCalls().length, 2);
      broker.close();
    });

    test('poll(): no sleeps; the provider is asked only once the interval has passed', async () => {
      let clock = Date.now();
      const as = scriptedAs([PENDING, TOKEN]);
      const rec = recordingSleep();
      const broker = await layer.createBroker({ fetch: as.fetch, sleep: rec.sleep, now: () => clock });
      await broker.providers.register(deviceProvider());
      await broker.apps.upsert({ provider: 'dev', clientId: 'dev-client', clientSecret: 'dev-secret' });
      const d = await broker.device('dev', { account: 'ci' });
      const start = clock;
      assert.deepEqual(await d.poll(), { pending: true, interval: 2000, nextPollAt: start + 2000, expiresAt: d.expiresAt });
      assert.equal(as.tokenCalls().length, 0, 'not due: not asked');
      clock = start + 2000;
      assert.equal((await d.poll()).nextPollAt, start + 4000);
      assert.equal((await d.poll()).pending, true);  // asked again at once: answered from storage
      assert.equal(as.tokenCalls().length, 1);
      clock = start + 4000;
      const done = await d.poll();
      assert.equal(done.pending, false);
      assert.equal(done.connection.id, 'dev/ci');
      assert.equal(done.connection.grant, 'device_code');
      assert.equal(as.tokenCalls().length, 2);
      assert.deepEqual(rec.slept, []);
      await rejectsWith(layer, d.poll(), 'invalid_state');
      broker.close();
    });

    test('a provider without a device endpoint is refused before any request', async () => {
      const { broker, as } = await deviceBroker(layer, []);
      const { device_authorization_endpoint: _, ...plain } = deviceProvider({ key: 'plain' });
      await broker.providers.register(plain);
      await broker.apps.upsert({ provider: 'plain', clientId: 'c', clientSecret: 's' });
      await rejectsWith(layer, broker.device('plain'), 'unsupported', /'plain' has no device_authorization_endpoint/);
      assert.equal(as.calls.length, 0);
      broker.close();
    });
  });

  describe(`${layer.name} layer: the device grant against oidc-provider`, () => {
    let as;
    let api;
    before(async () => {
      as = await startAuthServer({ pki, deviceInterval: 1 });
      api = await startApiServer({ pki, authServer: as });
    });
    after(async () => { await api?.close(); await as?.close(); });

    test('the user approves on another device: connected, named, usable', async () => {
      const broker = await layer.createBroker();
      await broker.providers.register(providerFor(as, api, { key: 'devas', device: true }));
      await broker.apps.upsert({ provider: 'devas', clientId: 'latchkey-device', clientSecret: 'device-secret' });
      const d = await broker.device('devas', { scopes: ['openid', 'api:read', 'offline_access'] });
      assert.equal(d.verificationUri, as.endpoints.deviceVerification);
      assert.match(d.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
      assert.equal(d.interval, 1000);
      const [conn, phone] = await Promise.all([
        d.wait(),
        completeDeviceConsent(d.verificationUri, d.userCode, { caFile: pki.ca.cert, login: 'dora' }),
      ]);
      assert.ok(phone.done, 'the AS showed its done page');
      assert.equal(conn.id, 'devas/dora');
      assert.equal(conn.grant, 'device_code');
      assert.equal((await fetchMe(broker, conn.id)).sub, 'dora');
      broker.close();
    });
  });

  describe(`${layer.name} layer: an MCP server, discovered and registered`, () => {
    const env = {};
    before(async () => {
      env.as = await startAuthServer({ pki, registration: true });
      env.mcp = await startMcpServer({ pki, authServer: env.as });
    });
    after(async () => { await env.mcp?.close(); await env.as?.close(); });

    test('providers.discover(url, {mcp}) registers, and the consent URL names the resource; loopback needs the flag', async () => {
      const broker = await layer.createBroker();
      const options = { key: 'mcp', mcp: true, redirectUri: REDIRECT };
      await rejectsWith(layer, broker.providers.discover(env.mcp.resource, options), 'invalid_request',
        /loopback, private or reserved address/);
      const p = await broker.providers.discover(env.mcp.resource, { ...options, allowPrivateNetwork: true });
      assert.equal(p.key, 'mcp');
      assert.equal(p.resource, env.mcp.resource);
      assert.equal(p.hasApp, true);
      const app = await broker.apps.get('mcp');
      assert.equal(app.redirectUri, REDIRECT);
      assert.equal(app.hasClientSecret, true);
      const { url } = await broker.authorize('mcp', { redirectUri: REDIRECT });
      const consent = new URL(url);
      assert.equal(consent.origin + consent.pathname, env.as.endpoints.authorization);
      assert.equal(consent.searchParams.get('resource'), env.mcp.resource);
      assert.equal(consent.searchParams.get('client_id'), app.clientId);
      broker.close();
    });

    test("fetch() sends the resource's token only to its origin; the account is named without the AS's userinfo", async () => {
      const broker = await layer.createBroker();
      await broker.providers.discover(env.mcp.resource, { key: 'mcpo', mcp: true, redirectUri: REDIRECT, allowPrivateNetwork: true });
      env.as.resetStats();
      const conn = await connect(broker, { provider: 'mcpo' });
      assert.equal(conn.account, `127.0.0.1:${env.mcp.port}`);
      assert.equal(env.as.stats.userinfo, 0, 'the resource-bound token went to the AS userinfo');
      const ok = await broker.fetch(conn.id, env.mcp.resource, { method: 'POST', body: '{}' });
      assert.equal(ok.status, 200, await ok.clone().text());
      const allowed = `(allowed: https://127.0.0.1:${env.mcp.port})`;
      const before = env.mcp.stats.requests;
      env.as.resetStats();
      for (const url of [`https://127.0.0.1:${env.as.port}/mcp`, `http://127.0.0.1:${env.mcp.port}/mcp`,
        `https://127.0.0.1.evil.example:${env.mcp.port}/mcp`]) {
        const e = await rejectsWith(layer, broker.fetch(conn.id, url), 'invalid_request', /is not an origin 'mcpo' tokens may be sent to/);
        assert.ok(e.message.includes(allowed), e.message);
      }
      assert.equal(env.mcp.stats.requests, before);
      assert.equal(env.as.stats.requests, 0);
      broker.close();
    });

    test("the registration is kept: the secret's expiry on the app, the access token sealed; once expired, authorize says what to do", async () => {
      let clock = Date.now();
      const storage = layer.index.memoryStorage();
      const broker = await layer.createBroker({ storage, now: () => clock });
      const expiresAt = Math.floor(clock / 1000) + 3600;
      env.as.secretExpiresAt(expiresAt);
      await broker.providers.discover(env.mcp.resource, { key: 'mcpexp', mcp: true, redirectUri: REDIRECT, allowPrivateNetwork: true });
      env.as.secretExpiresAt(0);
      const reg = env.as.registrations.at(-1);
      const app = await broker.apps.get('mcpexp');
      assert.equal(app.clientSecretExpiresAtMs, expiresAt * 1000);
      assert.equal(app.hasRegistrationAccessToken, true);
      assert.equal(app.registrationClientUri, reg.registration_client_uri);
      assert.ok(!JSON.stringify(app).includes(reg.registration_access_token));
      const records = await stored(storage);
      assert.match(records, /^app\/mcpexp=/m, 'the app is in storage');
      assert.ok(!records.includes(reg.registration_access_token), 'sealed in storage');
      await broker.authorize('mcpexp', { redirectUri: REDIRECT });

      clock = expiresAt * 1000;  // the moment it expires
      const e = await rejectsWith(layer, broker.authorize('mcpexp', { redirectUri: REDIRECT }), 'invalid_request', /expired at/);
      // The advice in the package's own calls, not the CLI's.
      assert.ok(e.message.includes(`\`broker.providers.remove('mcpexp', { force: true })\`, then \`broker.providers.discover('${env.mcp.resource}', { key: 'mcpexp', mcp: true })\``), e.message);
      assert.ok(!e.message.includes('latchkey providers'), e.message);
      broker.close();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Pushed authorization requests (RFC 9126) and private_key_jwt (RFC 7523)

const rsa = keyPair('rsa', 'rsa-1');
const ec = keyPair('ec', 'ec-1');

/// Everything the broker's storage holds, as one string (to look for a secret in clear).
async function stored(storage) {
  return (await storage.list('')).map((r) => `${r.key}=${r.value}`).join('\n');
}

for (const layer of LAYERS) {
  describe(`${layer.name} layer: pushed authorization requests at an AS that requires them`, () => {
    let as;
    let api;
    before(async () => {
      as = await startAuthServer({ pki, requirePar: true });
      api = await startApiServer({ pki, authServer: as });
    });
    after(async () => { await api?.close(); await as?.close(); });

    test('authorize pushes the parameters; the consent URL carries only client_id and request_uri; exchange works', async () => {
      const broker = await layer.createBroker();
      await broker.providers.register(providerFor(as, api, { key: 'parsa', par: true }));
      await broker.apps.upsert({ provider: 'parsa', clientId: 'latchkey-cli', clientSecret: 'cli-secret' });
      as.resetStats();
      const { url } = await broker.authorize('parsa', { redirectUri: REDIRECT, scopes: ['openid', 'api:read'] });
      const u = new URL(url);
      assert.equal(u.origin + u.pathname, as.endpoints.authorization);
      assert.deepEqual([...u.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      assert.match(u.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
      assert.equal(as.stats.pushedAuthorization, 1);

      const conn = await broker.handleCallback((await completeConsentAt(url, 'alice')).callbackUrl);
      assert.equal(conn.id, 'parsa/alice');
      assert.equal(as.stats.token.authorization_code, 1);
      assert.equal((await fetchMe(broker, conn.id)).client_id, 'latchkey-cli');
      broker.close();
    });

    test('without the PAR endpoint the same AS refuses the sign-in (the requirement is real)', async () => {
      const broker = await layer.createBroker();
      await broker.providers.register(providerFor(as, api, { key: 'nopar' }));
      await broker.apps.upsert({ provider: 'nopar', clientId: 'latchkey-cli', clientSecret: 'cli-secret' });
      const callback = await consent(broker, { provider: 'nopar' });
      assert.equal(new URL(callback).searchParams.get('error'), 'invalid_request');
      await rejectsWith(layer, broker.handleCallback(callback), 'provider_error', /Pushed Authorization Request/);
      assert.deepEqual(await broker.connections(), []);
      broker.close();
    });
  });

  describe(`${layer.name} layer: private_key_jwt apps`, () => {
    let as;
    let api;
    before(async () => {
      as = await startAuthServer({
        pki,
        clients: [...defaultClients, ...jwtClients(rsa, ec)],
      });
      api = await startApiServer({ pki, authServer: as });
    });
    after(async () => { await api?.close(); await as?.close(); });

    /// A broker with jwtProviders registered (no apps yet).
    async function jwtBroker() {
      const storage = layer.index.memoryStorage();
      const broker = await layer.createBroker({ storage });
      for (const def of jwtProviders(as, api)) await broker.providers.register(def);
      return { broker, storage };
    }

    test('RS256: code exchange, refresh (a fresh assertion each time), fetch and revocation; the key stays sealed', async () => {
      const { broker, storage } = await jwtBroker();
      const app = await broker.apps.upsert({
        provider: 'jwtas', clientId: 'latchkey-jwt', clientSecret: rsa.pem, tokenEndpointAuthMethod: 'private_key_jwt', keyId: 'rsa-1',
      });
      for (const a of [app, await broker.apps.get('jwtas')]) {
        assert.equal(a.tokenEndpointAuthMethod, 'private_key_jwt');
        assert.equal(a.keyId, 'rsa-1');
        assert.equal(a.hasClientSecret, true);
        assert.ok(!JSON.stringify(a).includes(pemMarker(rsa.pem)));
      }
      const records = await stored(storage);
      assert.match(records, /^app\/jwtas=/m, 'the app is in storage');
      assert.ok(!records.includes(pemMarker(rsa.pem)), 'the PEM key is sealed in storage');

      as.resetStats();
      const conn = await connect(broker, { provider: 'jwtas', login: 'alice' });
      assert.equal(conn.hasRefreshToken, true);
      assert.equal(as.stats.token.authorization_code, 1);
      for (let i = 0; i < 2; i += 1) assert.equal((await broker.getToken(conn.id, { forceRefresh: true })).refreshed, true);
      assert.equal(as.stats.token.refresh_token, 2);
      assert.equal(as.stats.tokenErrors.refresh_token ?? 0, 0);
      assert.equal((await fetchMe(broker, conn.id)).client_id, 'latchkey-jwt');
      const d = await broker.disconnect(conn.id, { revoke: true });
      assert.equal(d.revoked, true, JSON.stringify(d));
      broker.close();
    });

    test('client credentials with RS256 and ES256; a key the AS does not know is invalid_client', async () => {
      const { broker } = await jwtBroker();
      for (const [key, clientId, pair, kid] of [['jwtas-m2m', 'latchkey-jwt', rsa, 'rsa-1'], ['jwtas-ec', 'latchkey-jwt-ec', ec, 'ec-1']]) {
        await broker.apps.upsert({ provider: key, clientId, clientSecret: pair.pem, tokenEndpointAuthMethod: 'private_key_jwt', keyId: kid });
        const conn = await broker.connectClientCredentials(key);
        assert.equal(conn.grant, 'client_credentials');
        assert.equal((await fetchMe(broker, conn.id)).client_id, clientId);
      }
      const stranger = keyPair('rsa', 'rsa-1');
      await broker.apps.upsert({ provider: 'jwtas-m2m', clientId: 'latchkey-jwt', clientSecret: stranger.pem });
      const e = await rejectsWith(layer, broker.connectClientCredentials('jwtas-m2m', { account: 'stranger' }), 'provider_error');
      assert.equal(e.providerError, 'invalid_client');
      assert.ok(!e.message.includes(pemMarker(stranger.pem)));
      broker.close();
    });
  });
}

/// The test "browser" on an authorization URL, not following the redirect.
function completeConsentAt(url, login) {
  return completeConsent(url, { caFile: pki.ca.cert, login, fetchCallback: false });
}
