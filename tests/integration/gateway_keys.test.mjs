// API keys with a lifecycle: `latchkeyd keys list|create|revoke|rotate` and the admin routes
// (/v1/keys), expiry, last use, and the vault page's short-lived sessions (/v1/sessions), against
// the real latchkeyd and its SQLite store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Cli, createKeys, dumpStore, request, runD, sleep, startGateway, tempDir } from './harness.mjs';

describe('latchkeyd API keys', () => {
  let cli; let gw; let admin; let user;
  const call = (method, path, key, body) => request(`${gw.url}${path}`, {
    method, key, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const whoami = (key) => call('GET', '/v1/whoami', key);
  const listed = async () => {
    const r = await call('GET', '/v1/keys', admin);
    assert.equal(r.status, 200, r.text);
    return r.json().keys;
  };
  before(async () => {
    cli = new Cli({ dir: tempDir() });
    ({ root: admin, uma: user } = await createKeys(cli, [['root', 'admin'], ['uma', 'user']]));
    gw = await startGateway(cli);
  });
  after(() => { if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL'); });

  test('keys create prints the secret once, with an id, label and expiry', async () => {
    const before = Date.now();
    const r = await runD(cli, ['keys', 'create', '--principal', 'ops', '--role', 'admin', '--label', 'ops laptop',
      '--expires-in', '90d', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const k = JSON.parse(r.stdout);
    assert.match(k.key, /^lk_[A-Za-z0-9_-]{43}$/);
    assert.match(k.id, /^key_[0-9a-f]{18}$/);
    assert.equal(k.label, 'ops laptop');
    assert.equal(k.principal, 'ops');
    assert.equal(k.role, 'admin');
    assert.ok(Math.abs(k.expires_at_ms - (before + 90 * 86400e3)) < 60e3, `${k.expires_at_ms}`);
    assert.equal(k.last_used_at_ms, null);
    assert.match(r.stderr, /shown only once/);
    assert.ok(!r.stderr.includes(k.key), 'the secret goes to stdout only');

    const list = await runD(cli, ['keys', 'list', '--json']);
    assert.equal(list.status, 0, list.stderr);
    const mine = JSON.parse(list.stdout).keys.find((x) => x.id === k.id);
    const { key: secret, ...record } = k;
    assert.deepEqual(mine, record);
    assert.ok(secret);
    assert.ok(!list.stdout.includes(k.key), 'a list never shows a secret');
    const human = await runD(cli, ['keys', 'list']);
    assert.match(human.stdout, /^ID\s+ROLE\s+PRINCIPAL\s+CREATED\s+LAST USED\s+EXPIRES\s+LABEL$/m);
    assert.match(human.stdout, new RegExp(`^${k.id}\\s+admin\\s+ops\\s+.*ops laptop$`, 'm'));
    assert.ok(!dumpStore(cli.env.LATCHKEY_STORE).includes(k.key), 'the store holds a hash, not the key');
  });

  test('bad input is refused with what to do', async () => {
    const soon = await runD(cli, ['keys', 'create', '--principal', 'x', '--expires-in', 'soon']);
    assert.equal(soon.status, 1);
    assert.match(soon.stderr, /'soon' is not a duration; write a number with d, h, m or s/);
    const unknown = await runD(cli, ['keys', 'revoke', 'key_000000000000000000']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no API key has the id 'key_000000000000000000'; `latchkeyd keys list` shows them/);
    assert.equal((await call('POST', '/v1/keys', admin, { role: 'user' })).status, 400);
    const role = await call('POST', '/v1/keys', admin, { principal: 'p', role: 'root' });
    assert.equal(role.status, 400);
    assert.match(role.json().error.message, /role must be admin or user/);
    assert.equal((await call('POST', '/v1/keys', admin, { principal: 'p', expires_in_s: -5 })).status, 400);
    // One cap on a key's life, whichever way the expiry is given: seconds from now, a time, or a duration.
    assert.equal((await call('POST', '/v1/keys', admin, { principal: 'p', expires_in_s: 101 * 365 * 86400 })).status, 400);
    const far = await call('POST', '/v1/keys', admin, { principal: 'p', expires_at_ms: Date.now() + 101 * 365 * 86400e3 });
    assert.equal(far.status, 400, far.text);
    assert.match(far.json().error.message, /at most 100 years/);
    const farCli = await runD(cli, ['keys', 'create', '--principal', 'p', '--expires-in', `${101 * 365}d`]);
    assert.equal(farCli.status, 1, farCli.stderr);
    assert.equal((await call('POST', '/v1/keys', admin, { principal: 'p', colour: 'red' })).status, 400);
  });

  test('the admin routes need an admin key', async () => {
    assert.equal((await call('GET', '/v1/keys')).status, 401);
    for (const [method, path] of [['GET', '/v1/keys'], ['POST', '/v1/keys'], ['DELETE', '/v1/keys/key_x'],
      ['POST', '/v1/keys/key_x/rotate']]) {
      const r = await call(method, path, user, method === 'POST' && path === '/v1/keys' ? { principal: 'p' } : undefined);
      assert.equal(r.status, 403, `${method} ${path}`);
    }
    assert.equal((await call('DELETE', '/v1/keys/key_nope', admin)).status, 404);
  });

  test('a key records its last use', async () => {
    const made = await call('POST', '/v1/keys', admin, { principal: 'lu', label: 'last use' });
    assert.equal(made.status, 201, made.text);
    const { id, key } = made.json();
    assert.equal((await listed()).find((k) => k.id === id).last_used_at_ms, null);
    const t = Date.now();
    assert.equal((await whoami(key)).status, 200);
    const used = (await listed()).find((k) => k.id === id).last_used_at_ms;
    assert.ok(used >= t - 1000 && used <= Date.now() + 1000, `${used}`);
  });

  test('an expired key is refused, saying so', async () => {
    const made = await call('POST', '/v1/keys', admin, { principal: 'temp', expires_in_s: 2 });
    assert.equal(made.status, 201, made.text);
    const { id, key } = made.json();
    assert.equal((await whoami(key)).status, 200);
    await sleep(2200);
    const r = await whoami(key);
    assert.equal(r.status, 401);
    assert.equal(r.json().error.message,
      `the API key '${id}' has expired; ask an admin to rotate it (POST /v1/keys/{id}/rotate) or to create a new one`);
  });

  test('rotate: same id, new secret; the old one is refused at once', async () => {
    const made = (await call('POST', '/v1/keys', admin, { principal: 'rot', role: 'user', label: 'rotating' })).json();
    assert.equal((await whoami(made.key)).status, 200);
    const r = await call('POST', `/v1/keys/${made.id}/rotate`, admin);
    assert.equal(r.status, 200, r.text);
    const rotated = r.json();
    assert.equal(rotated.id, made.id);
    assert.equal(rotated.label, 'rotating');
    assert.notEqual(rotated.key, made.key);
    assert.equal((await whoami(made.key)).status, 401, 'the old secret at once');
    assert.deepEqual((({ principal, role }) => ({ principal, role }))((await whoami(rotated.key)).json()),
      { principal: 'rot', role: 'user' });
    // From another process too.
    const cliRotate = await runD(cli, ['keys', 'rotate', made.id]);
    assert.equal(cliRotate.status, 0, cliRotate.stderr);
    assert.equal((await whoami(rotated.key)).status, 401);
    assert.equal((await whoami(cliRotate.stdout.trim())).status, 200);
  });

  test('revoke: refused at once, by this gateway and after another process revoked it', async () => {
    const a = (await call('POST', '/v1/keys', admin, { principal: 'rev' })).json();
    assert.equal((await whoami(a.key)).status, 200);  // now remembered by the gateway
    const r = await call('DELETE', `/v1/keys/${a.id}`, admin);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().revoked.id, a.id);
    assert.equal((await whoami(a.key)).status, 401);
    assert.equal((await call('DELETE', `/v1/keys/${a.id}`, admin)).status, 404);

    const b = (await call('POST', '/v1/keys', admin, { principal: 'rev' })).json();
    assert.equal((await whoami(b.key)).status, 200);
    const out = await runD(cli, ['keys', 'revoke', b.id]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^revoked ${b.id} \\(rev, user\\)`));
    assert.equal((await whoami(b.key)).status, 401, 'the very next request');
  });

  test('sessions: made from a key, ended on sign-out, revoked with their key', async () => {
    const k = (await call('POST', '/v1/keys', admin, { principal: 'page', role: 'admin', label: 'for the page' })).json();
    const s = await call('POST', '/v1/sessions', k.key);
    assert.equal(s.status, 201, s.text);
    const session = s.json();
    assert.match(session.token, /^lk_/);
    assert.match(session.id, /^ses_/);
    assert.ok(Math.abs(session.expires_at_ms - (Date.now() + 12 * 3600e3)) < 60e3, 'twelve hours by default');
    assert.equal(s.headers['cache-control'], 'no-store');
    const me = (await whoami(session.token)).json();
    assert.equal(me.principal, 'page');
    assert.equal(me.role, 'admin');
    assert.equal(me.session, true);
    assert.ok(!(await listed()).some((x) => x.id === session.id), 'sessions are not listed as keys');
    // A session cannot make another, and a key is not a session.
    assert.equal((await call('POST', '/v1/sessions', session.token)).status, 400);
    const notSession = await call('DELETE', '/v1/sessions/current', k.key);
    assert.equal(notSession.status, 400);
    assert.match(notSession.json().error.message, /this is an API key, not a session/);
    assert.equal((await call('POST', '/v1/sessions', k.key, { ttl_s: 90000 })).status, 400);
    // Sign-out.
    assert.equal((await call('DELETE', '/v1/sessions/current', session.token)).status, 200);
    assert.equal((await whoami(session.token)).status, 401);
    // Revoking the key ends its sessions.
    const other = (await call('POST', '/v1/sessions', k.key, { ttl_s: 600 })).json();
    assert.equal((await whoami(other.token)).status, 200);
    assert.equal((await call('DELETE', `/v1/keys/${k.id}`, admin)).status, 200);
    assert.equal((await whoami(other.token)).status, 401);
    // A short session ends by itself.
    const short = (await call('POST', '/v1/sessions', admin, { ttl_s: 1 })).json();
    assert.equal((await whoami(short.token)).status, 200);
    await sleep(1200);
    const ended = await whoami(short.token);
    assert.equal(ended.status, 401);
    assert.match(ended.json().error.message, /the session has expired; sign in to the page again/);
  });
});
