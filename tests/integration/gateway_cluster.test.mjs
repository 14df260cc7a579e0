// Three latchkeyd on one PostgreSQL, behind one address: Debian's nginx with an `upstream` of the
// three (round-robin; it tells which one answered in X-Upstream). Every gateway has the same
// master key (LATCHKEY_MASTER_KEY) and --public-url, the nginx address, so a sign-in's
// redirect_uri is the same whichever gateway started it. Real parts throughout: PostgreSQL
// (tests/fixtures/postgres.mjs), the oidc-provider AS, nginx, the latchkeyd and latchkey binaries.
//
// - a sign-in started on one gateway completes on another;
// - a refresh storm of 1,000 proxied requests over the three on an expired token: 1 refresh at
//   the AS, 0 failed;
// - the gateway holding the refresh lease SIGKILLed in the middle of a storm: the others answer
//   everything after at most one lease (the core's 15 s). To kill it at its worst moment, it is
//   stopped (SIGSTOP) as its refresh reaches the AS, the rest of the storm sent, then SIGKILLed;
//   what was in flight on it is counted apart (nginx sends a failed GET to the next gateway);
// - a key revoked, or a connection disconnected, through one gateway is refused by the others
//   within 1 s (their caches follow PostgreSQL's LISTEN/NOTIFY);
// - PostgreSQL restarted during traffic: clean 503s while it is down, everything back after.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { defaultClients, startAuthServer } from '../fixtures/auth_server.mjs';
import { completeConsent } from '../fixtures/consent.mjs';
import { freePort } from '../fixtures/http_util.mjs';
import { startPostgres } from '../fixtures/postgres.mjs';
import { startNginx } from '../fixtures/nginx.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  Cli, createKeys, providerFor, request, sleep, startWith, tempDir,
} from './harness.mjs';

const pki = await makeTestPki(tempDir('latchkey-pki-'));
const LEASE_MS = 15000;  // the core's refresh lease (EngineConfig::lease_ms)
const CONNECT_TTL = 3;   // seconds: the tokens the sign-ins get, expired by the time the storms run
const FRESH_TTL = 300;   // seconds: every token after, so nothing is refreshed twice by accident

/// A plain-HTTP API on loopback that accepts a bearer token only if the AS says it is active and
/// unexpired. Each distinct token is introspected once (a storm sends one token a thousand times).
async function startPlainApi(as) {
  const verdicts = new Map();
  const stats = { requests: 0, refused: 0 };
  const server = http.createServer(async (req, res) => {
    stats.requests += 1;
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    let info = { active: false };
    if (m) {
      if (!verdicts.has(m[1])) verdicts.set(m[1], as.introspect(m[1]).catch(() => ({ active: false })));
      info = await verdicts.get(m[1]);
    }
    if (!info.active || info.exp * 1000 <= Date.now()) {
      stats.refused += 1;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end('{"error":"invalid_token"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sub: info.sub }));
  });
  server.keepAliveTimeout = 60000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/// Debian's nginx on `port` in front of `upstreams` (host:port each), round-robin, as a
/// deployment would put it: a request whose gateway fails before answering is sent to the next
/// (nginx's default proxy_next_upstream: error, timeout; GET only). X-Upstream says who answered.
function startRoundRobin(dir, port, upstreams) {
  return startNginx(dir, {
    workers: 1,
    http: `  upstream latchkeyd {
${upstreams.map((u) => `    server ${u};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://latchkeyd;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_read_timeout 60s;
      add_header X-Upstream $upstream_addr always;
    }
  }`,
    ready: async () => (await request(`http://127.0.0.1:${port}/healthz`)).status > 0,
  });
}

/// One request that never throws: { status (or the socket error's code), upstream, ms, text, headers, at }.
async function hit(url, opts = {}) {
  const at = Date.now();
  try {
    const r = await request(url, opts);
    return { status: r.status, upstream: r.headers['x-upstream'] ?? null, ms: Date.now() - at, text: r.text, headers: r.headers, at };
  } catch (e) {
    return { status: e.code ?? 'error', upstream: null, ms: Date.now() - at, text: '', headers: {}, at };
  }
}

/// Fires `n` requests at once: their results, in order.
function storm(n, send) {
  return Promise.all(Array.from({ length: n }, (_, i) => send(i)));
}

/// Sends `send()` every `everyMs` until its status is `want`: ms from `since` to that answer.
async function msUntil(since, want, send, { everyMs = 10, limitMs = 5000 } = {}) {
  for (;;) {
    const r = await send();
    const ms = Date.now() - since;
    if (r.status === want) return ms;
    if (ms > limitMs) return Infinity;
    await sleep(everyMs);
  }
}

/// Resolves on the first event-loop turn at which `check()` holds (checked on every turn, so a
/// state the AS passes through between two of its own steps is not missed).
function whenTrue(check, limitMs = 10000) {
  const until = Date.now() + limitMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() > until) return reject(new Error('timed out waiting'));
      setImmediate(poll);
    };
    poll();
  });
}

describe('three latchkeyd on one PostgreSQL behind nginx', () => {
  let pg; let as; let api; let cli; let nginx; let keys; let publicUrl;
  const ports = [];
  const gws = [];
  const connectedAt = {};
  const figures = {};

  const startGw = (i) => startWith(['serve', '--listen', `127.0.0.1:${ports[i]}`, '--public-url', publicUrl],
    cli.env).ready.then((g) => { gws[i] = g; return g; });
  const refreshes = () => as.stats.token.refresh_token ?? 0;
  const refreshErrors = () => as.stats.tokenErrors.refresh_token ?? 0;
  const gatewayOf = (upstream) => ports.findIndex((p) => upstream === `127.0.0.1:${p}`);

  before(async () => {
    pg = await startPostgres();
    const nginxPort = await freePort();
    publicUrl = `http://127.0.0.1:${nginxPort}`;
    // The app used through the gateways: its only redirect URI is the shared address's callback.
    const web = {
      client_id: 'latchkey-web',
      client_secret: 'web-secret',
      client_name: 'latchkey gateways (web)',
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${publicUrl}/oauth/callback`],
    };
    // Without refresh-token rotation: a gateway killed after the AS answered its refresh and
    // before it stored the answer would otherwise lose the grant whatever the others do (see
    // gateway_faults.test.mjs); the lease, not rotation, is what is under test here.
    as = await startAuthServer({ pki, accessTokenTtl: CONNECT_TTL, refreshTokenRotation: false, clients: [...defaultClients, web] });
    api = await startPlainApi(as);
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert,
      env: { LATCHKEY_STORE: pg.uri, LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64') } });
    await cli.addTestProvider(as, api, { buffer: 1 });
    const file = cli.writeFile('webas.json', JSON.stringify(providerFor(as, api, { key: 'webas', buffer: 1 })));
    assert.equal((await cli.run(['providers', 'register', '--file', file])).status, 0);
    const app = await cli.run(['apps', 'upsert', '--provider', 'webas', '--client-id', 'latchkey-web',
      '--client-secret-stdin'], { input: 'web-secret\n' });
    assert.equal(app.status, 0, app.stderr);
    // One connection per test that needs its own (the CLI, on the same PostgreSQL).
    for (const p of ['storm', 'kill', 'drop']) {
      const c = await cli.connect('testas', [], { login: p }, { principal: p });
      assert.equal(c.status, 0, c.stderr);
      connectedAt[p] = Date.now();
    }
    as.setAccessTokenTtl(FRESH_TTL);
    keys = await createKeys(cli, [['admin', 'admin'], ['alice', 'user'], ['storm', 'user'], ['kill', 'user'], ['drop', 'user']]);

    for (let i = 0; i < 3; i++) ports.push(await freePort());
    await Promise.all([0, 1, 2].map(startGw));
    nginx = await startRoundRobin(join(cli.dir, 'nginx'), nginxPort, ports.map((p) => `127.0.0.1:${p}`));
  });

  after(async () => {
    nginx?.kill('SIGTERM');
    for (const g of gws) if (g && g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
    await api?.close();
    await as?.close();
    await pg?.stop();
    console.log(`# cluster figures: ${JSON.stringify(figures)}`);
  });

  test('a sign-in started on one gateway completes on another', async () => {
    const [a, b, c] = gws;
    const started = await request(`${a.url}/v1/providers/webas/authorize?scopes=openid,api:read`, { key: keys.alice });
    assert.equal(started.status, 200, started.text);
    const url = new URL(started.json().authorization_url);
    assert.equal(url.searchParams.get('redirect_uri'), `${publicUrl}/oauth/callback`);
    const consent = await completeConsent(url.href, { caFile: pki.ca.cert, fetchCallback: false });
    assert.ok(consent.callbackUrl.startsWith(`${publicUrl}/oauth/callback?`), consent.callbackUrl);
    // The balancer sends the browser's return to another gateway than the one that started it.
    const back = new URL(consent.callbackUrl);
    const page = await request(`${b.url}${back.pathname}${back.search}`);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /connected/);
    // The third sees the connection, and its token is one the AS issued.
    const list = await request(`${c.url}/v1/connections`, { key: keys.alice });
    assert.deepEqual(list.json().map((x) => x.id), ['webas/alice']);
    const token = await request(`${c.url}/v1/connections/webas/alice/token`, { method: 'POST', key: keys.alice });
    assert.equal(token.status, 200, token.text);
    assert.equal((await as.introspect(token.json().access_token)).active, true);
    // A replay on the first is refused: the state was used up in the shared store.
    const replay = await request(`${a.url}${back.pathname}${back.search}`, { headers: { accept: 'application/json' } });
    assert.equal(replay.status, 400);
    assert.equal(replay.json().error.code, 'state_reused');
  });

  test('a refresh storm: 1,000 proxied requests over the three on an expired token, 1 refresh, 0 failed', async () => {
    await sleep(connectedAt.storm + CONNECT_TTL * 1000 + 300 - Date.now());
    const before = refreshes();
    const errorsBefore = refreshErrors();
    const started = Date.now();
    const results = await storm(1000, () => hit(`${publicUrl}/v1/proxy/testas/me`, { key: keys.storm }));
    const ms = Date.now() - started;
    const failed = results.filter((r) => r.status !== 200);
    const byGateway = [0, 1, 2].map((i) => results.filter((r) => gatewayOf(r.upstream) === i).length);
    figures.storm = { requests: 1000, ms, refreshes: refreshes() - before, failed: failed.length, by_gateway: byGateway };
    assert.deepEqual(failed.map((r) => `${r.status} ${r.text}`), [], `${failed.length} of 1000 failed`);
    assert.equal(refreshes() - before, 1, 'refreshes at the AS');
    assert.equal(refreshErrors() - errorsBefore, 0);
    for (const n of byGateway) assert.ok(n >= 200, `the storm was not spread over the three: ${byGateway}`);
    assert.ok(ms < (FRESH_TTL - 10) * 1000, 'the storm outlived the new token (the count would be void)');
  });

  test('a key revoked through one gateway is refused by the others within 1 s', async () => {
    const [a, ...others] = gws;
    const made = await request(`${a.url}/v1/keys`, { method: 'POST', key: keys.admin,
      body: JSON.stringify({ principal: 'storm', label: 'revoked in the test' }) });
    assert.equal(made.status, 201, made.text);
    const { key: secret, id } = made.json();
    // Each other gateway has it in memory: the event loop's (a kept-alive connection that sent it
    // before) and the workers' key cache.
    const agents = others.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const proxied = (g, i) => hit(`${g.url}/v1/proxy/testas/me`, { key: secret, agent: agents[i] });
    const listed = (g) => hit(`${g.url}/v1/connections`, { key: secret });
    for (const [i, g] of others.entries()) {
      for (let n = 0; n < 3; n++) assert.equal((await proxied(g, i)).status, 200);
      assert.equal((await listed(g)).status, 200);
    }
    const revoked = await request(`${a.url}/v1/keys/${id}`, { method: 'DELETE', key: keys.admin });
    assert.equal(revoked.status, 200, revoked.text);
    const since = Date.now();
    const ms = await Promise.all(others.flatMap((g, i) => [
      msUntil(since, 401, () => proxied(g, i)), msUntil(since, 401, () => listed(g))]));
    for (const agent of agents) agent.destroy();
    figures.revoked_key_ms = Math.max(...ms);
    for (const m of ms) assert.ok(m <= 1000, `a revoked key still worked after ${m} ms (${ms})`);
  });

  test('a connection disconnected through one gateway is refused by the others within 1 s', async () => {
    const [a, ...others] = gws;
    const agents = others.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const proxied = (g, i) => hit(`${g.url}/v1/proxy/testas/me`, { key: keys.drop, agent: agents[i] });
    for (const [i, g] of others.entries()) {
      for (let n = 0; n < 3; n++) {
        const r = await proxied(g, i);
        assert.equal(r.status, 200, r.text);
      }
    }
    const gone = await request(`${a.url}/v1/connections/testas/drop`, { method: 'DELETE', key: keys.drop });
    assert.equal(gone.status, 200, gone.text);
    const since = Date.now();
    const ms = await Promise.all(others.map((g, i) => msUntil(since, 404, () => proxied(g, i))));
    for (const agent of agents) agent.destroy();
    figures.disconnected_ms = Math.max(...ms);
    for (const m of ms) assert.ok(m <= 1000, `a disconnected connection still signed requests after ${m} ms (${ms})`);
  });

  test('the gateway holding the refresh lease SIGKILLed mid-storm: the others answer all after one lease at most', async () => {
    await sleep(connectedAt.kill + CONNECT_TTL * 1000 + 300 - Date.now());
    const victim = gws[2];
    const before = refreshes();
    const errorsBefore = refreshErrors();
    const started = Date.now();
    // The storm begins at the victim alone, so that it is the one that takes the refresh lease.
    const atVictim = storm(20, () => hit(`${victim.url}/v1/proxy/testas/me`, { key: keys.kill }));
    // Its refresh has reached the AS (in this process: the AS cannot answer before this turn
    // ends): stop the victim there, holding the lease, and let the rest of the storm come.
    await whenTrue(() => as.tokenRequestsInFlight > 0);
    victim.child.kill('SIGSTOP');
    const rest = storm(1000, () => hit(`${publicUrl}/v1/proxy/testas/me`, { key: keys.kill }));
    await sleep(500);
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    assert.equal((await victim.exited).signal, 'SIGKILL');
    const [lost, results] = await Promise.all([atVictim, rest]);
    const ms = Date.now() - started;
    const victimPort = String(ports[2]);
    // Through nginx, nothing may fail but a request nginx had only the victim to send to.
    const failed = results.filter((r) => r.status !== 200);
    const failedOnVictim = failed.filter((r) => r.upstream === `127.0.0.1:${victimPort}`);
    const retried = results.filter((r) => (r.upstream ?? '').includes(',')).length;
    figures.kill_storm = {
      requests: 1020, ms, kill_after_ms: killedAt - started, refreshes: refreshes() - before,
      failed_elsewhere: failed.length - failedOnVictim.length, failed_in_flight_on_killed: failedOnVictim.length,
      direct_to_killed_failed: lost.filter((r) => r.status !== 200).length, retried_by_nginx: retried,
      answered_by: [0, 1, 2].map((i) => results.filter((r) => gatewayOf(r.upstream?.split(', ').at(-1)) === i).length),
    };
    assert.deepEqual(failed.filter((r) => !failedOnVictim.includes(r)).map((r) => `${r.status} via ${r.upstream}: ${r.text}`), []);
    for (const r of results.filter((x) => x.status === 200)) {
      assert.notEqual(gatewayOf(r.upstream.split(', ').at(-1)), 2, 'the killed gateway answered');
    }
    // One lease: the victim's runs out LEASE_MS after it took it, then one survivor refreshes.
    // (Sooner would mean the victim never held it, and this test would show nothing about it.)
    assert.ok(ms > LEASE_MS - 1000, `the storm took only ${ms} ms: the victim did not hold the lease`);
    assert.ok(ms < LEASE_MS + 10000, `the storm took ${ms} ms`);
    const n = refreshes() - before;
    assert.ok(n >= 1 && n <= 2, `${n} refreshes (the victim's, answered to a dead process, and one after its lease)`);
    assert.equal(refreshErrors() - errorsBefore, 0);
    // The victim comes back on the same store and port and works at once.
    const back = await startGw(2);
    const me = await request(`${back.url}/v1/proxy/testas/me`, { key: keys.kill });
    assert.equal(me.status, 200, me.text);
  });

  test('PostgreSQL restarted during traffic: 503 while it is down, nothing lost after', async () => {
    const run = promisify(execFile);
    // A token fresh for the whole test (FRESH_TTL), so that none is due while the database is down.
    const fresh = await request(`${gws[0].url}/v1/connections/testas/storm/token?force_refresh=true`,
      { method: 'POST', key: keys.storm });
    assert.equal(fresh.status, 200, fresh.text);
    const tokenBefore = fresh.json().access_token;
    const log = [];
    let stop = false;
    // Two clients per gateway: proxied requests and token requests, back to back.
    const client = async (g, kind) => {
      while (!stop) {
        const r = kind === 'proxy'
          ? await hit(`${g.url}/v1/proxy/testas/me`, { key: keys.storm })
          : await hit(`${g.url}/v1/connections/testas/storm/token`, { method: 'POST', key: keys.storm });
        log.push({ ...r, gateway: gws.indexOf(g), kind });
        await sleep(20);
      }
    };
    const clients = gws.flatMap((g) => [client(g, 'proxy'), client(g, 'token')]);
    await sleep(1000);
    const downAt = Date.now();
    await run(pg.ctl, ['stop']);
    const stoppedAt = Date.now();
    await sleep(500);
    // A burst while it is down, 100 requests at each gateway (more than its --engines, 8): each is
    // answered 503 promptly, not after waiting for an engine that waits for the database.
    const burstStarted = Date.now();
    const burst = await storm(300, (i) => hit(`${gws[i % 3].url}/v1/proxy/testas/me`, { key: keys.storm }));
    const burstMs = Date.now() - burstStarted;
    await sleep(Math.max(0, stoppedAt + 3000 - Date.now()));
    const upAt = Date.now();
    await run(pg.ctl, ['start']);
    const startedAt = Date.now();
    await sleep(4000);
    stop = true;
    await Promise.all(clients);

    const unavailable = log.filter((r) => r.status === 503);
    const other = log.filter((r) => r.status !== 200 && r.status !== 503);
    assert.deepEqual(other.map((r) => `${r.status} ${r.kind} on ${r.gateway}: ${r.text}`), [], 'neither 503 nor 200');
    assert.ok(unavailable.length > 0, 'no request saw PostgreSQL down');
    for (const r of unavailable) {
      const error = JSON.parse(r.text).error;
      assert.equal(error.code, 'storage', r.text);
      assert.match(error.message, /PostgreSQL/, r.text);
      assert.match(error.message, /check/i, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1, 'a 503 without Retry-After');
    }
    assert.deepEqual(burst.filter((r) => r.status !== 503).map((r) => `${r.status} ${r.text}`), [], 'the burst while down');
    for (const r of burst) assert.equal(JSON.parse(r.text).error.code, 'storage');
    assert.ok(burstMs < 5000, `300 requests while PostgreSQL was down took ${burstMs} ms to be answered`);
    const slowest = Math.max(...log.map((r) => r.ms));
    // Nothing waits past the store's own bounds (a 2 s reconnect window per attempt).
    assert.ok(slowest < 8000, `a request took ${slowest} ms`);
    const first503 = Math.min(...unavailable.map((r) => r.at + r.ms));
    const last503 = Math.max(...unavailable.map((r) => r.at + r.ms));
    // Every gateway answers again once PostgreSQL is back: the last second of traffic all 200.
    const tail = log.filter((r) => r.at > Date.now() - 1500);
    for (const g of [0, 1, 2]) {
      assert.ok(tail.some((r) => r.gateway === g), `gateway ${g} sent nothing at the end`);
    }
    assert.deepEqual(tail.filter((r) => r.status !== 200).map((r) => `${r.status} on ${r.gateway}`), []);
    const recovered = [0, 1, 2].map((g) => Math.min(...log.filter((r) => r.gateway === g && r.status === 200
      && r.at >= startedAt).map((r) => r.at + r.ms)) - startedAt);
    figures.postgres_restart = {
      requests: log.length, unavailable_503: unavailable.length, burst_300_while_down_ms: burstMs, stop_ms: stoppedAt - downAt, down_ms: startedAt - stoppedAt,
      window_503_ms: last503 - first503, first_503_after_stop_ms: first503 - downAt,
      last_503_after_start_ms: last503 - startedAt, recovered_after_start_ms: recovered, slowest_ms: slowest,
      start_ms: startedAt - upAt,
    };
    // Nothing lost: the gateways are up, the connection is there and its token is the same.
    for (const g of gws) assert.equal(g.child.exitCode, null, 'a gateway exited');
    for (const g of gws) {
      const status = await request(`${g.url}/v1/connections/testas/storm`, { key: keys.storm });
      assert.equal(status.status, 200, status.text);
      assert.equal(status.json().status, 'connected');
    }
    const tokenAfter = (await request(`${gws[1].url}/v1/connections/testas/storm/token`,
      { method: 'POST', key: keys.storm })).json().access_token;
    assert.equal(tokenAfter, tokenBefore);
    assert.equal((await as.introspect(tokenAfter)).active, true);
  });
});
