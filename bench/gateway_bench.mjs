// latchkeyd's performance figures (bench/README.md, "Gateway"), all on loopback in one run:
//  1. proxy throughput and p99: latchkeyd's proxy route (token injected) vs nginx `proxy_pass`
//     with a static Authorization header, both to the same static nginx upstream, under wrk,
//     and latchkeyd's CPU time (user and system) per proxied request;
//  2. the token endpoint for a valid stored token, under wrk;
//  3. a refresh storm: concurrent proxied requests on an expired token → exactly one refresh
//     at the authorization server and no failed request;
//  4. RSS with many stored connections and 100 idle keep-alive clients.
//
//   node bench/gateway_bench.mjs [--quick] [--connections N] [--duration S] [--rounds N] [LATCHKEYD_BIN]
//
// The binary: the argument, else $LATCHKEYD_BIN, else build/native/native/gateway/latchkeyd.
// Exits 1 when a correctness check fails (storm, wrk errors, a request that should succeed);
// the speed targets are only reported, as the machine is shared.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startAuthServer } from '../tests/fixtures/auth_server.mjs';
import { freePort } from '../tests/fixtures/http_util.mjs';
import { startNginx as startNginxIn } from '../tests/fixtures/nginx.mjs';
import { makeTestPki } from '../tests/fixtures/test_ca.mjs';
import { median, rssKb, run as runProgram, wrk as runWrk } from './wrk.mjs';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const QUICK = opts.quick;
const CONNECTIONS = Number(opts.connections ?? 16);                // wrk -c
const DURATION = Number(opts.duration ?? (QUICK ? 2 : 6));         // wrk -d, seconds
// The proxy comparison alternates latchkeyd and nginx this many times (the order flips each
// round), so a change in the shared machine's load hits both; the figures are the medians.
const ROUNDS = Number(opts.rounds ?? (QUICK ? 1 : 5));
const SEEDED = QUICK ? 500 : 10_000;                               // stored connections for the RSS figure
const STORM = QUICK ? 200 : 1000;                                  // concurrent requests on an expired token
const IDLE_CLIENTS = 100;
const BIN = resolve(positionals[0] ?? process.env.LATCHKEYD_BIN ?? 'build/native/native/gateway/latchkeyd');
const UPSTREAM_BODY = '{"ok":true,"items":[1,2,3]}';
const STATIC_TOKEN = 'static-bench-token';

// ---------------------------------------------------------------------------------------------
// Everything started here is stopped at exit, also when a step throws or we are interrupted.

const children = new Map();  // child → the signal that stops it
const dirs = [];
let authServers = [];

function cleanup() {
  for (const [child, signal] of children) child.kill(signal);
  children.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function track(child, signal = 'SIGKILL') {
  children.set(child, signal);
  child.on('exit', () => children.delete(child));
  return child;
}

/// Runs a program to completion: its stdout, or an error with its stderr (bench/wrk.mjs).
function run(cmd, args, env) {
  return runProgram(cmd, args, { env, track });
}

/// One plain-HTTP request; by default on its own connection (`Connection: close`).
function request(url, { method = 'GET', key, body, agent = false } = {}) {
  return new Promise((ok, fail) => {
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode, text }));
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function expectOk(what, response) {
  const r = await response;
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r.text ? JSON.parse(r.text) : null;
}

/// A process's CPU time so far (all its threads), in µs of user and of system time.
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // from field 3 (state) on
  return { user: Number(fields[11]) * 1e6 / CLK_TCK, sys: Number(fields[12]) * 1e6 / CLK_TCK };
}


// ---------------------------------------------------------------------------------------------
// nginx: the static upstream both proxies call, and the comparison proxy.

async function startNginx(dir) {
  const upstreamPort = await freePort();
  const proxyPort = await freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  // worker_processes auto (one per core, nginx's own advice): the baseline at its best. Both
  // server blocks share the workers; see bench/README.md.
  const child = await startNginxIn(dir, {
    http: `  keepalive_requests 1000000;
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;  # pooled keep-alive, as latchkeyd's HTTP client does
  }
  server {
    listen 127.0.0.1:${upstreamPort};
    default_type application/json;
    location / { return 200 '${UPSTREAM_BODY}'; }
  }
  server {
    listen 127.0.0.1:${proxyPort};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${STATIC_TOKEN}";
    }
  }`,
    ready: async () => (await request(upstream)).status === 200,
  });
  track(child, 'SIGTERM');  // SIGKILL would leave its workers running
  return { upstream, proxy: `http://127.0.0.1:${proxyPort}` };
}

// ---------------------------------------------------------------------------------------------
// latchkeyd

async function startGateway(env, logFile, engines) {
  // The access log (a line per request) goes to a file, not to a pipe this process would have to
  // drain while wrk runs, on the same two cores.
  const log = openSync(logFile, 'a');
  const child = track(spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--engines', String(engines)],
    { env, stdio: ['ignore', 'pipe', log] }));
  const url = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok(`http://${JSON.parse(out.split('\n')[0]).listening}`);
    });
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`latchkeyd exited ${code}: ${readFileSync(logFile, 'utf8').slice(-2000)}`)));
  });
  return { child, url };
}

/// A client-credentials provider on the fixture AS whose API is the nginx upstream.
function providerDef(key, as, apiBase, extra = {}) {
  return {
    key,
    display_name: `Bench (${key})`,
    auth_mode: 'client_credentials',
    token_endpoint: as.endpoints.token,
    api_base_url: apiBase,
    default_scopes: ['api:read'],
    token_endpoint_auth_method: 'client_secret_basic',
    expiry_buffer_seconds: 0,
    injection: { hosts: [new URL(apiBase).origin], header: 'Authorization', prefix: 'Bearer ', query_param: null },
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// wrk

/// wrk against `url` at this run's connections and duration (bench/wrk.mjs).
function wrk(dir, name, url, { method = 'GET', key } = {}) {
  return runWrk(dir, name, url, { method, key, connections: CONNECTIONS, duration: DURATION, track });
}

// ---------------------------------------------------------------------------------------------

const failures = [];
function check(ok, message) {
  if (!ok) failures.push(message);
}

async function main() {
  const dir = tempDir('latchkey-gwbench-');
  const pki = await makeTestPki(join(dir, 'pki'));
  // The storm's connection is made at `shortAs` (1 s tokens), so it has expired by the storm;
  // its refreshes go to `as` (the provider's refresh_endpoint), whose hour-long token outlives
  // the storm however slow the machine: any second refresh is then a real single-flight bug.
  const as = await startAuthServer({ pki });
  const shortAs = await startAuthServer({ pki, accessTokenTtl: 1 });
  authServers = [as, shortAs];
  const nginx = await startNginx(join(dir, 'nginx'));

  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    LATCHKEY_STORE: join(dir, 'store.db'),
    LATCHKEY_CA_FILE: pki.ca.cert,
  };
  const admin = (await run(BIN, ['keys', 'create', '--principal', 'bench', '--role', 'admin'], env)).trim();
  // As many engines as wrk connections, so no request waits for one: nginx serves all at once too.
  const gw = await startGateway(env, join(dir, 'latchkeyd.log'), Math.max(8, CONNECTIONS));
  // Kept-alive connections for the set-up and the 10,000 connects: no pile of TIME_WAIT sockets.
  const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const api = (method, path, body) => request(`${gw.url}${path}`, { method, key: admin, body, agent: apiAgent });
  const m2m = { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' };

  const connected = {};
  for (const def of [providerDef('bench', as, nginx.upstream),
    providerDef('storm', shortAs, nginx.upstream, { refresh_endpoint: as.endpoints.token })]) {
    await expectOk(`register ${def.key}`, api('POST', '/v1/providers', def));
    await expectOk(`app ${def.key}`, api('PUT', `/v1/providers/${def.key}/app`, m2m));
    connected[def.key] = await expectOk(`connect ${def.key}`,
      api('POST', `/v1/providers/${def.key}/connect`, { account: def.key }));
  }
  const proxied = await expectOk('a proxied request', api('GET', '/v1/proxy/bench/items'));
  check(JSON.stringify(proxied) === UPSTREAM_BODY, 'the proxy did not return the upstream body');
  const rss0 = rssKb(gw.child.pid);

  // 1–2. wrk, one target after the other.
  const wrkDir = join(dir, 'wrk');
  mkdirSync(wrkDir);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    // latchkeyd's CPU time per proxied request, from /proc across the round (tick resolution:
    // 10 ms against the ~1 s of CPU a round uses).
    const runGw = async () => {
      const before = cpuUs(gw.child.pid);
      const r = await wrk(wrkDir, 'proxy', `${gw.url}/v1/proxy/bench/items`, { key: admin });
      const after = cpuUs(gw.child.pid);
      r.user_us_per_request = (after.user - before.user) / r.requests;
      r.sys_us_per_request = (after.sys - before.sys) / r.requests;
      return r;
    };
    const runNg = () => wrk(wrkDir, 'nginx', `${nginx.proxy}/items`, { key: admin });
    const round = {};
    if (i % 2 === 0) {
      round.gw = await runGw();
      round.ng = await runNg();
    } else {
      round.ng = await runNg();
      round.gw = await runGw();
    }
    rounds.push(round);
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const combine = (rs) => ({
    rps: median(rs.map((r) => r.rps)),
    p99_ms: median(rs.map((r) => r.p99_ms)),
    requests: sum(rs.map((r) => r.requests)),
    non2xx: sum(rs.map((r) => r.non2xx)),
    socket_errors: sum(rs.map((r) => r.socket_errors)),
  });
  const gwProxy = {
    ...combine(rounds.map((r) => r.gw)),
    user_us_per_request: median(rounds.map((r) => r.gw.user_us_per_request)),
    sys_us_per_request: median(rounds.map((r) => r.gw.sys_us_per_request)),
  };
  const ngProxy = combine(rounds.map((r) => r.ng));
  const token = await wrk(wrkDir, 'token', `${gw.url}/v1/connections/bench/bench/token`, { method: 'POST', key: admin });
  for (const [name, r] of [['latchkeyd proxy', gwProxy], ['nginx proxy', ngProxy], ['token endpoint', token]]) {
    check(r.requests > 0 && Number.isFinite(r.p99_ms) && r.non2xx === 0 && r.socket_errors === 0,
      `${name}: ${r.requests} requests, p99 ${r.p99_ms} ms, ${r.non2xx} non-2xx, ${r.socket_errors} socket errors`);
  }

  // 3. The storm: every request on its own connection (Connection: close), all sent at once.
  const expiresIn = connected.storm.expires_at_ms - Date.now();
  if (expiresIn >= 0) await new Promise((r) => setTimeout(r, expiresIn + 100));
  as.resetStats();
  shortAs.resetStats();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: STORM },
    () => request(`${gw.url}/v1/proxy/storm/items`, { key: admin, agent })));
  const stormMs = performance.now() - started;
  const stormFailed = results.filter((r) => r.status === 'rejected' || r.value.status !== 200).length;
  const tokenRequests = (s) => Object.values(s.token).reduce((a, b) => a + b, 0);
  const refreshes = tokenRequests(as.stats) + tokenRequests(shortAs.stats);
  check(refreshes === 1, `storm: ${refreshes} token requests at the AS, expected exactly 1`);
  check(stormFailed === 0, `storm: ${stormFailed} of ${STORM} requests failed`);

  // 4. Memory: stored connections through the public connect route (a few at a time, as each
  // is a token request at the AS), then idle keep-alive clients that each sent one request.
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < SEEDED) {
      const i = next++;
      await expectOk(`seed ${i}`, api('POST', '/v1/providers/bench/connect', { account: `seed-${i}` }));
    }
  }));
  const rssSeeded = rssKb(gw.child.pid);
  const { port } = new URL(gw.url);
  const sockets = [];
  const answered = await Promise.all(Array.from({ length: IDLE_CLIENTS }, () => new Promise((ok) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n'));
    sockets.push(s);
    s.on('error', () => ok(false));
    s.once('data', () => ok(true));
    setTimeout(() => ok(false), 3000);  // a client that is not served by now is stalled
  })));
  const idleAnswered = answered.filter(Boolean).length;
  check(idleAnswered === IDLE_CLIENTS, `${IDLE_CLIENTS - idleAnswered} of ${IDLE_CLIENTS} idle clients were not answered within 3 s`);
  const rssIdle = rssKb(gw.child.pid);
  for (const s of sockets) s.destroy();

  const ratio = median(rounds.map((r) => r.gw.rps / r.ng.rps));
  const p99Gap = median(rounds.map((r) => r.gw.p99_ms - r.ng.p99_ms));
  const mark = (ok) => (ok ? '✔' : '✘');
  const f = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  console.log(`latchkeyd gateway bench (${QUICK ? 'quick' : 'full'}): wrk -t2 -c${CONNECTIONS} -d${DURATION}s, `
    + `proxy: medians of ${ROUNDS} alternating round${ROUNDS > 1 ? 's' : ''}, ${BIN}`);
  console.table({
    'latchkeyd proxy': { 'req/s': f(gwProxy.rps), 'p99 ms': f(gwProxy.p99_ms, 2), target: '' },
    'nginx proxy_pass': { 'req/s': f(ngProxy.rps), 'p99 ms': f(ngProxy.p99_ms, 2), target: '' },
    'latchkeyd / nginx': { 'req/s': `${ratio.toPrecision(2)}×`, 'p99 ms': `${p99Gap >= 0 ? '+' : ''}${p99Gap.toFixed(2)}`,
      target: `≥ 0.8× ${mark(ratio >= 0.8)}, p99 ≤ +1 ms ${mark(p99Gap <= 1)}` },
    'token endpoint': { 'req/s': f(token.rps), 'p99 ms': f(token.p99_ms, 2), target: `≥ 20k/s ${mark(token.rps >= 20_000)}` },
  });
  console.log(`latchkeyd CPU per proxied request (median of the rounds): ${gwProxy.user_us_per_request.toFixed(1)} µs `
    + `user, ${gwProxy.sys_us_per_request.toFixed(1)} µs system`);
  console.log(`refresh storm: ${STORM} concurrent proxied requests on an expired token in ${f(stormMs)} ms → `
    + `${refreshes} refresh at the AS, ${stormFailed} failed ${mark(refreshes === 1 && stormFailed === 0)}`);
  console.log(`memory (VmRSS): ${f(rss0)} kB at start, ${f(rssSeeded)} kB with ${f(SEEDED)} more stored connections, `
    + `${f(rssIdle)} kB with ${IDLE_CLIENTS} idle keep-alive clients (${idleAnswered} of them answered within 3 s)`);
  for (const message of failures) console.log(`FAILED: ${message}`);
  console.log(JSON.stringify({
    mode: QUICK ? 'quick' : 'full',
    wrk: { threads: 2, connections: CONNECTIONS, duration_s: DURATION },
    proxy: {
      latchkeyd: gwProxy, nginx: ngProxy, ratio, p99_gap_ms: p99Gap,
      rounds: rounds.map((r) => ({ latchkeyd_rps: r.gw.rps, nginx_rps: r.ng.rps, latchkeyd_p99_ms: r.gw.p99_ms,
        nginx_p99_ms: r.ng.p99_ms, latchkeyd_user_us_per_request: r.gw.user_us_per_request,
        latchkeyd_sys_us_per_request: r.gw.sys_us_per_request })),
    },
    token_endpoint: token,
    storm: { requests: STORM, failed: stormFailed, refreshes, ms: Math.round(stormMs) },
    memory_kb: { start: rss0, seeded: rssSeeded, with_idle_clients: rssIdle, seeded_connections: SEEDED,
      idle_clients: IDLE_CLIENTS, idle_clients_answered: idleAnswered },
    ok: failures.length === 0,
  }));
  return failures.length === 0;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  console.error(`gateway_bench: ${err.stack ?? err}`);
} finally {
  cleanup();
  await Promise.all(authServers.map((s) => s.close()));
}
process.exit(ok ? 0 : 1);
