// MCP servers end to end: `providers discover` follows the loopback MCP server's protected-resource
// metadata to oidc-provider, registers latchkey there (RFC 7591), `connect` asks for a token for
// that resource (RFC 8707) — through PAR (RFC 9126) when the server requires it — and `request`
// reaches the MCP server, which checks the token's audience.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, dumpStore, editRecord, tempDir } from './harness.mjs';
import { startMcpEnv } from './mcp_env.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

for (const { name, requirePar, wellKnown } of [
  { name: 'well-known metadata', requirePar: false, wellKnown: true },
  { name: '401 resource_metadata, PAR required', requirePar: true, wellKnown: false },
]) {
  describe(`MCP server (${name})`, () => {
    let env;
    before(async () => { env = await startMcpEnv({ pki, requirePar, wellKnown }); });
    after(() => env.close());

    test('discovery refuses loopback unless private networks are allowed', async () => {
      const r = await env.cli.run(['providers', 'discover', env.mcp.resource, '--provider-key', 'nope', '--mcp']);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /private/);
      assert.equal((await env.cli.run(['providers', 'get', 'nope'])).status, 1);
    });

    test('discover → connect → request', async () => {
      const d = await env.cli.run(['providers', 'discover', env.mcp.resource, '--provider-key', 'mcp',
        '--allow-private-network', '--json']);
      assert.equal(d.status, 0, d.stderr);
      const p = d.json();
      assert.equal(p.resource, env.mcp.resource);
      assert.equal(p.issuer, env.as.issuer);
      assert.equal(p.has_app, true);
      assert.deepEqual(p.injection.hosts, [`https://127.0.0.1:${env.mcp.port}`]);
      if (requirePar) assert.equal(p.pushed_authorization_request_endpoint, env.as.endpoints.pushedAuthorization);
      else assert.equal(p.pushed_authorization_request_endpoint, undefined);
      const app = await env.cli.run(['apps', 'get', 'mcp', '--json']);
      assert.equal(app.json().has_client_secret, true);
      assert.equal(app.json().client_secret, undefined);

      const c = await env.cli.connect('mcp', ['--account', 'alice']);
      assert.equal(c.status, 0, c.stderr);
      const url = new URL(c.url);
      if (requirePar) {
        // Only the reference travels through the browser.
        assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
        assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
      } else {
        assert.equal(url.searchParams.get('resource'), env.mcp.resource);
        assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      }

      const token = (await env.cli.run(['token', 'mcp'])).stdout.trim();
      const info = await env.as.introspect(token);
      assert.equal(info.active, true);
      assert.deepEqual([].concat(info.aud), [env.mcp.resource]);

      const r = await env.cli.run(['request', 'mcp', env.mcp.resource, '-X', 'POST', '-d',
        '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', '-H', 'Content-Type: application/json']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual([].concat(JSON.parse(r.stdout).result.aud), [env.mcp.resource]);
      assert.equal(env.mcp.stats.authorized, 1);
      assert.equal(env.mcp.stats.wrongAudience, 0);
    });

    test("the token goes to the resource's origin only: another port, plain http and a look-alike host are refused", async () => {
      const allowed = `https://127.0.0.1:${env.mcp.port}`;
      env.as.resetStats();
      const before = env.mcp.stats.requests;
      for (const url of [
        `https://127.0.0.1:${env.as.port}/mcp`, // another server on the same host: the AS itself
        `http://127.0.0.1:${env.mcp.port}/mcp`,
        `https://127.0.0.1.evil.example:${env.mcp.port}/mcp`,
      ]) {
        const r = await env.cli.run(['request', 'mcp', '--account', 'alice', url]);
        assert.equal(r.status, 1, `${url}: ${r.stderr}`);
        const origin = new URL(url).origin;
        assert.ok(r.stderr.includes(`'${origin}' is not an origin 'mcp' tokens may be sent to (allowed: ${allowed})`),
          r.stderr);
      }
      assert.equal(env.as.stats.requests, 0, 'nothing reached the AS');
      assert.equal(env.mcp.stats.requests, before, 'nothing reached the MCP server over http');
    });

    test('an account connected without --account is named without sending the token to userinfo', async () => {
      env.as.resetStats();
      const c = await env.cli.connect('mcp');
      assert.equal(c.status, 0, c.stderr);
      // No ID token (the resource's scopes have no openid): named after the resource's host.
      assert.equal(c.json().account, `127.0.0.1:${env.mcp.port}`);
      assert.equal(env.as.stats.userinfo, 0, 'the resource-bound token went to the AS userinfo');
      const list = (await env.cli.run(['connections', 'list', '--json'])).json();
      assert.ok(!list.some((x) => x.provider === 'mcp' && x.account === 'default'), JSON.stringify(list));
    });

    test("the registration is kept: the secret's expiry is shown, the access token never; once expired, connect and refresh say what to do", async () => {
      const expiresAt = Math.floor(Date.now() / 1000) + 3600;
      env.as.secretExpiresAt(expiresAt);
      const d = await env.cli.run(['providers', 'discover', env.mcp.resource, '--provider-key', 'mcpexp', '--mcp',
        '--allow-private-network']);
      env.as.secretExpiresAt(0);
      assert.equal(d.status, 0, d.stderr);
      const reg = env.as.registrations.at(-1);
      assert.equal(reg.client_secret_expires_at, expiresAt);
      assert.ok(reg.registration_access_token, 'the AS issued a registration access token');
      const shown = new Date(expiresAt * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
      assert.match(d.stdout, new RegExp(`secret expires ${shown}`));

      const app = await env.cli.run(['apps', 'get', 'mcpexp', '--json']);
      assert.equal(app.status, 0, app.stderr);
      assert.equal(app.json().client_secret_expires_at_ms, expiresAt * 1000);
      assert.equal(app.json().has_registration_access_token, true);
      assert.equal(app.json().registration_client_uri, reg.registration_client_uri);
      const human = await env.cli.run(['apps', 'get', 'mcpexp']);
      assert.match(human.stdout, new RegExp(`secret expires ${shown}`));
      assert.match(human.stdout, /access token set/);

      const c = await env.cli.connect('mcpexp', ['--account', 'carol']);
      assert.equal(c.status, 0, c.stderr);
      for (const out of [d, app, human, c]) {
        assert.ok(!out.stdout.includes(reg.registration_access_token) && !out.stderr.includes(reg.registration_access_token));
      }
      assert.ok(!dumpStore(env.cli.env.LATCHKEY_STORE).includes(reg.registration_access_token), 'sealed in the store');

      // Time passes: the secret has expired. Nothing is sent; the error says when, and what to do.
      editRecord(env.cli.env.LATCHKEY_STORE, 'app/mcpexp', 'client_secret_expires_at_ms', Date.now() - 1000);
      env.as.resetStats();
      for (const args of [['token', 'mcpexp', '--force-refresh'], ['connect', 'mcpexp', '--no-browser', '--account', 'dave']]) {
        const r = await env.cli.run(args);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /client secret .* expired at \d{4}-\d\d-\d\d/);
        assert.ok(r.stderr.includes(`latchkey providers discover ${env.mcp.resource} --provider-key mcpexp`), r.stderr);
      }
      assert.equal(env.as.stats.requests, 0, 'nothing reached the AS');

      // The advice works: register again, connect again.
      assert.equal((await env.cli.run(['providers', 'delete', 'mcpexp', '--force'])).status, 0);
      const again = await env.cli.run(['providers', 'discover', env.mcp.resource, '--provider-key', 'mcpexp', '--mcp',
        '--allow-private-network']);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /secret expires never/);
      assert.equal((await env.cli.connect('mcpexp', ['--account', 'carol'])).status, 0);
    });

    test('a token for another audience is refused by the server (the check can fail)', async () => {
      const other = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
      // The plain pre-registered client, no resource: its token has no audience for the MCP server.
      await other.addTestProvider(env.as, env.mcp, { key: 'plain', par: requirePar });
      const c = await other.connect('plain', ['--account', 'bob']);
      assert.equal(c.status, 0, c.stderr);
      const before = env.mcp.stats.wrongAudience;
      const r = await other.run(['request', 'plain', env.mcp.resource]);
      assert.notEqual(r.status, 0);
      assert.ok(env.mcp.stats.wrongAudience > before);  // refused (also after the one refresh-and-retry)
    });
  });
}
