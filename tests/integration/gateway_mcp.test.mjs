// latchkeyd and MCP servers: POST /v1/providers/discover follows the loopback MCP server's
// protected-resource metadata to oidc-provider and registers the gateway there (RFC 7591, its
// /oauth/callback as redirect_uri); a user then signs in through the gateway and the proxy
// reaches the MCP server, which accepts only tokens for its own audience (RFC 8707).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { completeConsent } from '../fixtures/consent.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  createKeys, dumpStore, editRecord, request, startGateway, tempDir,
} from './harness.mjs';
import { startMcpEnv } from './mcp_env.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

describe('latchkeyd MCP discovery', () => {
  let env;
  let gw;
  const keys = {};
  before(async () => {
    env = await startMcpEnv({ pki });
    Object.assign(keys, await createKeys(env.cli, [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']]));
    gw = await startGateway(env.cli);
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await env.close();
  });

  const discover = (body, key = keys.admin) => request(`${gw.url}/v1/providers/discover`, {
    method: 'POST', key, body: JSON.stringify(body),
  });

  test('admin only; the body is checked', async () => {
    const ok = { url: env.mcp.resource, key: 'nope', mcp: true, allow_private_network: true };
    const user = await discover(ok, keys.alice);
    assert.equal(user.status, 403);
    assert.equal(user.json().error.code, 'forbidden');
    for (const [body, pattern] of [
      [{ ...ok, extra: 1 }, /unknown field 'extra'/],
      [{ ...ok, url: undefined }, /url and key/],
      [{ ...ok, key: '' }, /url and key/],
      [{ ...ok, mcp: 'yes' }, /mcp must be a boolean/],
      [{ ...ok, allow_private_network: 1 }, /allow_private_network must be a boolean/],
    ]) {
      const r = await discover(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, pattern);
    }
    assert.equal((await request(`${gw.url}/v1/providers/discover`, { method: 'POST', key: keys.admin, body: '{' })).status, 400);
    assert.equal((await request(`${gw.url}/v1/providers/nope`, { key: keys.admin })).status, 404);
  });

  test('loopback is refused unless private networks are allowed', async () => {
    for (const mcp of [true, undefined]) {
      const r = await discover({ url: env.mcp.resource, key: 'nope', mcp });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json().error.code, 'invalid_request');
      assert.match(r.json().error.message, /loopback, private or reserved address/);
    }
    assert.equal((await request(`${gw.url}/v1/providers/nope`, { key: keys.admin })).status, 404);
  });

  test('discover → authorize → consent → proxy to the MCP server', async () => {
    const d = await discover({ url: env.mcp.resource, key: 'mcp', mcp: true, allow_private_network: true });
    assert.equal(d.status, 201, d.text);
    const p = d.json();
    assert.equal(p.key, 'mcp');
    assert.equal(p.resource, env.mcp.resource);
    assert.equal(p.issuer, env.as.issuer);
    assert.equal(p.has_app, true);
    assert.equal(p.has_client_secret, true);
    assert.ok(!d.text.includes('"client_secret"'), 'no client secret in the answer');
    const app = await request(`${gw.url}/v1/providers/mcp/app`, { key: keys.admin });
    assert.equal(app.json().has_client_secret, true);
    assert.equal(app.json().redirect_uri, `${gw.url}/oauth/callback`);
    assert.equal(app.json().client_secret, undefined);

    const a = await request(`${gw.url}/v1/providers/mcp/authorize`, { key: keys.alice });
    assert.equal(a.status, 200, a.text);
    env.as.resetStats();
    const url = new URL(a.json().authorization_url);
    assert.equal(url.searchParams.get('resource'), env.mcp.resource);
    assert.equal(url.searchParams.get('redirect_uri'), `${gw.url}/oauth/callback`);
    const browser = await completeConsent(url.href, { caFile: pki.ca.cert });
    assert.ok(browser.callbackUrl.startsWith(`${gw.url}/oauth/callback?`));
    assert.equal(browser.status, 200, browser.body);
    assert.match(browser.body, /latchkey:connected/);
    // Named without sending the resource's token to the AS's userinfo (RFC 8707), and not "default".
    assert.equal(env.as.stats.userinfo, 0, 'the resource-bound token went to the AS userinfo');
    const list = await request(`${gw.url}/v1/connections`, { key: keys.alice });
    assert.deepEqual(list.json().filter((c) => c.provider === 'mcp').map((c) => c.account), [`127.0.0.1:${env.mcp.port}`]);

    const before = env.mcp.stats.authorized;
    const r = await request(`${gw.url}/v1/proxy/mcp`, {
      method: 'POST', key: keys.alice, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([].concat(r.json().result.aud), [env.mcp.resource]);
    assert.equal(env.mcp.stats.authorized, before + 1);
    assert.equal(env.mcp.stats.wrongAudience, 0);

    // bob has no connection: nothing is sent in his name.
    const bob = await request(`${gw.url}/v1/proxy/mcp`, { method: 'POST', key: keys.bob, body: '{}' });
    assert.equal(bob.status, 404, bob.text);
    assert.equal(env.mcp.stats.authorized, before + 1);
  });

  test('a provider stored in the old form (host names) is read as https on 443: the proxy sends no token to another port', async () => {
    const d = await discover({ url: env.mcp.resource, key: 'mcpold', mcp: true, allow_private_network: true });
    assert.equal(d.status, 201, d.text);
    assert.deepEqual(d.json().injection.hosts, [`https://127.0.0.1:${env.mcp.port}`]);
    const a = await request(`${gw.url}/v1/providers/mcpold/authorize`, { key: keys.alice });
    assert.equal(a.status, 200, a.text);
    const browser = await completeConsent(a.json().authorization_url, { caFile: pki.ca.cert });
    assert.equal(browser.status, 200, browser.body);
    // As an older latchkey stored it: the host name alone, which once covered every port.
    editRecord(env.cli.env.LATCHKEY_STORE, 'provider/mcpold', 'injection.hosts', ['127.0.0.1']);
    const before = env.mcp.stats.requests;
    const r = await request(`${gw.url}/v1/proxy/mcpold`, { method: 'POST', key: keys.alice, body: '{}' });
    // The stored record no longer passes the rules: refused as any invalid stored definition is
    // (a storage error: 503).
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json().error.code, 'storage');
    assert.ok(r.json().error.message.includes(
      `api_base_url origin 'https://127.0.0.1:${env.mcp.port}' is not allowed by injection.hosts (https://127.0.0.1)`), r.text);
    assert.equal(env.mcp.stats.requests, before, 'the token reached the MCP server');
  });

  test('without mcp, a URL with no issuer metadata is tried as a protected resource (as the CLI does)', async () => {
    const d = await discover({ url: env.mcp.resource, key: 'mcp2', allow_private_network: true });
    assert.equal(d.status, 201, d.text);
    assert.equal(d.json().resource, env.mcp.resource);
    assert.equal(d.json().has_client_secret, true);
    const again = await discover({ url: env.mcp.resource, key: 'mcp2', allow_private_network: true });
    assert.equal(again.status, 409, again.text);
  });

  test("the registration is kept: the secret's expiry in the answers, never the access token; once expired, authorize says what to do", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    env.as.secretExpiresAt(expiresAt);
    const d = await discover({ url: env.mcp.resource, key: 'mcpexp', mcp: true, allow_private_network: true });
    env.as.secretExpiresAt(0);
    assert.equal(d.status, 201, d.text);
    const reg = env.as.registrations.at(-1);
    assert.equal(reg.client_secret_expires_at, expiresAt);
    assert.equal(d.json().client_secret_expires_at_ms, expiresAt * 1000);
    const app = await request(`${gw.url}/v1/providers/mcpexp/app`, { key: keys.alice });
    assert.equal(app.status, 200, app.text);
    assert.equal(app.json().client_secret_expires_at_ms, expiresAt * 1000);
    assert.equal(app.json().has_registration_access_token, true);
    assert.equal(app.json().registration_client_uri, reg.registration_client_uri);
    assert.equal(app.json().registration_access_token, undefined);
    const a = await request(`${gw.url}/v1/providers/mcpexp/authorize`, { key: keys.alice });
    assert.equal(a.status, 200, a.text);

    editRecord(env.cli.env.LATCHKEY_STORE, 'app/mcpexp', 'client_secret_expires_at_ms', Date.now() - 1000);
    env.as.resetStats();
    const expired = await request(`${gw.url}/v1/providers/mcpexp/authorize`, { key: keys.alice });
    assert.equal(expired.status, 400, expired.text);
    const e = expired.json().error;
    assert.equal(e.code, 'invalid_request');
    assert.match(e.message, /client secret .* expired at \d{4}-\d\d-\d\d/);
    // The advice in the API's own routes, not the CLI's commands.
    assert.match(e.message, /`DELETE \/v1\/providers\/mcpexp\?force=true`, then `POST \/v1\/providers\/discover with url=https:\/\/127\.0\.0\.1:\d+\/mcp, key=mcpexp, mcp=true`/);
    assert.doesNotMatch(e.message, /latchkey providers/);
    assert.equal(env.as.stats.requests, 0, 'nothing reached the AS');

    for (const text of [d.text, app.text, a.text, expired.text, gw.stderr, dumpStore(env.cli.env.LATCHKEY_STORE)]) {
      assert.ok(!text.includes(reg.registration_access_token), 'the registration access token leaked');
    }
  });
});
