// latchkeyd on PostgreSQL beside SQLite, measured side by side in one run (bench/README.md,
// "PostgreSQL"):
//  1. proxy req/s and p99 on one gateway, PostgreSQL store vs SQLite (alternating rounds; goal:
//     PostgreSQL ≥ 0.9× SQLite, since the signer cache keeps the store off the hot path);
//  2. the token endpoint (a valid stored token) on each;
//  3. three gateways on one PostgreSQL, three wrk at once (reported, not judged: 2 cores);
//  4. a refresh storm spread over the three: concurrent proxied requests on an expired token →
//     refreshes at the authorization server, failures, time; then how soon the other two refuse a
//     key revoked and a connection disconnected through one;
//  5. many stored connections (PostgreSQL): list and get latency, and each gateway's memory.
//
//   node bench/store_bench.mjs [--quick] [--duration S] [--rounds N] [--seed N] [--storm N] [LATCHKEYD_BIN]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startAuthServer } from '../tests/fixtures/auth_server.mjs';
import { freePort } from '../tests/fixtures/http_util.mjs';
import { startNginx } from '../tests/fixtures/nginx.mjs';
import { startPostgres } from '../tests/fixtures/postgres.mjs';
import { makeTestPki } from '../tests/fixtures/test_ca.mjs';
import { median, rssKb, run, wrk } from './wrk.mjs';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string' },
    storm: { type: 'string' },
  },
});
const QUICK = opts.quick;
const DURATION = Number(opts.duration ?? (QUICK ? 2 : 5));
const ROUNDS = Number(opts.rounds ?? (QUICK ? 1 : 3));
const SEED = Number(opts.seed ?? (QUICK ? 300 : 100_000));
const STORM = Number(opts.storm ?? (QUICK ? 200 : 1000));
const BIN = resolve(positionals[0] ?? process.env.LATCHKEYD_BIN ?? 'build/native/native/gateway/latchkeyd');
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

const children = [];
const dir = mkdtempSync(join(tmpdir(), 'latchkey-storebench-'));
const track = (child, signal = 'SIGKILL') => { children.push([child, signal]); return child; };
process.on('exit', () => {
  for (const [child, signal] of children) child.kill(signal);
  rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function request(url, { method = 'GET', key, body, agent = false } = {}) {
  return new Promise((ok, fail) => {
    const headers = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode, text, json: () => JSON.parse(text) }));
    });
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function startGateway(store, extra = []) {
  const env = { PATH: process.env.PATH, HOME: dir, LATCHKEY_STORE: store, LATCHKEY_MASTER_KEY: MASTER_KEY,
    LATCHKEY_CA_FILE: process.env.LATCHKEY_CA_FILE };
  const child = track(spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--engines', '16', ...extra], {
    env, stdio: ['ignore', 'pipe', 'ignore'] }));
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok({ url: `http://${JSON.parse(out.split('\n')[0]).listening}`, child, env });
    });
    child.on('close', (code) => fail(new Error(`latchkeyd exited ${code} on ${store}`)));
  });
}

async function expectOk(what, promise) {
  const r = await promise;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r;
}

/// A client-credentials provider for the API at `apiBase`, its app, and connection `account`.
async function addProvider(gw, key, key_, tokenEndpoint, apiBase, accounts = ['a1']) {
  const call = (method, path, body) => request(`${gw.url}${path}`, { method, key, body });
  await expectOk('register', call('POST', '/v1/providers', {
    key: key_, display_name: `Bench (${key_})`, auth_mode: 'client_credentials', token_endpoint: tokenEndpoint,
    api_base_url: apiBase, default_scopes: ['api:read'], token_endpoint_auth_method: 'client_secret_basic',
    expiry_buffer_seconds: 0,
    injection: { hosts: [new URL(apiBase).origin], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  }));
  await expectOk('app', call('PUT', `/v1/providers/${key_}/app`, { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' }));
  for (const account of accounts) await expectOk('connect', call('POST', `/v1/providers/${key_}/connect`, { account }));
}

const tokenRequests = (as) => Object.values(as.stats.token).reduce((a, b) => a + b, 0);

async function main() {
  const pki = await makeTestPki(join(dir, 'pki'));
  process.env.LATCHKEY_CA_FILE = pki.ca.cert;
  const as = await startAuthServer({ pki });
  const pg = await startPostgres({ durable: true });
  const upstreamPort = await freePort();
  track(await startNginx(join(dir, 'nginx'), {
    http: `  server { listen 127.0.0.1:${upstreamPort}; default_type application/json; location / { return 200 '{"ok":true}'; } }`,
    ready: async () => (await request(`http://127.0.0.1:${upstreamPort}/`)).status === 200,
  }), 'SIGTERM');
  const upstream = `http://127.0.0.1:${upstreamPort}`;

  const stores = { SQLite: join(dir, 'store.db'), PostgreSQL: pg.uri };
  const gws = {};
  const keys = {};
  for (const [name, store] of Object.entries(stores)) {
    keys[name] = (await run(BIN, ['keys', 'create', '--principal', 'bench', '--role', 'admin'],
      { env: { PATH: process.env.PATH, LATCHKEY_STORE: store, LATCHKEY_MASTER_KEY: MASTER_KEY } })).trim();
    gws[name] = await startGateway(store);
    await addProvider(gws[name], keys[name], 'bench', as.endpoints.token, upstream);
  }

  // 1 and 2: one gateway each, alternating rounds.
  const results = {};
  const rounds = { proxy: { SQLite: [], PostgreSQL: [] }, token: { SQLite: [], PostgreSQL: [] } };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ['PostgreSQL', 'SQLite'] : ['SQLite', 'PostgreSQL'];
    for (const name of order) {
      rounds.proxy[name].push(await wrk(dir, `proxy-${name}-${r}`, `${gws[name].url}/v1/proxy/bench/items`,
        { key: keys[name], duration: DURATION, track }));
      rounds.token[name].push(await wrk(dir, `token-${name}-${r}`, `${gws[name].url}/v1/connections/bench/a1/token`,
        { method: 'POST', key: keys[name], duration: DURATION, track }));
    }
  }
  for (const [what, byStore] of Object.entries(rounds)) {
    for (const [name, rs] of Object.entries(byStore)) {
      const bad = rs.reduce((a, x) => a + x.non2xx + x.socket_errors, 0);
      if (bad) throw new Error(`${what} on ${name}: ${bad} failed requests`);
      results[`${what}, one gateway: ${name}`] = { 'req/s': Math.round(median(rs.map((x) => x.rps))),
        'p99 ms': Number(median(rs.map((x) => x.p99_ms)).toFixed(2)) };
    }
  }
  const ratio = results['proxy, one gateway: PostgreSQL']['req/s'] / results['proxy, one gateway: SQLite']['req/s'];

  // 3: two more gateways on the same PostgreSQL; three wrk at once, one per gateway.
  const cluster = [gws.PostgreSQL, await startGateway(pg.uri), await startGateway(pg.uri)];
  const together = await Promise.all(cluster.map((g, i) => wrk(dir, `three-${i}`, `${g.url}/v1/proxy/bench/items`,
    { key: keys.PostgreSQL, threads: 1, connections: 6, duration: DURATION, track })));
  results['proxy, three gateways on PostgreSQL (sum)'] = {
    'req/s': Math.round(together.reduce((a, x) => a + x.rps, 0)),
    'p99 ms': Number(Math.max(...together.map((x) => x.p99_ms)).toFixed(2)) };

  // 4: a storm over the three on an expired token: its connection is made with 1 s tokens.
  as.setAccessTokenTtl(1);
  await addProvider(cluster[0], keys.PostgreSQL, 'storm', as.endpoints.token, upstream, ['s1']);
  as.setAccessTokenTtl(3600);  // the refreshed token outlives the storm however slow the machine
  await new Promise((r) => setTimeout(r, 1500));
  const agents = cluster.map(() => new http.Agent({ keepAlive: true, maxSockets: 64 }));
  const before = tokenRequests(as);
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: STORM }, (_, i) => request(
    `${cluster[i % 3].url}/v1/proxy/storm/items`, { key: keys.PostgreSQL, agent: agents[i % 3] })
    .then((r) => r.status, () => 0)));
  const stormMs = performance.now() - t0;
  const refreshes = tokenRequests(as) - before;
  const failed = answers.filter((s) => s !== 200).length;
  for (const a of agents) a.destroy();

  // 4b: a change made through one gateway, seen by the other two (LISTEN/NOTIFY): a key revoked,
  // then a connection disconnected; each other gateway polled until it refuses (ms after the change).
  const untilRefused = async (url, key, ok) => {
    const t0 = performance.now();
    for (;;) {
      const r = await request(url, { key, method: 'POST' });
      if (r.status !== ok) return performance.now() - t0;
      if (performance.now() - t0 > 5000) throw new Error(`${url} still answered ${ok} after 5 s`);
    }
  };
  const doomed = (await expectOk('key', request(`${cluster[0].url}/v1/keys`,
    { method: 'POST', key: keys.PostgreSQL, body: { principal: 'bench', role: 'admin' } }))).json();
  for (const g of cluster) await expectOk('warm', request(`${g.url}/v1/connections/bench/a1/token`, { method: 'POST', key: doomed.key }));
  await expectOk('revoke', request(`${cluster[0].url}/v1/keys/${doomed.id}`, { method: 'DELETE', key: keys.PostgreSQL }));
  const revokedMs = await Promise.all(cluster.slice(1).map((g) => untilRefused(`${g.url}/v1/connections/bench/a1/token`, doomed.key, 200)));
  await addProvider(cluster[0], keys.PostgreSQL, 'gone', as.endpoints.token, upstream, ['g1']);
  for (const g of cluster) await expectOk('warm', request(`${g.url}/v1/proxy/gone/items`, { key: keys.PostgreSQL }));
  await expectOk('disconnect', request(`${cluster[0].url}/v1/connections/gone/g1`, { method: 'DELETE', key: keys.PostgreSQL }));
  const disconnectedMs = await Promise.all(cluster.slice(1).map(async (g) => {
    const t0 = performance.now();
    while ((await request(`${g.url}/v1/proxy/gone/items`, { key: keys.PostgreSQL })).status === 200) {
      if (performance.now() - t0 > 5000) throw new Error(`${g.url} still proxied for a disconnected connection after 5 s`);
    }
    return performance.now() - t0;
  }));

  // 5: SEED more connections (client credentials against the fixture AS), then list and get latency.
  await addProvider(cluster[0], keys.PostgreSQL, 'seeded', as.endpoints.token, upstream, []);
  const seedAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let next = 0;
  const seedStart = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < SEED) {
      const i = next++;
      await expectOk(`seed ${i}`, request(`${cluster[i % 3].url}/v1/providers/seeded/connect`,
        { method: 'POST', key: keys.PostgreSQL, body: { account: `s${i}` }, agent: seedAgent }));
    }
  }));
  const seedS = (performance.now() - seedStart) / 1000;
  seedAgent.destroy();
  const timeIt = async (url, n) => {
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await expectOk('timed request', request(url(i), { key: keys.PostgreSQL }));
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return { p50: ms[Math.floor(n / 2)], p99: ms[Math.min(n - 1, Math.floor(n * 0.99))] };
  };
  const list = await timeIt(() => `${cluster[0].url}/v1/connections`, 5);
  const listed = (await expectOk('list', request(`${cluster[0].url}/v1/connections`, { key: keys.PostgreSQL }))).json().length;
  const get = await timeIt((i) => `${cluster[i % 3].url}/v1/connections/seeded/s${(i * 7919) % SEED}`, 300);
  const rss = cluster.map((g) => rssKb(g.child.pid));

  console.table(results);
  console.log(`proxy on PostgreSQL / on SQLite: ${ratio.toFixed(2)}× (goal ≥ 0.9)`);
  console.log(`storm over three gateways: ${STORM} requests, ${refreshes} refresh(es), ${failed} failed, ${stormMs.toFixed(0)} ms`);
  console.log(`seen by the other two gateways: a revoked key refused after ${revokedMs.map((m) => m.toFixed(1)).join(', ')} ms, ` +
    `a disconnected connection after ${disconnectedMs.map((m) => m.toFixed(1)).join(', ')} ms`);
  console.log(`${SEED} connections seeded in ${seedS.toFixed(1)} s; GET /v1/connections on one gateway (all ${listed}) p50 ${list.p50.toFixed(1)} ms, ` +
    `max of 5 ${list.p99.toFixed(1)} ms; GET one p50 ${get.p50.toFixed(2)} ms, p99 ${get.p99.toFixed(2)} ms; ` +
    `VmRSS of the three: ${rss.join(', ')} kB`);
  console.log(JSON.stringify({ duration_s: DURATION, rounds: ROUNDS, results, ratio,
    storm: { requests: STORM, refreshes, failed, ms: Math.round(stormMs) },
    propagation_ms: { revoked_key: revokedMs, disconnected: disconnectedMs },
    seeded: { connections: SEED, listed, seconds: seedS, list_ms: list, get_ms: get, rss_kb: rss } }));
  if (refreshes !== 1 || failed !== 0) process.exitCode = 1;
  await as.close();
}

main().then(() => process.exit(process.exitCode ?? 0), (e) => { console.error(e); process.exit(1); });
