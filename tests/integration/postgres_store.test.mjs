// The latchkey CLI on a PostgreSQL store: a real PostgreSQL (tests/fixtures/postgres.mjs) whose
// role logs in with a password from PGPASSFILE, the master key from the environment or a key
// file, and the real oidc-provider AS — register, upsert an app, connect, token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { startPostgres } from '../fixtures/postgres.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { Cli, tempDir } from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

describe('the CLI on a PostgreSQL store', () => {
  let pg, role, as, api, cli, dir;
  const masterKey = randomBytes(32).toString('base64');
  const password = randomBytes(12).toString('hex');

  before(async () => {
    pg = await startPostgres();
    role = await pg.addPasswordRole('latchkey_app', password);
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });
    dir = tempDir();
    cli = new Cli({ dir, caFile: pki.ca.cert,
      env: { LATCHKEY_STORE: role.uri, PGPASSFILE: role.passfile, LATCHKEY_MASTER_KEY: masterKey } });
  });
  after(async () => { await api?.close(); await as?.close(); await pg?.stop(); });

  test('a PostgreSQL store needs a master key from the environment or a named file', async () => {
    const r = await cli.run(['providers', 'list'], { env: { LATCHKEY_MASTER_KEY: '' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no file beside it/);
    assert.match(r.stderr, /LATCHKEY_MASTER_KEY/);
    assert.match(r.stderr, /--master-key-file/);
  });

  test('a password goes in PGPASSFILE, never in the URI', async () => {
    const inUri = role.uri.replace('latchkey_app@', `latchkey_app:${password}@`);
    const r = await cli.run(['providers', 'list'], { env: { LATCHKEY_STORE: inUri } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /carries a password/);
    assert.ok(!r.stderr.includes(password), r.stderr);
    const none = await cli.run(['providers', 'list'], { env: { PGPASSFILE: join(dir, 'no-such-passfile') } });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /asks for a password and none was given/);
  });

  test('register, upsert, connect, token — everything sealed in PostgreSQL', async () => {
    await cli.addTestProvider(as, api);
    const c = await cli.connect('testas');
    assert.equal(c.status, 0, c.stderr);
    assert.equal(c.json().account, 'alice');
    const token = await cli.run(['token', 'testas']);
    assert.equal(token.status, 0, token.stderr);
    const access = token.stdout.trim();
    assert.equal((await as.introspect(access)).active, true);

    // The records are in the database, sealed: neither the token nor the client secret in clear.
    const count = Number(pg.psql('SELECT count(*) FROM latchkey_records', 'latchkey_app'));
    assert.ok(count >= 3, `${count} records`);
    for (const secret of [access, 'cli-secret']) {
      assert.equal(pg.psql(`SELECT count(*) FROM latchkey_records WHERE position(convert_to('${secret}', 'UTF8') in value) > 0`,
        'latchkey_app').trim(), '0');
    }

    // The same key from a file (LATCHKEY_MASTER_KEY_FILE) opens the same records.
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, `${masterKey}\n`, { mode: 0o600 });
    const again = await cli.run(['token', 'testas'], { env: { LATCHKEY_MASTER_KEY: '', LATCHKEY_MASTER_KEY_FILE: keyFile } });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout.trim(), access);
    // A different key is refused rather than used.
    const other = await cli.run(['token', 'testas'], { env: { LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64') } });
    assert.equal(other.status, 1);
    assert.match(other.stderr, /does not open/);
  });
});
