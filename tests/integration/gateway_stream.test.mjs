// latchkeyd's proxy streams bodies both ways: uploads and downloads far larger than any buffer
// the gateway has, delivered as they arrive, with the 401 → refresh → retry rule for bodies it
// can and cannot send twice.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { patternBytes, startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { basicAuth, form, request as fixtureRequest } from '../fixtures/http_util.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, request, startGateway, tempDir,
} from './harness.mjs';

const MiB = 1024 * 1024;
const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// Sends `total` pattern bytes as the body, `chunk` bytes per write (chunked unless `length`).
function upload(url, key, { total, chunk = 256 * 1024, length = false }) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' };
    if (length) headers['content-length'] = String(total);
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const part = patternBytes(sent, Math.min(chunk, total - sent));
        sent += part.length;
        if (!req.write(part)) return req.once('drain', pump);
      }
      return req.end();
    };
    pump();
  });
}

/// GETs `url`; resolves with status, headers, byte count, sha256, and when the first body byte
/// and the end arrived (ms after the request went out).
function download(url, key) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    http.get(url, { headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0; let first = null;
      res.on('data', (d) => {
        first ??= Date.now() - t0;
        hash.update(d);
        bytes += d.length;
      });
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, bytes, sha256: hash.digest('hex'), first, total: Date.now() - t0,
      }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const sha256Of = (offset, length) => createHash('sha256').update(patternBytes(offset, length)).digest('hex');

describe('latchkeyd proxy streaming', () => {
  let as; let api; let cli; let gw; let key;
  before(async () => {
    as = await startAuthServer({ pki });
    api = await startApiServer({ pki, authServer: as });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, api);
    assert.equal((await cli.connect('testas', [], {}, { principal: 'alice' })).status, 0);
    ({ alice: key } = await createKeys(cli, [['alice', 'user']]));
    gw = await startGateway(cli);
  });
  after(async () => {
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await api.close();
    await as.close();
  });

  test('a 32 MiB chunked upload reaches the API intact, chunked', async () => {
    const total = 32 * MiB;
    const r = await upload(`${gw.url}/v1/proxy/testas/upload`, key, { total });
    assert.equal(r.status, 200);
    const body = r.json();
    assert.equal(body.bytes, total);
    assert.equal(body.sha256, sha256Of(0, total));
    assert.equal(body.chunked, true);
  });

  test('an upload with a Content-Length keeps it (5 MiB, over the JSON routes\' 1 MiB limit)', async () => {
    const total = 5 * MiB;
    const r = await upload(`${gw.url}/v1/proxy/testas/upload`, key, { total, length: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { bytes: total, sha256: sha256Of(0, total), chunked: false });
  });

  test('a 40 MiB download streams through whole (above any response cap)', async () => {
    const total = 40 * MiB;
    const r = await download(`${gw.url}/v1/proxy/testas/download?bytes=${total}`, key);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.equal(r.bytes, total);
    assert.equal(r.sha256, sha256Of(0, total));
  });

  test('bytes reach the caller while the upstream is still sending', async () => {
    // 5 chunks 300 ms apart: buffered, nothing would arrive before ~1.2 s.
    const r = await download(`${gw.url}/v1/proxy/testas/download?bytes=5000&chunk=1000&delay_ms=300`, key);
    assert.equal(r.status, 200);
    assert.equal(r.sha256, sha256Of(0, 5000));
    assert.ok(r.total >= 1200, `the upstream took ${r.total} ms`);
    assert.ok(r.first < 700, `the first bytes came after ${r.first} ms of ${r.total}`);
  });

  test('a small body is held: a 401 refreshes and the same body is sent again', async () => {
    const status = await request(`${gw.url}/v1/connections/testas/alice`, { key });
    const before = as.stats.token.refresh_token ?? 0;
    const token = (await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key })).json();
    assert.equal(status.status, 200);
    assert.equal(await as.revoke(token.access_token), true);
    const total = 40 * 1024;
    const r = await upload(`${gw.url}/v1/proxy/testas/upload`, key, { total, length: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { bytes: total, sha256: sha256Of(0, total), chunked: false });
    assert.equal(as.stats.token.refresh_token ?? 0, before + 1);
  });

  test('a streamed body is not sent twice: its 401 goes back, and the token is refreshed for the retry', async () => {
    const token = (await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key })).json();
    assert.equal(await as.revoke(token.access_token), true);
    const before = as.stats.token.refresh_token ?? 0;
    const total = 2 * MiB;
    const first = await upload(`${gw.url}/v1/proxy/testas/upload`, key, { total });
    assert.equal(first.status, 401);
    assert.equal(as.stats.token.refresh_token ?? 0, before + 1);
    const again = await upload(`${gw.url}/v1/proxy/testas/upload`, key, { total });
    assert.equal(again.status, 200);
    assert.equal(again.json().sha256, sha256Of(0, total));
  });

  test('HEAD keeps the upstream\'s headers and sends no body', async () => {
    const r = await request(`${gw.url}/v1/proxy/testas/huge`, { method: 'HEAD', key });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(10 * MiB));
    assert.equal(r.text, '');
  });

  test('a caller that hangs up mid-download does not disturb others', async () => {
    await new Promise((resolve, reject) => {
      const req = http.get(`${gw.url}/v1/proxy/testas/download?bytes=${64 * MiB}&chunk=65536&delay_ms=5`,
        { headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
      req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
    });
    const r = await download(`${gw.url}/v1/proxy/testas/download?bytes=1000`, key);
    assert.equal(r.status, 200);
    assert.equal(r.sha256, sha256Of(0, 1000));
    assert.equal((await request(`${gw.url}/healthz`)).status, 200);
  });

  // Last: it ends the connection's grant.
  test('a revoked grant: the proxy says needs_reauth, the connection is kept, and /metrics counts the failure', async () => {
    const token = (await request(`${gw.url}/v1/connections/testas/alice/token`, { method: 'POST', key })).json();
    const revoked = await fixtureRequest(as.endpoints.revocation, {
      method: 'POST',
      ca: readFileSync(pki.ca.cert),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('latchkey-cli', 'cli-secret') },
      body: form({ token: token.access_token }),
    });
    assert.equal(revoked.status, 200);
    const r = await request(`${gw.url}/v1/proxy/testas/me`, { key });
    assert.equal(r.status, 409);
    assert.equal(r.json().error.code, 'needs_reauth');
    const status = await request(`${gw.url}/v1/connections/testas/alice`, { key });
    assert.equal(status.status, 200);
    assert.equal(status.json().status, 'needs_reauth');
    const metrics = (await request(`${gw.url}/metrics`)).text;
    assert.match(metrics, /latchkeyd_refresh_failures_total\{code="(needs_reauth|invalid_grant)"\} 1/);
    assert.match(metrics, /latchkeyd_store_errors_total 0/);
  });
});
