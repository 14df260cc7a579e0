// Master key rotation across gateways sharing one PostgreSQL store: every gateway first learns the
// new key as a second one, then takes it as current, `latchkeyd store reseal` re-seals what the
// old key sealed, and the old key can go — with the connection and the app's secret working at
// every step, on every gateway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startAuthServer } from '../fixtures/auth_server.mjs';
import { startPostgres } from '../fixtures/postgres.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import { createKeys, request, runD, startWith, tempDir } from './harness.mjs';

const OLD = Buffer.alloc(32, 1).toString('base64');
const NEW = Buffer.alloc(32, 2).toString('base64');

describe('master key rotation on a shared PostgreSQL store', () => {
  let pg; let as; let pki; let env; let key; let gateways = [];
  const envWith = (keys) => ({ ...env, LATCHKEY_MASTER_KEY: keys });
  async function restart(keys) {
    for (const g of gateways) {
      g.child.kill('SIGTERM');
      await g.exited;
    }
    gateways = [];
    for (let i = 0; i < 2; i++) {
      const g = startWith(['serve', '--listen', '127.0.0.1:0'], envWith(keys));
      await g.ready;
      gateways.push(g);
    }
  }
  /// A token through each gateway: the connection's sealed token and the app's sealed secret open.
  async function everyGatewayWorks(what) {
    for (const g of gateways) {
      const r = await request(`${g.url}/v1/connections/rot/a1/token?force_refresh=true`, { method: 'POST', key });
      assert.equal(r.status, 200, `${what}: ${r.text}`);
    }
  }

  before(async () => {
    pki = await makeTestPki(tempDir('latchkey-pki-'));
    as = await startAuthServer({ pki });
    pg = await startPostgres();
    env = { PATH: process.env.PATH, HOME: tempDir(), LATCHKEY_STORE: pg.uri, LATCHKEY_CA_FILE: pki.ca.cert };
    ({ admin: key } = await createKeys(envWith(OLD), [['admin', 'admin']]));
    await restart(OLD);
    const call = (method, path, body) => request(`${gateways[0].url}${path}`, { method, key, body: JSON.stringify(body) });
    assert.equal((await call('POST', '/v1/providers', {
      key: 'rot', display_name: 'Rotation', auth_mode: 'client_credentials', token_endpoint: as.endpoints.token,
      api_base_url: as.url('/'), default_scopes: ['api:read'], token_endpoint_auth_method: 'client_secret_basic',
      injection: { hosts: [new URL(as.url('/')).origin], header: 'Authorization', prefix: 'Bearer ', query_param: null },
    })).status, 201);
    assert.equal((await call('PUT', '/v1/providers/rot/app', { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' })).status, 200);
    assert.equal((await call('POST', '/v1/providers/rot/connect', { account: 'a1' })).status, 200);
  });
  after(async () => {
    for (const g of gateways) g.child.kill('SIGKILL');
    await as?.close();
    await pg?.stop();
  });

  test('learn the new key, take it, reseal, drop the old one', async () => {
    await everyGatewayWorks('with the old key');
    await restart(`1:${OLD},2:${NEW}`);  // step 1: everyone can open what the new key will seal
    await everyGatewayWorks('the new key known');
    await restart(`2:${NEW},1:${OLD}`);  // step 2: new secrets are sealed under version 2
    await everyGatewayWorks('the new key current');

    // Without the old key the app's secret (sealed under version 1) no longer opens: not yet.
    const early = await runD(envWith(`2:${NEW}`), ['store', 'check']);
    assert.equal(early.status, 1, early.stdout);
    assert.match(early.stdout, /^FAILED app\/rot: /m);

    const resealed = await runD(envWith(`2:${NEW},1:${OLD}`), ['store', 'reseal']);  // step 3, once, on one machine
    assert.equal(resealed.status, 0, resealed.stderr);
    const m = /(\d+) records re-sealed under the current master key, 0 skipped, 0 failed/.exec(resealed.stdout);
    assert.ok(m && Number(m[1]) >= 1, resealed.stdout);

    await restart(`2:${NEW}`);  // step 4: the old key is gone
    await everyGatewayWorks('the old key dropped');
    const check = await runD(envWith(`2:${NEW}`), ['store', 'check']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout, /FAILED/);
    // And the old key alone opens nothing any more.
    const stale = await runD(envWith(OLD), ['store', 'check']);
    assert.equal(stale.status, 1);
  });
});
