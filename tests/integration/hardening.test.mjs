// Hardening of both binaries against hostile surroundings:
// - no secret in a core dump: latchkey and latchkeyd set RLIMIT_CORE to 0 and mark themselves not
//   dumpable at start-up unless given --allow-core-dumps;
// - latchkeyd's answers to hostile input: a Transfer-Encoding whose final coding is not chunked
//   (RFC 9112 §6.3), proxied paths that could leave the provider's base path, API-key guessing
//   (throttled per client address), and Host headers that are not the gateway's (DNS rebinding).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startAuthServer } from '../fixtures/auth_server.mjs';
import { makeTestPki } from '../fixtures/test_ca.mjs';
import {
  BIN, Cli, createKeys, raw, request, startGateway, tempDir,
} from './harness.mjs';

const DBIN = process.env.LATCHKEYD_BIN;
const pki = await makeTestPki(tempDir('latchkey-pki-'));

// --- Processes ---------------------------------------------------------------------------------

/// "Max core file size" of a running process: [soft, hard] as /proc shows them ("0", "unlimited", bytes).
function coreLimit(pid) {
  const m = /^Max core file size\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  assert.ok(m, `/proc/${pid}/limits has the core size`);
  return [m[1], m[2]];
}

/// Runs `args` in `cwd` under `prlimit --core=CORE` (prlimit execs it: the pid is the program's),
/// resolving once `ready(stdout, stderr)` is true: { child, exited: Promise<{code, signal}> }.
function startUnder(core, cwd, env, args, ready) {
  // AddressSanitizer (the debug preset) lowers the core limit itself unless told not to; without
  // this the --allow-core-dumps controls would test ASan's default, not latchkey's choice.
  // (Other builds ignore the variable.)
  env = { ...env, ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'disable_coredump=0'].filter(Boolean).join(':') };
  const child = spawn('prlimit', [`--core=${core}`, '--', ...args], { cwd, env });
  child.stdin.end();
  let out = '';
  let err = '';
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const check = () => { if (ready(out, err)) resolve({ child, exited }); };
    child.stdout.on('data', (d) => { out += d; check(); });
    child.stderr.on('data', (d) => { err += d; check(); });
    exited.then(({ code }) => reject(new Error(`${args[0]} exited ${code} before it was ready: ${err}`)));
  });
}

const gatewayReady = (out) => out.includes('\n');
const linkPrinted = (_out, err) => /^\s+https?:\/\/\S+$/m.test(err);

/// The core file names this machine's core_pattern gives in the dumping process's cwd (a prefix
/// to look for), or null when cores go elsewhere (a pipe to a handler, or a path).
function coreFilePrefix() {
  const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (pattern === '' || pattern.startsWith('|') || pattern.includes('/')) return null;
  return pattern.split('%')[0];
}
const CORE_PREFIX = coreFilePrefix();
const noCoreFiles = CORE_PREFIX === null
  ? 'core_pattern pipes cores to a handler or writes them elsewhere; the machine-wide setting is left alone, so '
    + 'only the core size limit can be checked here'
  : false;
const coresIn = (dir) => readdirSync(dir).filter((f) => f.startsWith(CORE_PREFIX));

describe('no secret in a core dump', () => {
  let as; let cli;
  before(async () => {
    as = await startAuthServer({ pki });
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    await cli.addTestProvider(as, { url: 'https://127.0.0.1:9' });
    await createKeys(cli, [['root', 'admin']]);  // the store has its key file and data
  });
  after(async () => { await as?.close(); });

  // The two binaries as they hold the master key: latchkeyd serving, and latchkey blocked in
  // `connect --no-browser` waiting for its callback.
  const binaries = {
    latchkeyd: (extra) => [[DBIN, 'serve', '--listen', '127.0.0.1:0', ...extra], gatewayReady],
    latchkey: (extra) => [[BIN, ...extra, 'connect', 'testas', '--no-browser', '--timeout', '60'], linkPrinted],
  };

  for (const [name, command] of Object.entries(binaries)) {
    test(`${name}: the core size limit is 0, or as inherited with --allow-core-dumps`, async () => {
      const dir = tempDir('latchkey-core-');
      try {
        for (const [extra, want] of [[[], ['0', '0']], [['--allow-core-dumps'], ['1048576', 'unlimited']]]) {
          const [args, ready] = command(extra);
          const p = await startUnder('1048576:unlimited', dir, cli.env, args, ready);
          try {
            assert.deepEqual(coreLimit(p.child.pid), want, `${name} ${extra.join(' ')}`);
          } finally {
            p.child.kill('SIGKILL');
            await p.exited;
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`${name}: SIGABRT leaves no core; with --allow-core-dumps it does`, { skip: noCoreFiles }, async () => {
      for (const [extra, wantCore] of [[[], false], [['--allow-core-dumps'], true]]) {
        const dir = tempDir('latchkey-core-');
        try {
          const [args, ready] = command(extra);
          const p = await startUnder('unlimited', dir, cli.env, args, ready);
          p.child.kill('SIGABRT');
          const { signal } = await p.exited;
          assert.equal(signal, 'SIGABRT', 'it died of the signal');
          const cores = coresIn(dir);
          if (wantCore) {
            assert.equal(cores.length, 1, `the control: ${name} with --allow-core-dumps dumps core (${cores})`);
          } else {
            assert.deepEqual(cores, [], `${name} left a core`);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });  // a core holds the master key
        }
      }
    });
  }
});

// --- The gateway -------------------------------------------------------------------------------

/// A plain-HTTP API on loopback that answers every path and remembers them.
async function startUpstream() {
  const paths = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    paths.push(req.url);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, length: Buffer.concat(chunks).length }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    paths,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/// A client-credentials provider `plain` for `upstream` with its connection a1, through the gateway.
async function addProvider(url, key, as, upstream) {
  const admin = (method, path, body) => request(`${url}${path}`, { method, key, body: JSON.stringify(body) });
  const p = await admin('POST', '/v1/providers', {
    key: 'plain',
    display_name: 'Plain API',
    auth_mode: 'client_credentials',
    token_endpoint: as.endpoints.token,
    api_base_url: `${upstream.url}/base`,
    default_scopes: ['api:read'],
    token_endpoint_auth_method: 'client_secret_basic',
    injection: { hosts: [new URL(upstream.url).origin], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  });
  assert.equal(p.status, 201, p.text);
  const app = await admin('PUT', '/v1/providers/plain/app', { client_id: 'latchkey-m2m', client_secret: 'm2m-secret' });
  assert.equal(app.status, 200, app.text);
  const c = await admin('POST', '/v1/providers/plain/connect', { account: 'a1' });
  assert.equal(c.status, 200, c.text);
}

const metric = async (url, name) => {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec((await request(`${url}/metrics`)).text);
  assert.ok(m, `${name} is exported`);
  return Number(m[1]);
};
const statusLines = (answer) => answer.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];

describe('latchkeyd and hostile input', () => {
  let as; let upstream; let cli; let keys;
  before(async () => {
    as = await startAuthServer({ pki });
    upstream = await startUpstream();
    cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
    keys = await createKeys(cli, [['alice', 'admin'], ['bob', 'user']]);
    const gw = await startGateway(cli);
    await addProvider(gw.url, keys.alice, as, upstream);
    gw.child.kill('SIGKILL');
  });
  after(async () => {
    await upstream?.close();
    await as?.close();
  });

  /// A gateway for one test, stopped after it.
  async function withGateway(extra, fn) {
    upstream.paths.length = 0;
    const gw = await startGateway(cli, extra);
    try {
      await fn(gw);
    } finally {
      gw.child.kill('SIGKILL');
    }
  }
  const host = (gw) => new URL(gw.url).host;
  /// Proxied requests until one is answered by an event loop (its key and signer are in memory).
  async function warm(gw) {
    for (let i = 0; i < 20; i += 1) {
      const before = await metric(gw.url, 'latchkeyd_proxy_loop_requests_total');
      const r = await request(`${gw.url}/v1/proxy/plain/warm`, { key: keys.alice });
      assert.equal(r.status, 200, r.text);
      if (await metric(gw.url, 'latchkeyd_proxy_loop_requests_total') > before) return;
    }
    assert.fail('no proxied request was answered by an event loop');
  }

  test('a Transfer-Encoding that does not end in chunked is 400 and closes; chunked still works', async () => {
    await withGateway([], async (gw) => {
      const send = (target, te, body) => raw(gw.url, `POST ${target} HTTP/1.1\r\nHost: ${host(gw)}\r\n`
        + `Authorization: Bearer ${keys.alice}\r\nTransfer-Encoding: ${te}\r\n\r\n${body}`);
      // A request smuggled in the body: it must never be answered.
      const smuggled = `GET /healthz HTTP/1.1\r\nHost: ${host(gw)}\r\n\r\n`;
      for (const cold of [true, false]) {
        if (!cold) await warm(gw);  // then the event loop sees the head first
        for (const te of ['gzip', 'chunked, gzip', 'identity']) {
          for (const target of ['/v1/proxy/plain/echo', '/v1/providers']) {
            const r = await send(target, te, `5\r\nhello\r\n0\r\n\r\n${smuggled}`);
            const what = `${te} to ${target}${cold ? '' : ' (warm)'}`;
            assert.equal(r.timedOut, false, `${what}: the gateway closed the connection`);
            assert.equal(r.status, 400, `${what}: ${r.answer.slice(0, 300)}`);
            assert.match(r.head, /^connection: close$/im, what);
            assert.match(JSON.parse(r.body).error.message, /Transfer-Encoding.*chunked/, what);
            assert.deepEqual(statusLines(r.answer), ['HTTP/1.1 400'], `${what}: one answer, nothing smuggled`);
          }
        }
        const gz = await send('/v1/proxy/plain/echo', 'gzip, chunked', '5\r\nhello\r\n0\r\n\r\n');
        assert.equal(gz.status, 501, gz.answer);
      }
      assert.ok(!upstream.paths.some((p) => p.includes('echo')), 'none of them went upstream');
      const ok = await raw(gw.url, `POST /v1/proxy/plain/echo HTTP/1.1\r\nHost: ${host(gw)}\r\n`
        + `Authorization: Bearer ${keys.alice}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`
        + '5\r\nhello\r\n0\r\n\r\n');
      assert.equal(ok.status, 200, ok.answer);
      assert.match(ok.body, /"length":5/);
    });
  });

  test('proxied paths with "..;", overlong UTF-8 or encoded NULs are 400, from the loop and the workers', async () => {
    await withGateway([], async (gw) => {
      const bad = [
        ['/v1/proxy/plain/..;/admin', /'\.' or '\.\.'/],
        ['/v1/proxy/plain/a/..;x=1/b', /'\.' or '\.\.'/],
        ['/v1/proxy/plain/%2e%2e;/admin', /'\.' or '\.\.'/],
        ['/v1/proxy/plain/%2E%2E%3B/admin', /'\.' or '\.\.'/],
        ['/v1/proxy/plain/%c0%ae%c0%ae/admin', /UTF-8/],
        ['/v1/proxy/plain/%c0%ae/x', /UTF-8/],
        ['/v1/proxy/plain/a%00.json', /NUL/],
        ['/v1/proxy/plain/%00', /NUL/],
        ['/v1/proxy/plain/%2500', /NUL/],
      ];
      for (const cold of [true, false]) {
        if (!cold) await warm(gw);
        for (const [path, why] of bad) {
          const r = await request(gw.url, { key: keys.alice, path });
          assert.equal(r.status, 400, `${path}${cold ? '' : ' (warm)'}: ${r.text}`);
          assert.equal(r.json().error.code, 'invalid_request', path);
          assert.match(r.json().error.message, why, path);
        }
      }
      const seen = upstream.paths.filter((p) => !p.startsWith('/base/warm'));
      assert.deepEqual(seen, [], 'none went upstream');
      const fine = await request(gw.url, { key: keys.alice, path: '/v1/proxy/plain/caf%C3%A9/a;b/...' });
      assert.equal(fine.status, 200, fine.text);
      assert.equal(JSON.parse(fine.text).path, '/base/caf%C3%A9/a;b/...');
    });
  });

  test('20 unknown keys a minute from one address, then 429 with Retry-After, a valid key too', async () => {
    await withGateway([], async (gw) => {
      await warm(gw);  // alice's key and signer are in the loop's memory
      // A second loopback source address stands for another client.
      const from = (address, path, key) => request(`${gw.url}${path}`, { key, localAddress: address });
      const wrong = `lk_${'x'.repeat(43)}`;
      for (let i = 1; i <= 20; i += 1) {
        const r = await from('127.0.0.1', '/v1/providers', wrong);
        assert.equal(r.status, 401, `attempt ${i}: ${r.text}`);
      }
      const throttled = await from('127.0.0.1', '/v1/providers', wrong);
      assert.equal(throttled.status, 429, throttled.text);
      const after = Number(throttled.headers['retry-after']);
      assert.ok(after >= 1 && after <= 60, `Retry-After ${throttled.headers['retry-after']}`);
      assert.match(JSON.parse(throttled.text).error.message, /too many unknown API keys/);
      // A valid key from that address is refused too — else a right guess would still be recognized —
      // also on the proxy route the event loop would answer from memory.
      for (const path of ['/v1/providers', '/v1/proxy/plain/me']) {
        const good = await from('127.0.0.1', path, keys.alice);
        assert.equal(good.status, 429, `${path}: ${good.text}`);
        assert.ok(good.headers['retry-after'], path);
      }
      // Another client address is not throttled.
      assert.equal((await from('127.0.0.2', '/v1/providers', keys.alice)).status, 200);
      assert.equal((await from('127.0.0.2', '/v1/proxy/plain/me', keys.alice)).status, 200);
      assert.equal((await from('127.0.0.2', '/v1/providers', wrong)).status, 401);
      assert.equal(await metric(gw.url, 'latchkeyd_api_key_failures_total'), 21);
      assert.equal(await metric(gw.url, 'latchkeyd_api_key_throttled_total'), 3);
    });
  });

  test('/healthz and /metrics refuse a Host that is not the gateway\'s (DNS rebinding)', async () => {
    await withGateway([], async (gw) => {
      const { port } = new URL(gw.url);
      for (const path of ['/healthz', '/metrics']) {
        for (const h of ['evil.example', `evil.example:${port}`, '127.0.0.1:1', '']) {
          const r = await raw(gw.url, `GET ${path} HTTP/1.1\r\n${h ? `Host: ${h}\r\n` : ''}Connection: close\r\n\r\n`);
          assert.equal(r.status, 421, `${path} with Host '${h}': ${r.answer.slice(0, 300)}`);
          assert.match(JSON.parse(r.body).error.message, /Host header does not name this gateway/);
        }
        for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
          const r = await raw(gw.url, `GET ${path} HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`);
          assert.equal(r.status, 200, `${path} with Host '${h}': ${r.answer.slice(0, 300)}`);
        }
      }
    });
  });

  test('--metrics-key-required: /metrics needs an admin key', async () => {
    await withGateway(['--metrics-key-required'], async (gw) => {
      const none = await request(`${gw.url}/metrics`);
      assert.equal(none.status, 401, none.text);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.equal((await request(`${gw.url}/metrics`, { key: keys.bob })).status, 403);
      const admin = await request(`${gw.url}/metrics`, { key: keys.alice });
      assert.equal(admin.status, 200, admin.text);
      assert.match(admin.text, /^latchkeyd_api_key_failures_total 0$/m);
      assert.equal((await request(`${gw.url}/healthz`)).status, 200, '/healthz still needs none');
      const evil = await request(`${gw.url}/metrics`, { key: keys.alice, headers: { host: 'evil.example' } });
      assert.equal(evil.status, 421);
    });
  });
});
