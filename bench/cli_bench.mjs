// Whole-process figures for the native CLI (issue 3), on loopback against the test fixtures:
//  1. `latchkey token` wall time for a valid stored token (median of many runs);
//  2. 1,000 sequential HTTPS GETs over one kept-alive connection: latchkey's mbedTLS client vs
//     one curl invocation fetching the same 1,000 URLs (curl reuses its connection).
//   node bench/cli_bench.mjs build/native   (after: cmake --build --preset native)
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

import { startApiServer } from '../tests/fixtures/api_server.mjs';
import { startAuthServer } from '../tests/fixtures/auth_server.mjs';
import { makeTestPki } from '../tests/fixtures/test_ca.mjs';

const build = resolve(process.argv[2] ?? 'build/native');
process.env.LATCHKEY_BIN = join(build, 'native/cli/latchkey');
const { Cli, providerFor, tempDir } = await import('../tests/integration/harness.mjs');

function run(cmd, args) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

const pki = await makeTestPki(tempDir('latchkey-bench-pki-'));
const as = await startAuthServer({ pki });
const api = await startApiServer({ pki, authServer: as });
try {
  const cli = new Cli({ dir: tempDir('latchkey-bench-'), caFile: pki.ca.cert });
  const file = cli.writeFile('provider.json', JSON.stringify(providerFor(as, api)));
  await cli.run(['providers', 'register', '--file', file]);
  await cli.run(['apps', 'upsert', '--provider', 'testas', '--client-id', 'latchkey-cli', '--client-secret-stdin'],
    { input: 'cli-secret' });
  const c = await cli.connect('testas');
  if (c.status !== 0) throw new Error(`connect failed: ${c.stderr}`);

  const runs = 200;
  const times = [];
  for (let i = 0; i < runs + 10; i++) {
    const t0 = process.hrtime.bigint();
    const r = await cli.run(['token', 'testas']);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(r.stderr);
    if (i >= 10) times.push(ms);  // the first runs warm the page cache
  }
  console.log(`latchkey token (valid stored token, whole process, ${runs} runs): median ${median(times).toFixed(2)} ms, p90 ${pct(times, 0.9).toFixed(2)} ms`);

  const url = `${api.url}/echo`;
  const n = 1000;
  const ours = [];
  const theirs = [];
  for (let round = 0; round < 3; round++) {
    // Both timed the same way, from outside: process start, handshake, 1,000 requests, exit.
    const s0 = process.hrtime.bigint();
    await run(join(build, 'bench/latchkey_https_bench'), [url, String(n), pki.ca.cert]);
    ours.push(n / (Number(process.hrtime.bigint() - s0) / 1e9));
    const t0 = process.hrtime.bigint();
    await run('curl', ['-s', '--fail', '--cacert', pki.ca.cert, '-o', '/dev/null', ...Array(n).fill(url)]);
    theirs.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const a = median(ours);
  const b = median(theirs);
  console.log(`${n} sequential HTTPS GETs, one connection (median of 3): latchkey ${a.toFixed(0)} req/s, curl ${b.toFixed(0)} req/s → ${(a / b).toFixed(2)}× curl`);
} finally {
  await api.close();
  await as.close();
}
