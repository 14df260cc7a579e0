// Deno KV in real Deno processes, against the fixtures (driver.mjs):
// - single-flight refresh across two Deno processes on one KV file: denoKvStorage's
//   compare-and-swap is the store's own (a versionstamp check), so of 2 × 20 concurrent
//   getAccessToken calls on an expired token, in two processes, exactly one refreshes at the
//   authorization server and every caller gets that one token;
// - the Deno edge example (wasm/edge/deno.mjs) under `deno serve`: start → consent → callback →
//   proxy, and the connection still there after a restart on the same KV file.
//   LATCHKEY_WASM_PKG=build/wasm/wasm/pkg node --test wasm/tests/portable/deno_kv_cluster.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { RUNTIMES, pkgDir, root, startFixtures } from './driver.mjs';
import { consentAt } from './support.mjs';

const worker = fileURLToPath(new URL('deno_kv_worker.mjs', import.meta.url));
const edgeDir = fileURLToPath(new URL('../../edge/', import.meta.url));
const CALLS = 20;

/// A deno process on the worker: { lines (async iterator of its JSON lines), stdin, done }.
function startWorker(fx, args) {
  const how = RUNTIMES.deno(fx.pki.ca.cert);
  const child = spawn(how.cmd, [...how.args, worker, ...args], {
    cwd: root,
    env: { ...process.env, ...how.env, LATCHKEY_TEST_CONTEXT: fx.contextFile },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const done = new Promise((ok) => child.on('close', (code) => ok(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (what) => {
    const { value, done: ended } = await lines.next();
    if (ended) throw new Error(`the deno worker (${args[0]}) ended before ${what} (exit ${await done})`);
    return JSON.parse(value);
  };
  return { child, next, done };
}

test('two Deno processes on one KV file: 2 × 20 concurrent calls on an expired token refresh it once', { timeout: 60_000 }, async () => {
  const fx = await startFixtures({ runtime: 'deno', pkgDir, shortTtl: 4 }); // two processes' bursts end well within 3 s
  try {
    const { short } = fx.ctx.fixtures;
    const kvPath = join(fx.ctx.tmp, 'shared.kv');
    const connector = startWorker(fx, ['connect', kvPath]);
    const { id, token: first } = await connector.next('connecting');
    const connectedAt = Date.now();
    assert.equal(await connector.done, 0, 'the connecting process exits cleanly');
    assert.equal(id, 'testas/alice');

    const racers = [startWorker(fx, ['race', kvPath, id, String(CALLS)]), startWorker(fx, ['race', kvPath, id, String(CALLS)])];
    for (const r of racers) assert.deepEqual(await r.next('ready'), { ready: true });
    // Both brokers are up; the short fixture's token (due 1 s before it expires) has to be past due.
    await new Promise((ok) => setTimeout(ok, Math.max(0, connectedAt + short.ttlMs + 300 - Date.now())));
    fx.as.short.resetStats();
    for (const r of racers) r.child.stdin.end('go\n');
    const results = await Promise.all(racers.map((r) => r.next('its tokens')));
    for (const r of racers) assert.equal(await r.done, 0, 'a racing process exits cleanly');

    const tokens = results.flatMap((r) => r.tokens);
    assert.equal(tokens.length, 2 * CALLS);
    assert.equal(new Set(tokens).size, 1, 'every caller in both processes got the same token');
    assert.notEqual(tokens[0], first, 'it is a refreshed token, not the expired one');
    const { stats } = fx.as.short;
    assert.equal(stats.token.refresh_token, 1, 'refresh grants at the AS');
    assert.deepEqual(stats.tokenErrors, {}, 'no refresh failed (a second refresh with the rotated token would)');
  } finally {
    await fx.close();
  }
});

/// `deno serve` on the example laid out as a project has it (edge/ beside the built package):
/// { origin, stop() }.
async function serveExample(fx, dir, env) {
  const how = RUNTIMES.deno(fx.pki.ca.cert);
  const child = spawn(how.cmd, ['serve', ...how.args.slice(1), '--host', '127.0.0.1', '--port', '0', join(dir, 'edge', 'deno.mjs')], {
    cwd: dir,
    env: { ...process.env, ...how.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const origin = await new Promise((ok, fail) => {
    const look = (d) => {
      seen += d;
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) ok(m[1]);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('close', (code) => fail(new Error(`deno serve exited (${code}) before listening:\n${seen}`)));
  });
  return {
    origin,
    async stop() {
      const closed = new Promise((ok) => child.on('close', ok));
      child.kill();
      await closed;
    },
  };
}

test('the Deno edge example under deno serve on a KV file: start, consent, callback, proxy; still connected after a restart', { timeout: 60_000 }, async () => {
  const fx = await startFixtures({ runtime: 'deno', pkgDir });
  let server;
  try {
    const dir = join(fx.ctx.tmp, 'project');
    mkdirSync(join(dir, 'edge'), { recursive: true });
    for (const f of ['deno.mjs', 'handler.mjs', 'kv_storage.mjs']) copyFileSync(join(edgeDir, f), join(dir, 'edge', f));
    symlinkSync(pkgDir, join(dir, 'pkg'), 'dir');
    const secret = 'proxy-secret-for-the-test';
    const env = {
      LATCHKEY_KV_PATH: join(dir, 'latchkey.kv'),
      LATCHKEY_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      LATCHKEY_PROXY_SECRET: secret,
      LATCHKEY_PROVIDERS: JSON.stringify([fx.ctx.fixtures.main.provider]),
      LATCHKEY_APPS: JSON.stringify([{ provider: 'testas', clientId: 'latchkey-cli', clientSecret: 'cli-secret' }]),
    };
    server = await serveExample(fx, dir, env);
    const start = await fetch(`${server.origin}/oauth/start/testas`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const consentUrl = start.headers.get('location');
    assert.equal(new URL(consentUrl).searchParams.get('redirect_uri'), `${server.origin}/oauth/callback`);
    const callbackUrl = await consentAt(fx.ctx, consentUrl);
    assert.ok(callbackUrl?.startsWith(`${server.origin}/oauth/callback?`), `the AS sent the browser back here: ${callbackUrl}`);
    const callback = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
    assert.equal(callback.status, 200, await callback.clone().text());
    assert.equal((await callback.json()).connection.id, 'testas/alice');

    const me = () => fetch(`${server.origin}/proxy/testas/me`, { headers: { authorization: `Bearer ${secret}` } });
    const proxied = await me();
    assert.equal(proxied.status, 200);
    assert.equal((await proxied.json()).sub, 'alice', 'the API saw alice');
    assert.equal((await fetch(`${server.origin}/proxy/testas/me`)).status, 401, 'the proxy without the secret');

    await server.stop();
    server = await serveExample(fx, dir, env);
    const again = await me();
    assert.equal(again.status, 200, 'the connection outlived the process, in the KV file');
    assert.equal((await again.json()).sub, 'alice');
  } finally {
    await server?.stop();
    await fx.close();
  }
});
