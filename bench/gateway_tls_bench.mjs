// Where latchkeyd's https ends, measured side by side in one run (bench/README.md, "https"):
//   latchkeyd terminating TLS itself (--tls-cert/--tls-key: mbedTLS, a thread per connection)
//   vs Debian's nginx terminating TLS in front of a plain latchkeyd (--public-url, --trusted-proxy),
//   with plain http to latchkeyd as the floor. Two loads under wrk on GET /v1/whoami (a keyed
//   route, answered from the key cache):
//   - keep-alive: CONNECTIONS clients reusing their connections (req/s, p99);
//   - new connections: every request on a fresh connection, so a TLS handshake each (req/s, p99).
// The rounds alternate the three (order rotating), and the figures are the medians.
//
//   node bench/gateway_tls_bench.mjs [--quick] [--connections N] [--duration S] [--rounds N] [LATCHKEYD_BIN]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { freePort, readCa } from '../tests/fixtures/http_util.mjs';
import { gatewayLocation, startNginx } from '../tests/fixtures/nginx.mjs';
import { makeTestPki } from '../tests/fixtures/test_ca.mjs';
import { median, run, wrk } from './wrk.mjs';

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
const CONNECTIONS = Number(opts.connections ?? 16);
const DURATION = Number(opts.duration ?? (QUICK ? 2 : 5));
const ROUNDS = Number(opts.rounds ?? (QUICK ? 1 : 3));
const BIN = resolve(positionals[0] ?? process.env.LATCHKEYD_BIN ?? 'build/native/native/gateway/latchkeyd');

const children = [];
const dir = mkdtempSync(join(tmpdir(), 'latchkey-tlsbench-'));
function cleanup() {
  for (const [child, signal] of children.splice(0)) child.kill(signal);
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/// latchkeyd serve with `args`; resolves with the address it listens on.
function startGateway(args, env) {
  const child = spawn(BIN, ['serve', ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push([child, 'SIGKILL']);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) ok(JSON.parse(out.split('\n')[0]).listening);
    });
    child.on('close', (code) => fail(new Error(`latchkeyd exited ${code}`)));
  });
}

/// nginx terminating TLS 1.2 on `port` in front of latchkeyd at `upstream`, with a keep-alive pool to it.
async function startHttpsProxy(nginxDir, port, upstream, pki, ca, key) {
  const child = await startNginx(nginxDir, {
    http: `  keepalive_requests 1000000;
  upstream gateway { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${pki.server.cert};
    ssl_certificate_key ${pki.server.key};
    ssl_protocols TLSv1.2;
    ${gatewayLocation('gateway')}
  }`,
    ready: async () => (await get(`https://127.0.0.1:${port}/v1/whoami`, key, ca)) === 200,
  });
  children.push([child, 'SIGTERM']);  // SIGKILL would leave its workers running
}

function get(url, key, ca) {
  return new Promise((ok, fail) => {
    https.get(url, { ca, agent: false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode));
    }).on('error', fail);
  });
}

/// wrk on `url` with the API key: kept-alive connections, or (`fresh`) a new one per request.
function load(name, url, key, { fresh }) {
  return wrk(dir, name, url, { key, headers: fresh ? { Connection: 'close' } : {}, connections: fresh ? 4 : CONNECTIONS,
    duration: DURATION });
}

async function main() {
  const pki = await makeTestPki(join(dir, 'pki'));
  const ca = readCa(pki.ca.cert);
  const env = { PATH: process.env.PATH, HOME: dir, LATCHKEY_STORE: join(dir, 'store.db') };
  const key = (await run(BIN, ['keys', 'create', '--principal', 'bench', '--role', 'admin'], { env })).trim();
  const nginxPort = await freePort();
  const plain = await startGateway(['--listen', '127.0.0.1:0', '--public-url', `https://127.0.0.1:${nginxPort}`,
    '--trusted-proxy', '127.0.0.1/32'], env);
  const tls = await startGateway(['--listen', '127.0.0.1:0', '--tls-cert', pki.server.cert, '--tls-key', pki.server.key], env);
  await startHttpsProxy(join(dir, 'nginx'), nginxPort, plain, pki, ca, key);
  const targets = {
    'latchkeyd TLS (--tls-cert)': `https://${tls}/v1/whoami`,
    'nginx TLS → latchkeyd': `https://127.0.0.1:${nginxPort}/v1/whoami`,
    'latchkeyd plain http': `http://${plain}/v1/whoami`,
  };
  // nginx's start already went through to the plain gateway; the TLS listener answers too.
  if (await get(targets['latchkeyd TLS (--tls-cert)'], key, ca) !== 200) throw new Error('the TLS listener did not answer');
  const results = {};
  for (const mode of ['keep-alive', 'new connections']) {
    const rounds = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const names = Object.keys(targets);
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length];
        rounds[name].push(await load(`${mode}-${r}-${k}`, targets[name], key, { fresh: mode === 'new connections' }));
      }
    }
    for (const [name, rs] of Object.entries(rounds)) {
      const bad = rs.reduce((a, x) => a + x.non2xx, 0);
      if (bad) throw new Error(`${name} (${mode}): ${bad} answers were not 2xx`);
      results[`${mode}: ${name}`] = { 'req/s': Math.round(median(rs.map((x) => x.rps))),
        'p99 ms': Number(median(rs.map((x) => x.p99_ms)).toFixed(2)) };
    }
  }
  console.table(results);
  console.log(JSON.stringify({ connections: CONNECTIONS, duration_s: DURATION, rounds: ROUNDS, results }));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
