// `latchkeyd store migrate` and `latchkeyd store check` on real stores: an SQLite store made by
// the CLI (a provider, an app with a client secret, a connection to the real oidc-provider AS, an
// API key) copied into a real PostgreSQL (tests/fixtures/postgres.mjs) and back, the copies used,
// compared with the original byte for byte by sqlite3 and psql, and checked; then the refusals.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { startPostgres } from '../fixtures/postgres.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, createKeys, request, runD, startGateway, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

const sqlite = (path, sql) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', path, sql], { encoding: 'utf8' });

/// Every record of an SQLite store as "key value-in-hex" lines, in key order.
const sqliteRecords = (path) => sqlite(path, 'SELECT key, lower(hex(value)) FROM records ORDER BY key')
  .trim().split('\n').map((l) => l.replace('|', ' '));

describe('latchkeyd store migrate and check', () => {
  let pg, as, api, cli, dir, db, keyFile, access, apiKey;

  /// latchkeyd with the CLI's environment and `env` over it.
  const latchkeyd = (args, env = {}) => runD({ ...cli.env, ...env }, args);
  /// Every record of the PostgreSQL store, as sqliteRecords gives them.
  const pgRecords = () => pg.psql(
    "SELECT convert_from(key, 'UTF8') || ' ' || encode(value, 'hex') FROM latchkey_records ORDER BY key", 'latchkey')
    .trim().split('\n');
  const onPg = () => ({ LATCHKEY_STORE: pg.uri, LATCHKEY_MASTER_KEY_FILE: keyFile });

  before(async () => {
    pg = await startPostgres();
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });
    dir = tempDir();
    cli = new Cli({ dir, caFile: pki.ca.cert });
    db = cli.env.LATCHKEY_STORE;
    keyFile = `${db}.key`;
  });
  after(async () => { await api?.close(); await as?.close(); await pg?.stop(); });

  test('an SQLite store made by the CLI: provider, app with a secret, connection, API key', async () => {
    await cli.addTestProvider(as, api);
    const c = await cli.connect('testas');
    assert.equal(c.status, 0, c.stderr);
    const token = await cli.run(['token', 'testas']);
    assert.equal(token.status, 0, token.stderr);
    access = token.stdout.trim();
    apiKey = (await createKeys(cli, [['default', 'user']])).default;
    assert.ok(existsSync(keyFile));
  });

  test('store check on the SQLite store: counts by kind, every secret opens', async () => {
    const r = await latchkeyd(['store', 'check', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // What sqlite3 itself counts, kind by kind.
    const kinds = Object.fromEntries(sqlite(db, "SELECT substr(key, 1, instr(key, '/') - 1), count(*) FROM records GROUP BY 1")
      .trim().split('\n').map((l) => l.split('|')).map(([k, n]) => [k, Number(n)]));
    assert.deepEqual(out.kinds, kinds);
    for (const kind of ['app', 'conn', 'provider', 'gwkey', 'meta']) assert.ok(kinds[kind] >= 1, kind);
    assert.equal(out.records, sqliteRecords(db).length);
    // The client secret, the code verifier, the access and refresh tokens at least.
    assert.ok(out.opened >= 4, `${out.opened} opened`);
    assert.deepEqual(out.failed, []);
    assert.ok(!r.stdout.includes(access) && !r.stdout.includes('cli-secret'));
    const text = await latchkeyd(['store', 'check']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${db}: ${out.records} records, ${out.opened} sealed secrets opened`));
    assert.match(text.stdout, /^ {2}conn {9}1$/m);
  });

  test('migrate to PostgreSQL copies every record byte for byte, and says where the key must go', async () => {
    const r = await latchkeyd(['store', 'migrate', '--from', db, '--to', pg.uri]);
    assert.equal(r.status, 0, r.stderr);
    const original = sqliteRecords(db);
    assert.match(r.stdout, new RegExp(`^copied ${original.length} records from ${db} to ${pg.uri}; verified`));
    assert.deepEqual(pgRecords(), original);
    assert.match(r.stderr, /still sealed under the master key of/);
    assert.match(r.stderr, /LATCHKEY_MASTER_KEY or --master-key-file/);
    assert.ok(!r.stderr.includes(access) && !r.stdout.includes(access));
  });

  test('store check on the PostgreSQL copy agrees with the original', async () => {
    const onSqlite = JSON.parse((await latchkeyd(['store', 'check', '--json'])).stdout);
    const r = await latchkeyd(['store', 'check', '--json'], onPg());
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.store, pg.uri);
    assert.deepEqual(out.kinds, onSqlite.kinds);
    assert.equal(out.opened, onSqlite.opened);
    assert.deepEqual(out.failed, []);
  });

  test('the PostgreSQL copy serves the connection: the CLI and a gateway with the copied API key', async () => {
    const token = await cli.run(['token', 'testas'], { env: onPg() });
    assert.equal(token.status, 0, token.stderr);
    assert.equal(token.stdout.trim(), access);
    assert.equal((await as.introspect(access)).active, true);
    const gw = await startGateway({ ...cli.env, ...onPg() });
    try {
      const list = await request(`${gw.url}/v1/connections`, { key: apiKey });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json().map((c) => c.id), ['testas/alice']);
      const t = await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key: apiKey });
      assert.equal(t.status, 200, t.text);
      assert.equal(t.json().access_token, access);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
  });

  test('a destination that holds records is refused, never merged into', async () => {
    const before = pgRecords();
    const r = await latchkeyd(['store', 'migrate', '--from', db, '--to', pg.uri]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`the destination ${pg.uri} already holds records .*never merges`));
    assert.deepEqual(pgRecords(), before);
    const same = await latchkeyd(['store', 'migrate', '--from', db, '--to', db]);
    assert.equal(same.status, 1);
    assert.match(same.stderr, /name the same store/);
    const none = join(dir, 'no-such.db');
    const missing = await latchkeyd(['store', 'migrate', '--from', none, '--to', join(dir, 'other.db')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no store at .*no-such\.db/);
    assert.ok(!existsSync(none), 'no empty store was made in its place');
  });

  test('migrate back to a new SQLite file: the same records, and they work with the same key', async () => {
    const back = join(dir, 'back.db');
    const r = await latchkeyd(['store', 'migrate', '--from', pg.uri, '--to', back]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`copy that key to ${back}\\.key`));
    // The PostgreSQL copy's, which the gateway above wrote to since (the API key's last use).
    const source = pgRecords();
    assert.deepEqual(sqliteRecords(back), source);
    assert.notDeepEqual(source, sqliteRecords(db));
    // Without the key beside it the new file cannot be opened (a new key would not open it).
    const keyless = await latchkeyd(['store', 'check'], { LATCHKEY_STORE: back });
    assert.equal(keyless.status, 1);
    assert.match(keyless.stderr, /key file .*back\.db\.key is missing/);
    copyFileSync(keyFile, `${back}.key`);
    const checked = await latchkeyd(['store', 'check'], { LATCHKEY_STORE: back });
    assert.equal(checked.status, 0, checked.stderr);
    const token = await cli.run(['token', 'testas'], { env: { LATCHKEY_STORE: back } });
    assert.equal(token.status, 0, token.stderr);
    assert.equal(token.stdout.trim(), access);
    // And it too refuses to be migrated into.
    const again = await latchkeyd(['store', 'migrate', '--from', pg.uri, '--to', back]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds records/);
  });

  test('store check with another master key is refused as such', async () => {
    const r = await latchkeyd(['store', 'check'], { ...onPg(), LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64') });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the master key from LATCHKEY_MASTER_KEY does not open/);
    assert.match(r.stderr, /is not the key this store was sealed with/);
    assert.equal(r.stdout, '');
  });

  test('a sealed value with one byte changed: check exits 1 naming that record, never its value', async () => {
    const tampered = join(dir, 'tampered.db');
    sqlite(db, `.backup '${tampered}'`);
    copyFileSync(keyFile, `${tampered}.key`);
    const conn = sqlite(tampered, "SELECT key FROM records WHERE key LIKE 'conn/%'").trim();
    assert.equal(conn, 'conn/default/testas/alice');
    // The 21st character of the sealed access token, inside its hex (after "lk1.1."), made another digit.
    const sealed = sqlite(tampered, `SELECT json_extract(value, '$.access_token') FROM records WHERE key = '${conn}'`).trim();
    assert.match(sealed, /^lk1\.1\.[0-9a-f]+$/);
    sqlite(tampered, `UPDATE records SET value = json_set(value, '$.access_token',
      substr(json_extract(value, '$.access_token'), 1, 20) ||
      CASE substr(json_extract(value, '$.access_token'), 21, 1) WHEN '0' THEN '1' ELSE '0' END ||
      substr(json_extract(value, '$.access_token'), 22)) WHERE key = '${conn}'`);
    const now = sqlite(tampered, `SELECT json_extract(value, '$.access_token') FROM records WHERE key = '${conn}'`).trim();
    assert.equal(now.length, sealed.length);
    assert.notEqual(now, sealed);

    const r = await latchkeyd(['store', 'check'], { LATCHKEY_STORE: tampered });
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`^FAILED ${conn}: access_token does not open under the master key`, 'm'));
    assert.equal(r.stdout.match(/^FAILED /gm).length, 1);
    assert.match(r.stderr, /1 record does not open under the master key/);
    for (const secret of [sealed, now, access]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
    const json = await latchkeyd(['store', 'check', '--json'], { LATCHKEY_STORE: tampered });
    assert.equal(json.status, 1);
    assert.deepEqual(JSON.parse(json.stdout).failed.map((f) => f.key), [conn]);
    // The original is untouched and still passes.
    assert.equal((await latchkeyd(['store', 'check'])).status, 0);
  });
});
