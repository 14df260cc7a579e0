// latchkeyd's event loops proxy a request themselves when its API key and its connection's
// signer are in memory and its body is small (session.hpp), over an upstream connection they keep
// alive: https, or plain HTTP on loopback (upstream.hpp); everything else goes to a worker thread.
// These tests drive that path against a plain-HTTP upstream that checks every bearer token at the
// real authorization server, and an https one (the fixture API; and one whose certificate the
// gateway does not trust), and check that it behaves as the worker path does: what goes
// upstream, framing, keep-alive reuse, a refused token, store changes made by the gateway and by
// another process, broken upstreams, logs and shutdown.
// /metrics' latchkeyd_proxy_loop_requests_total says which path answered.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startApiServer } from '../fixtures/api_server.mjs';
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, raw, request, runD, sleep, startGateway, startWith, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));

/// A plain-HTTP API on loopback. Authenticated routes ask the AS whether the bearer token is
/// active, so a stale or wrong token is refused as a real resource server would.
async function startPlainApi(as) {
  const stats = { connections: 0, requests: [], lastAuthorization: null };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://x');
    stats.requests.push({ method: req.method, path: url.pathname, headers: req.headers, body });
    if (url.pathname === '/bad') {  // not HTTP at all
      req.socket.end('this is not an HTTP answer\r\n\r\n');
      return;
    }
    if (url.pathname === '/cut') {  // promises 100000 bytes, sends 10, hangs up
      req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789');
      setTimeout(() => req.socket.destroy(), 50);
      return;
    }
    if (url.pathname === '/open') {  // answered without asking the AS, for request volume
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('open');
      return;
    }
    const auth = req.headers.authorization ?? '';
    stats.lastAuthorization = auth || null;
    const m = /^Bearer (\S+)$/.exec(auth);
    const info = m ? await as.introspect(m[1]) : { active: false };
    if (!info.active) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end('{"error":"invalid_token"}');
      return;
    }
    if (url.pathname === '/me') {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'upstream=1', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ client_id: info.client_id, scope: info.scope }));
    } else if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        method: req.method, query: url.search, length: body.length,
        sha256: createHash('sha256').update(body).digest('hex'), type: req.headers['content-type'] ?? null,
      }));
    } else if (url.pathname === '/chunked') {  // no Content-Length: the caller gets it chunked
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (const part of ['one,', 'two,', 'three']) {
        res.write(part);
        await sleep(20);
      }
      res.end();
    } else if (url.pathname === '/empty') {
      res.writeHead(204);
      res.end();
    } else if (url.pathname === '/slow') {
      await sleep(Number(url.searchParams.get('ms') ?? 500));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('slow answer');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found"}');
    }
  });
  server.on('connection', () => { stats.connections += 1; });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    /// Closes the idle kept-alive connections, as a server's keep-alive timeout would.
    closeIdle: () => server.closeIdleConnections(),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/// latchkeyd_proxy_loop_requests_total of the gateway at `url`: the proxied requests an event
/// loop answered itself.
async function loopRequests(url) {
  const m = /^latchkeyd_proxy_loop_requests_total (\d+)$/m.exec((await request(`${url}/metrics`)).text);
  assert.ok(m, 'the metric is exported');
  return Number(m[1]);
}

/// Through the gateway at `url` as admin `key`: a client-credentials provider for the API at
/// `base` with the AS's latchkey-m2m app, and its connection a1.
async function addM2mProvider(url, key, as, provider, base) {
  const admin = (method, path, body) => request(`${url}${path}`, { method, key, body: JSON.stringify(body) });
  const def = {
    key: provider,
    display_name: `API ${provider}`,
    auth_mode: 'client_credentials',
    token_endpoint: as.endpoints.token,
    api_base_url: base,
    default_scopes: ['api:read'],
    token_endpoint_auth_method: 'client_secret_basic',
    expiry_buffer_seconds: 0,
    injection: { hosts: [new URL(base).origin], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  };
  const p = await admin('POST', '/v1/providers', def);
  assert.equal(p.status, 201, p.text);
  const app = await admin('PUT', `/v1/providers/${provider}/app`, { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' });
  assert.equal(app.status, 200, app.text);
  const c = await admin('POST', `/v1/providers/${provider}/connect`, { account: 'a1' });
  assert.equal(c.status, 200, c.text);
}

describe('latchkeyd event-loop proxy', () => {
  let as; let api; let tlsApi; let stranger; let cli; let gw; let key; let agent;
  const PROVIDER = 'plain';
  let proxiedCount = 0;  // every proxied request the tests send: each must have its log line
  const proxyTo = (provider, path, opts = {}) => {
    proxiedCount += 1;
    return request(`${gw.url}/v1/proxy/${provider}${path}`, { key, agent, ...opts });
  };
  const proxy = (path, opts) => proxyTo(PROVIDER, path, opts);
  const admin = (method, path, body) => request(`${gw.url}${path}`, {
    method, key, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const loopCount = () => loopRequests(gw.url);
  async function currentToken() {
    const t = await admin('POST', `/v1/connections/${PROVIDER}/a1/token`);
    assert.equal(t.status, 200, t.text);
    return t.json().access_token;
  }
  /// Proxied requests until one is answered by the loop (the first ones fill its cache, which
  /// holds a signer per connection as the caller names it: `headers` may name the account).
  async function warm(path = '/me', provider = PROVIDER, headers = {}) {
    for (let i = 0; i < 20; i += 1) {
      const before = await loopCount();
      assert.equal((await proxyTo(provider, path, { headers })).status, 200);
      if (await loopCount() > before) return;
    }
    assert.fail('no proxied request was answered by an event loop');
  }

  before(async () => {
    as = await startAuthServer({ pki });
    api = await startPlainApi(as);
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    ({ alice: key } = await createKeys(cli, [['alice', 'admin']]));
    gw = await startGateway(cli);
    agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    // The TLS API's certificate is from the CA the gateway trusts; the stranger's from another.
    tlsApi = await startApiServer({ pki, authServer: as });
    stranger = await startApiServer({ pki: await makeTestPki(tempDir('latchkey-pki-')), authServer: as });
    for (const [provider, base] of [[PROVIDER, api.url], ['tls', tlsApi.url], ['stranger', stranger.url]]) {
      await addM2mProvider(gw.url, key, as, provider, base);
    }
  });
  after(async () => {
    agent?.destroy();
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await api?.close();
    await tlsApi?.close();
    await stranger?.close();
    await as?.close();
  });

  test('after the first request, the loop sends them with the current token, and nothing of the caller\'s', async () => {
    await warm('/me', PROVIDER, { 'x-latchkey-account': 'a1' });
    const before = await loopCount();
    const connections = api.stats.connections;
    api.stats.requests.length = 0;
    for (let i = 0; i < 20; i += 1) {
      const r = await proxy('/me?n=1', {
        headers: { cookie: 'session=caller', 'x-latchkey-account': 'a1', 'proxy-authorization': 'Basic eA==',
          'x-custom': 'kept', connection: 'keep-alive, x-hop', 'x-hop': 'dropped' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().client_id, 'latchkey-m2m');
      assert.equal(r.headers['x-upstream'], 'yes');
      assert.equal(r.headers['set-cookie'], undefined, 'upstream cookies never reach the caller');
    }
    assert.equal(await loopCount() - before, 20, 'the loop answered them');
    assert.equal(api.stats.connections, connections, 'over the upstream connection the loop kept alive');
    const token = await currentToken();
    for (const { headers } of api.stats.requests) {
      assert.equal(headers.authorization, `Bearer ${token}`);
      assert.equal(headers['x-custom'], 'kept');
      for (const gone of ['cookie', 'x-latchkey-account', 'proxy-authorization', 'x-hop']) {
        assert.equal(headers[gone], undefined, `${gone} went upstream`);
      }
    }
  });

  test('bodies and every kind of answer framing pass through unchanged', async () => {
    await warm();
    const before = await loopCount();
    const body = randomBytes(40 * 1024).toString('base64');  // 54 KiB, below the 64 KiB the loop holds
    const echo = await proxy('/echo?x=1&y=%2F', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    assert.equal(echo.status, 200, echo.text);
    assert.deepEqual(echo.json(), { method: 'POST', query: '?x=1&y=%2F', length: body.length,
      sha256: createHash('sha256').update(body).digest('hex'), type: 'text/plain' });
    const chunked = await proxy('/chunked');
    assert.equal(chunked.text, 'one,two,three');
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    const get = await proxy('/me');
    const head = await proxy('/me', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.text, '');
    assert.equal((await proxy('/empty')).status, 204);
    assert.equal((await proxy('/no-such-path')).status, 404);
    assert.ok(await loopCount() - before >= 6, 'the loop answered them');
    // The same body split across TCP writes, the way a slow client sends it.
    const path = `/v1/proxy/${PROVIDER}/echo`;
    const bytes = Buffer.from(body);
    const sock = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
    await new Promise((r) => sock.on('connect', r));
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    proxiedCount += 1;
    sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Length: ${bytes.length}\r\n`
      + 'Connection: close\r\n\r\n');
    sock.write(bytes.subarray(0, 1000));
    await sleep(100);
    sock.write(bytes.subarray(1000));
    await new Promise((r) => sock.on('close', r));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(answer.includes(`"sha256":"${createHash('sha256').update(bytes).digest('hex')}"`), 'the body arrived whole');
  });

  test('an upstream connection that went stale while idle is replaced without the caller noticing', async () => {
    await warm();
    const before = await loopCount();
    const connections = api.stats.connections;
    assert.equal((await proxy('/me')).status, 200);
    api.closeIdle();  // the pooled connection our loop would use next
    await sleep(50);
    assert.equal((await proxy('/me')).status, 200);
    assert.ok(api.stats.connections > connections, 'a new upstream connection was made');
    assert.equal(await loopCount() - before, 2);
  });

  test('a token the upstream refuses is refreshed once and the request, body and all, sent again', async () => {
    await warm();
    const old = await currentToken();
    const issued = as.stats.token.client_credentials ?? 0;
    assert.equal(await as.revoke(old), true);
    const body = JSON.stringify({ retried: 'with its body' });
    const r = await proxy('/echo', { method: 'POST', body });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(as.stats.token.client_credentials ?? 0, issued + 1, 'exactly one new token');
    const fresh = await currentToken();
    assert.notEqual(fresh, old);
    await warm();
    assert.equal(api.stats.lastAuthorization, `Bearer ${fresh}`, 'the loop signs with the new token');
  });

  test('the gateway\'s own changes are seen by the very next request', async () => {
    await warm();
    const removed = await admin('DELETE', `/v1/connections/${PROVIDER}/a1`);
    assert.equal(removed.status, 200, removed.text);
    const gone = await proxy('/me');
    assert.equal(gone.status, 404, gone.text);
    assert.equal(gone.json().error.code, 'not_found');
    assert.equal((await admin('POST', `/v1/providers/${PROVIDER}/connect`, { account: 'a1' })).status, 200);
    await warm();
    assert.equal(api.stats.lastAuthorization, `Bearer ${await currentToken()}`);
  });

  test('another process\'s changes to the store are seen too', async () => {
    await warm();
    // The CLI, on the same store, replaces the token...
    const t = await cli.run(['--principal', 'alice', 'token', PROVIDER, '--account', 'a1', '--force-refresh', '--json']);
    assert.equal(t.status, 0, t.stderr);
    const replaced = t.json().access_token;
    assert.equal((await proxy('/me')).status, 200);
    assert.equal(api.stats.lastAuthorization, `Bearer ${replaced}`, 'the cached signer was not used');
    // ...then removes the connection.
    await warm();
    const d = await cli.run(['--principal', 'alice', 'disconnect', PROVIDER, '--account', 'a1']);
    assert.equal(d.status, 0, d.stderr);
    assert.equal((await proxy('/me')).status, 404);
    assert.equal((await admin('POST', `/v1/providers/${PROVIDER}/connect`, { account: 'a1' })).status, 200);
  });

  test('a key revoked or rotated is refused at once by a loop that holds it, whoever revoked it', async () => {
    // A second key of alice's, used over one kept-alive connection the loop answers itself.
    const own = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const make = async () => (await admin('POST', '/v1/keys', { principal: 'alice', role: 'user' })).json();
      const through = async (k) => {
        const r = await request(`${gw.url}/v1/proxy/${PROVIDER}/me`, { key: k, agent: own });
        if (r.status !== 401) proxiedCount += 1;  // a refused key is logged as "/v1/*", not as the proxy route
        return r;
      };
      const warmWith = async (k) => {
        for (let i = 0; i < 20; i += 1) {
          const before = await loopCount();
          assert.equal((await through(k)).status, 200);
          if (await loopCount() > before) return;
        }
        assert.fail('the loop never answered with this key');
      };
      const revokedHere = await make();
      await warmWith(revokedHere.key);
      assert.equal((await admin('DELETE', `/v1/keys/${revokedHere.id}`)).status, 200);
      assert.equal((await through(revokedHere.key)).status, 401, 'revoked through the API');

      const revokedElsewhere = await make();
      await warmWith(revokedElsewhere.key);
      const out = await runD(cli, ['keys', 'revoke', revokedElsewhere.id]);
      assert.equal(out.status, 0, out.stderr);
      assert.equal((await through(revokedElsewhere.key)).status, 401, 'revoked by another process');

      const rotated = await make();
      await warmWith(rotated.key);
      const fresh = (await admin('POST', `/v1/keys/${rotated.id}/rotate`)).json();
      assert.equal((await through(rotated.key)).status, 401, 'the old secret of a rotated key');
      assert.equal((await through(fresh.key)).status, 200);
    } finally {
      own.destroy();
    }
  });

  test('an upstream that answers garbage or hangs up mid-answer: a 502, or a cut connection', async () => {
    await warm();
    const bad = await proxy('/bad');
    assert.equal(bad.status, 502, bad.text);
    assert.equal(bad.json().error.code, 'transport');
    assert.match(bad.json().error.message, /127\.0\.0\.1/);
    const path = `/v1/proxy/${PROVIDER}/cut`;
    proxiedCount += 1;
    const cut = await raw(gw.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    assert.match(cut.head, /^HTTP\/1\.1 200 /);
    assert.match(cut.head, /Content-Length: 100000/i);
    assert.ok(cut.body.length < 100000, 'the caller can tell the answer was cut short');
    assert.equal((await proxy('/me')).status, 200, 'and the gateway carries on');
  });

  test('https upstreams too: the loop checks the certificate, and one it cannot trust is the worker\'s 502', async () => {
    await warm('/me', 'tls');
    const before = await loopCount();
    for (let i = 0; i < 10; i += 1) {
      const r = await proxyTo('tls', '/me');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().client_id, 'latchkey-m2m');
    }
    assert.ok(await loopCount() - before >= 10, 'the loop answered them');
    const t = await admin('POST', '/v1/connections/tls/a1/token');
    assert.equal(tlsApi.stats.lastAuthorization, `Bearer ${t.json().access_token}`);
    const upload = randomBytes(50 * 1024);
    const sent = await proxyTo('tls', '/upload', { method: 'POST', body: upload, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.json().sha256, createHash('sha256').update(upload).digest('hex'));

    const untrusted = await loopCount();
    for (let i = 0; i < 3; i += 1) {  // the first fills the loop's cache; the others reach its handshake
      const r = await proxyTo('stranger', '/me');
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json().error.code, 'transport');
      assert.match(r.json().error.message, /not trusted/);
    }
    assert.equal(await loopCount(), untrusted, 'no answer came from an untrusted server');
    assert.equal(stranger.stats.requests, 0, 'no request reached it');
  });

  test('the access log has a line per request and no secret; SIGTERM lets requests in flight finish', async () => {
    await warm();
    const token = await currentToken();
    const slow = proxy('/slow?ms=700');
    await sleep(200);
    gw.child.kill('SIGTERM');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.text, 'slow answer');
    const exit = await new Promise((resolve) => (gw.child.exitCode !== null ? resolve(gw.child.exitCode)
      : gw.child.on('close', resolve)));
    assert.equal(exit, 0);
    const lines = gw.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const proxied = lines.filter((l) => l.route === '/v1/proxy/{provider}/*');
    assert.equal(proxied.length, proxiedCount, 'one line per proxied request');
    assert.ok(proxied.every((l) => l.principal === 'alice' && Number.isInteger(l.status)));
    assert.ok(lines.some((l) => l.event === 'stopped'));
    for (const secret of [token, key, 'm2m-secret']) assert.ok(!gw.stderr.includes(secret), 'a secret was logged');
  });
});

// Nobody reads latchkeyd's stderr here: the pipe fills after a few hundred log lines. Requests —
// proxied ones on the event loops and API ones on worker threads — must keep being answered.
test('a stderr nobody reads does not stall the gateway', async () => {
  const as = await startAuthServer({ pki });
  const api = await startPlainApi(as);
  const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
  const { carol: key } = await createKeys(cli, [['carol', 'admin']]);
  const gw = startWith(['serve', '--listen', '127.0.0.1:0'], cli.env, { readStderr: false });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const { url } = await gw.ready;
    await addM2mProvider(url, key, as, 'plain', api.url);
    const open = () => request(`${url}/v1/proxy/plain/open`, { key, agent });
    assert.equal((await open()).status, 200);  // fills the loops' cache
    const loopBefore = await loopRequests(url);
    const started = Date.now();
    let answered = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 400; i += 1) {
        const r = await (i % 2 ? open() : request(`${url}/v1/whoami`, { key, agent }));
        assert.equal(r.status, 200, r.text);
        answered += 1;
      }
    }));
    assert.equal(answered, 3200);  // some 400 KB of log lines: six times what the pipe holds
    assert.ok(Date.now() - started < 60_000, 'answered without waiting for the log');
    assert.equal(await loopRequests(url) - loopBefore, 1600, 'the loops answered every proxied request');
  } finally {
    agent.destroy();
    gw.child.kill('SIGKILL');
    await api.close();
    await as.close();
  }
});

// Upstreams that answer in ways a plain HTTP server rarely does, by hand: each GET gets a 200
// naming its connection and path, unless its path asks for something else. The event loop must
// treat them as HttpsClient does.
describe('the event loop and unusual upstream answers', () => {
  let as; let server; let gw; let key; let agent;
  // strayNext: the connection that answers next then sends a 408, closes its side and ignores
  // what follows (as nginx and Apache do when their idle timeout fires).
  const upstream = { connections: 0, strayNext: false };
  // One client connection throughout: it stays on one event loop, and so does that loop's pool.
  const get = (path) => new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}/v1/proxy/odd${path}`, { agent, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text, json: () => JSON.parse(text) }));
      });
    req.on('error', reject);
    req.end();
  });
  const loopCount = async () => Number(/^latchkeyd_proxy_loop_requests_total (\d+)$/m
    .exec((await request(`${gw.url}/metrics`)).text)[1]);
  /// Requests until the loop answers one (the first ones fill its caches).
  async function warm() {
    for (let i = 0; i < 20; i += 1) {
      const before = await loopCount();
      assert.equal((await get('/warm')).status, 200);
      if (await loopCount() > before) return;
    }
    assert.fail('no proxied request was answered by an event loop');
  }
  /// warm(), right after a worker has read the key again: a loop answers with a key a worker read
  /// less than 5 s ago (keys.cpp's KnownKeys), so a test that counts several loop answers starts
  /// at the beginning of that window rather than anywhere in it.
  async function warmFresh() {
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const before = await loopCount();
      assert.equal((await get('/warm')).status, 200);
      if (await loopCount() === before) return warm();
    }
    assert.fail('no worker read the key again within 10 s');
  }

  before(async () => {
    as = await startAuthServer({ pki });
    server = net.createServer((sock) => {
      const id = ++upstream.connections;
      let pending = '';
      let dead = false;
      sock.on('error', () => {});
      sock.on('data', (d) => {
        if (dead) return;
        pending += d.toString('latin1');
        let end;
        while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
          const path = pending.slice(0, end).split(' ')[1];
          pending = pending.slice(end + 4);
          const early = /^\/early\/(\d+)$/.exec(path);
          if (early) sock.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'.repeat(Number(early[1])));
          if (path === '/switch') {
            sock.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n');
            continue;
          }
          if (path === '/not-http') {
            sock.end('HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n');
            return;
          }
          if (path === '/half-head') {
            sock.end('HTTP/1.1 200 OK\r\nContent-');
            return;
          }
          const body = JSON.stringify({ connection: id, path });
          sock.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          if (upstream.strayNext) {
            upstream.strayNext = false;
            dead = true;
            setTimeout(() => sock.end('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), 30);
            return;
          }
        }
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    ({ dora: key } = await createKeys(cli, [['dora', 'admin']]));
    gw = await startGateway(cli);
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const def = {
      key: 'odd', display_name: 'Odd answers', auth_mode: 'client_credentials',
      token_endpoint: as.endpoints.token, api_base_url: `http://127.0.0.1:${server.address().port}`,
      default_scopes: ['api:read'], token_endpoint_auth_method: 'client_secret_basic', expiry_buffer_seconds: 0,
      injection: { hosts: [`http://127.0.0.1:${server.address().port}`], header: 'Authorization', prefix: 'Bearer ', query_param: null },
    };
    const admin = (method, path, body) => request(`${gw.url}${path}`, { method, key, body: JSON.stringify(body) });
    assert.equal((await admin('POST', '/v1/providers', def)).status, 201);
    assert.equal((await admin('PUT', '/v1/providers/odd/app',
      { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' })).status, 200);
    assert.equal((await admin('POST', '/v1/providers/odd/connect', { account: 'a1' })).status, 200);
  });
  after(async () => {
    agent?.destroy();
    if (gw && gw.child.exitCode === null) gw.child.kill('SIGKILL');
    server?.close();
    await as?.close();
  });

  test('a stray answer on an idle upstream connection is never taken for the next request\'s', async () => {
    await warm();
    const before = await loopCount();
    upstream.strayNext = true;
    const first = await get('/first');
    assert.equal(first.status, 200, first.text);
    const used = first.json().connection;
    await sleep(200);  // the 408 and the FIN are in; the connection sits in the loop's pool
    const connections = upstream.connections;
    const next = await get('/next');
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json().path, '/next', 'the answer is the request\'s own');
    assert.notEqual(next.json().connection, used);
    assert.equal(upstream.connections, connections + 1, 'a new upstream connection was made');
    assert.equal(await loopCount() - before, 2, 'the loop answered both');
  });

  test('interim answers are skipped, up to HttpsClient\'s limit; a 101 is refused', async () => {
    await warmFresh();
    const before = await loopCount();
    const hinted = await get('/early/8');
    assert.equal(hinted.status, 200, hinted.text);
    assert.equal(hinted.json().path, '/early/8');
    const endless = await get('/early/9');
    assert.equal(endless.status, 502, endless.text);
    assert.equal(endless.json().error.code, 'transport');
    assert.match(endless.json().error.message, /^127\.0\.0\.1 sent more than 8 interim \(1xx\) answers/);
    const switched = await get('/switch');
    assert.equal(switched.status, 502, switched.text);
    assert.match(switched.json().error.message, /^127\.0\.0\.1 switched protocols \(101\)/);
    assert.equal(await loopCount() - before, 3, 'the loop answered them');
    assert.equal((await get('/after')).status, 200, 'and the gateway carries on');
  });

  test('an answer that is not HTTP, or that ends inside its head, gets HttpsClient\'s words', async () => {
    await warmFresh();
    const before = await loopCount();
    const garbled = await get('/not-http');
    assert.equal(garbled.status, 502, garbled.text);
    assert.equal(garbled.json().error.code, 'transport');
    assert.equal(garbled.json().error.message,
      '127.0.0.1 sent a response that is not valid HTTP/1.1 (bad status); check that the URL\'s scheme and port are right');
    const cut = await get('/half-head');
    assert.equal(cut.status, 502, cut.text);
    assert.equal(cut.json().error.message, '127.0.0.1 closed the connection in the middle of its answer; try again');
    assert.equal(await loopCount() - before, 2, 'the loop answered them');
    assert.equal((await get('/after')).status, 200, 'and the gateway carries on');
  });
});

// Past --max-connections a client is refused at once with a 503 it can parse: its framing must
// match its body exactly, or the client waits for bytes that never come (or reads too few).
test('the 503 past --max-connections is well-framed JSON', async () => {
  const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
  const gw = await startGateway(cli, ['--max-connections', '1']);
  const port = Number(new URL(gw.url).port);
  const held = net.connect(port, '127.0.0.1');
  try {
    await new Promise((r) => held.on('connect', r));
    await sleep(100);  // admitted: the one connection allowed
    const refused = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      let bytes = Buffer.alloc(0);
      sock.on('data', (d) => { bytes = Buffer.concat([bytes, d]); });
      sock.on('error', () => {});
      sock.on('close', () => resolve(bytes.toString('latin1')));
    });
    const split = refused.indexOf('\r\n\r\n');
    assert.ok(split > 0, refused);
    const head = refused.slice(0, split);
    const body = refused.slice(split + 4);
    assert.match(head, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(head, /\r\nServer: latchkeyd\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json\r\n/);
    assert.match(head, /\r\nRetry-After: 1\r\n/);
    assert.match(head, /\r\nConnection: close(\r\n|$)/);
    assert.equal(Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));
    const error = JSON.parse(body).error;
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, /connection limit/);
  } finally {
    held.destroy();
    gw.child.kill('SIGKILL');
  }
});
