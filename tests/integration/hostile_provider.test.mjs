// A hostile token endpoint against the real CLI: it echoes the credentials it was sent (the Basic
// header, the client secret, the refresh token, raw and URL-encoded) and puts terminal escapes
// and C1 controls in what it says. Nothing of it may reach the CLI's output, and the stored
// connection must come through unharmed. Discovery of a loopback issuer needs the flag.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { readBody } from '../fixtures/http_util.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, dumpStore, editRecord, providerFor, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));
const SECRET = 'cli-secret';  // what addTestProvider gives the app
const ESC = '\u001b';
const C1 = /[\u0080-\u009f]/;

/// A plain-http token endpoint on loopback; `answer(request, body)` → [status, JSON object].
async function hostileServer(answer) {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ url: req.url, headers: req.headers, body });
    const [status, json] = answer(req, body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

describe('a hostile token endpoint', () => {
  let as, api, cli, hostile;
  let mode = 'echo';
  let echoed = [];  // every credential form the endpoint put into its answer
  const def = () => providerFor(as, api);

  before(async () => {
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, api);
    const c = await cli.connect('testas');
    assert.equal(c.status, 0, c.stderr);
    hostile = await hostileServer((req, body) => {
      if (mode === 'scope') {
        return [200, { access_token: 'evil-token', token_type: 'Bearer', expires_in: 3600,
          scope: `read ${ESC}]0;pwned\u0007 ${ESC}[31m\u0085\u009b` }];
      }
      const basic = (req.headers.authorization ?? '').replace(/^Basic /, '');
      const refresh = new URLSearchParams(body).get('refresh_token') ?? '';
      echoed = [SECRET, encodeURIComponent(SECRET), basic, refresh, encodeURIComponent(refresh)].filter(Boolean);
      return [401, { error: 'invalid_client',
        error_description: `bad secret ${SECRET} for Basic ${basic} (${encodeURIComponent(SECRET)}), ` +
          `refresh ${refresh} aka ${encodeURIComponent(refresh)} ${ESC}[31mred\u0085\u009b[0m` }];
    });
    // Refreshes go to the hostile endpoint from now on; the connection was made at the real AS.
    const file = cli.writeFile('hostile.json', JSON.stringify({ ...def(), refresh_endpoint: hostile.url + '/token' }));
    const u = await cli.run(['providers', 'update', 'testas', '--file', file]);
    assert.equal(u.status, 0, u.stderr);
  });
  after(async () => { hostile?.close(); await api?.close(); await as?.close(); });

  function assertClean(r, what) {
    for (const out of [r.stdout, r.stderr]) {
      for (const secret of echoed) assert.ok(!out.includes(secret), `${what} leaks ${secret}: ${out}`);
      assert.ok(!out.includes(ESC), `${what} prints an ESC byte: ${JSON.stringify(out)}`);
      assert.ok(!C1.test(out), `${what} prints a C1 control: ${JSON.stringify(out)}`);
    }
  }

  test('an error echoing the credentials reaches no output, and the connection stays', async () => {
    const before = (await cli.run(['status', 'testas', '--json'])).json()[0];
    mode = 'echo';
    for (const args of [['token', 'testas', '--force-refresh'], ['token', 'testas', '--force-refresh', '--json']]) {
      const r = await cli.run(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /client credentials/);
      assertClean(r, args.join(' '));
    }
    // The endpoint really was sent them, so the checks above could have failed.
    assert.ok(hostile.seen.length >= 2);
    assert.ok(Buffer.from(hostile.seen[0].headers.authorization.slice(6), 'base64').toString().endsWith(`:${SECRET}`));
    assert.ok(echoed.some((e) => e.length > 20), 'the refresh token was echoed');

    for (const args of [['status', 'testas'], ['status', 'testas', '--json'], ['connections', 'list'],
      ['connections', 'list', '--json']]) {
      const r = await cli.run(args);
      assert.equal(r.status, 0, r.stderr);
      assertClean(r, args.join(' '));
    }
    const after = (await cli.run(['status', 'testas', '--json'])).json()[0];
    assert.equal(after.status, 'connected');
    assert.equal(after.scope, before.scope);
    assert.match(after.last_error, /\[redacted\]/);
    // The token from the real AS still works.
    const me = await cli.run(['request', 'testas', '/me']);
    assert.equal(me.status, 0, me.stderr);
  });

  test('a scope with control characters is refused and never stored', async () => {
    const before = (await cli.run(['status', 'testas', '--json'])).json()[0];
    const token = (await cli.run(['token', 'testas'])).stdout.trim();
    mode = 'scope';
    const r = await cli.run(['token', 'testas', '--force-refresh']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /control characters/);
    assertClean(r, 'token --force-refresh');
    const s = await cli.run(['status', 'testas']);
    assertClean(s, 'status');
    const after = (await cli.run(['status', 'testas', '--json'])).json()[0];
    assert.equal(after.scope, before.scope);
    assert.equal((await cli.run(['token', 'testas'])).stdout.trim(), token);  // not evil-token

    const dump = dumpStore(cli.env.LATCHKEY_STORE);
    assert.ok(!dump.includes(ESC) && !dump.includes('pwned'), 'the hostile scope is not in the store');

    // Back to the real AS: the connection refreshes as before, once the circuit breaker its
    // three failures opened has closed again (as time passing would).
    const key = dump.match(/'(conn\/[^']*testas[^']*)'/)[1];
    editRecord(cli.env.LATCHKEY_STORE, key, 'breaker_until_ms', 0);
    // An update names what changes: the hostile refresh endpoint, removed.
    const file = cli.writeFile('good.json', JSON.stringify({ ...def(), refresh_endpoint: null }));
    assert.equal((await cli.run(['providers', 'update', 'testas', '--file', file])).status, 0);
    const fresh = await cli.run(['token', 'testas', '--force-refresh']);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.notEqual(fresh.stdout.trim(), token);
    assert.notEqual(fresh.stdout.trim(), 'evil-token');
  });

  test('discovering a loopback issuer needs --allow-private-network', async () => {
    const before = hostile.seen.length;
    const url = `${hostile.url.replace('http:', 'https:')}/issuer`;
    const r = await cli.run(['providers', 'discover', url, '--provider-key', 'loopy']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--allow-private-network/);
    assert.match(r.stderr, /loopback, private or reserved address/);
    assert.equal(hostile.seen.length, before, 'nothing was fetched');
    assert.equal((await cli.run(['providers', 'get', 'loopy'])).status, 1);
  });
});
