// Runs the package's portable suites in one JavaScript runtime, against the real fixtures:
//   node wasm/tests/portable/driver.mjs --runtime node|deno|bun SUITE.mjs...
//   (LATCHKEY_WASM_PKG: the built package; the test command sets it through ctest)
//
// The fixtures (oidc-provider behind TLS with the test CA, the protected API) run here, in Node;
// the runtime under test gets their addresses in a context file and reaches them with its own
// fetch(), trusting the test CA its own way. What a portable suite cannot do itself — a browser
// consenting on the authorization server's pages — it asks this driver's control server for.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startApiServer } from '../../../tests/fixtures/api_server.mjs';
import { startAuthServer } from '../../../tests/fixtures/auth_server.mjs';
import { completeConsent } from '../../../tests/fixtures/consent.mjs';
import { readBody } from '../../../tests/fixtures/http_util.mjs';
import { providerFor } from '../../../tests/fixtures/providers.mjs';
import { makeTestPki } from '../../../tests/fixtures/test_ca.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../../..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
/// The built package the runners test: LATCHKEY_WASM_PKG (ctest sets it), else the wasm preset's.
export const pkgDir = resolve(process.env.LATCHKEY_WASM_PKG ?? join(root, 'build/wasm/wasm/pkg'));

/// How each runtime is started on main.mjs, trusting the test CA.
export const RUNTIMES = {
  node: (ca) => ({ cmd: process.execPath, args: [], env: { NODE_EXTRA_CA_CERTS: ca } }),
  deno: (ca) => ({
    cmd: bin('deno'),
    args: ['run', '--allow-all', '--no-config', '--no-lock', '--unstable-kv', '--cert', ca],
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  }),
  bun: (ca) => ({ cmd: bin('bun'), args: ['run', '--no-install'], env: { NODE_EXTRA_CA_CERTS: ca } }),
};

/// The fixtures, a control server and a context file: { ctx, contextFile, pki, as, close() }.
/// ctx: { runtime, pkgUrl, pkgDir, redirect, control, tmp,
///        fixtures: { main, short: { issuer, endpoints, api, provider, ttlMs } } }
/// short: tokens that live `shortTtl` seconds (2 by default), due 1 s before they expire. A test
/// that counts refreshes must finish its burst within ttlMs - 1000 of the refresh, or the new
/// token is due again: a runner whose bursts are slow (many isolates) asks for longer.
export async function startFixtures({ runtime, pkgDir, shortTtl = 2 }) {
  const tmp = mkdtempSync(join(tmpdir(), `latchkey-${runtime}-`));
  const pki = await makeTestPki(tmp);
  const servers = [];
  const authServers = {};
  const fixture = async (name, ttl, options) => {
    const as = await startAuthServer({ pki, accessTokenTtl: ttl });
    const api = await startApiServer({ pki, authServer: as });
    servers.push(api, as);
    authServers[name] = as;
    return { issuer: as.issuer, endpoints: as.endpoints, api: api.url, provider: providerFor(as, api, options), ttlMs: ttl * 1000 };
  };
  const [main, short] = await Promise.all([fixture('main', 3600), fixture('short', shortTtl, { buffer: 1 })]);

  // POST /consent {url, login?, deny?} -> {callbackUrl}: a browser on the AS's pages.
  const control = createServer(async (req, res) => {
    try {
      const body = JSON.parse((await readBody(req)).toString() || '{}');
      if (req.method === 'POST' && req.url === '/consent') {
        const r = await completeConsent(body.url, { caFile: pki.ca.cert, login: body.login, deny: body.deny, fetchCallback: false });
        return send(res, 200, { callbackUrl: r.callbackUrl });
      }
      send(res, 404, { error: `no route ${req.method} ${req.url}` });
    } catch (e) {
      send(res, 500, { error: String(e?.message ?? e) });
    }
  });
  await new Promise((ok) => control.listen(0, '127.0.0.1', ok));

  const ctx = {
    runtime,
    pkgDir,
    pkgUrl: pathToFileURL(join(pkgDir, 'index.js')).href,
    redirect: 'http://127.0.0.1:9/oauth/callback',
    control: `http://127.0.0.1:${control.address().port}`,
    tmp,
    fixtures: { main, short },
  };
  const contextFile = join(tmp, 'context.json');
  writeFileSync(contextFile, JSON.stringify(ctx));
  return {
    ctx,
    contextFile,
    as: authServers, // the fixtures' servers, for a runner in this process: { main, short }.stats, .resetStats()
    pki,
    async close() {
      control.close();
      control.closeAllConnections?.();
      for (const s of servers) await s.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/// Runs `suites` (absolute paths) under `runtime`, its output passed through: resolves with
/// { code, output }.
export function runIn(runtime, suites, { contextFile, pki }) {
  const how = RUNTIMES[runtime](pki.ca.cert);
  const child = spawn(how.cmd, [...how.args, join(here, 'main.mjs'), ...suites], {
    cwd: root,
    env: { ...process.env, ...how.env, LATCHKEY_TEST_CONTEXT: contextFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
  return new Promise((ok) => child.on('close', (code, signal) => ok({ code: code ?? (signal ? 1 : 0), output })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runtime');
  const runtime = at >= 0 ? args.splice(at, 2)[1] : 'node';
  if (!RUNTIMES[runtime]) throw new Error(`--runtime: one of ${Object.keys(RUNTIMES).join(', ')}`);
  const fx = await startFixtures({ runtime, pkgDir });
  let result;
  try {
    result = await runIn(runtime, args.map((a) => resolve(a)), fx);
  } finally {
    await fx.close();
  }
  const summary = [...result.output.matchAll(/^# pass (\d+) fail (\d+)$/gm)];
  if (summary.length === 0) console.error(`${runtime}: no suite reported (exit ${result.code})`);
  process.exit(result.code === 0 && summary.length > 0 ? 0 : 1);
}
