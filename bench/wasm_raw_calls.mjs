// What one call into the Emscripten module costs, in one Node process (median of 5 batches of
// ≥ 300 ms each), and the module's size: the figures bench/wasm_opt_levels.sh compares across
// compile options.
//   node bench/wasm_raw_calls.mjs [PKG_DIR]      (default build/wasm/wasm/pkg)
// pkceChallenge: the smallest call that does work (a fixed cost: strings in and out, a JSON
// answer); parseTokenResponse: a Google token response through the raw ABI, the provider by its
// catalog key; authorize: broker.authorize('google') on memoryStorage (PKCE, state, URL, the
// pending state sealed and stored: three store effects, four when the expiry index is listed).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

import { median } from './wrk.mjs';

const pkg = resolve(process.argv[2] ?? 'build/wasm/wasm/pkg');
const { createRaw } = await import(pathToFileURL(join(pkg, 'raw.js')).href);
const { createBroker } = await import(pathToFileURL(join(pkg, 'index.js')).href);

const wasm = readFileSync(join(pkg, 'dist/latchkey.wasm'));
const raw = await createRaw({ wasmBinary: wasm });
const body = JSON.stringify({ access_token: `ya29.${'a'.repeat(150)}`, expires_in: 3599, refresh_token: `1//${'b'.repeat(100)}`, scope: 'email', token_type: 'Bearer' });
const tokenRequest = JSON.stringify({ provider: 'google', status: 200, content_type: 'application/json', body, now_ms: Date.now(), requested_scope: 'email' });
const broker = await createBroker({ raw });
await broker.apps.upsert({ provider: 'google', clientId: 'cid.apps.googleusercontent.com', clientSecret: 's', redirectUri: 'https://app.example.com/cb' });

// Checked once, so a broken build cannot report a fast nothing.
if (JSON.parse(raw.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).ok.challenge !== 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') throw new Error('pkceChallenge is wrong');
if (JSON.parse(raw.parseTokenResponse(tokenRequest)).ok?.refresh_token !== `1//${'b'.repeat(100)}`) throw new Error('parseTokenResponse is wrong');

/// µs per call: the median of 5 batches, each at least 300 ms, after a warm-up batch.
async function perCall(fn) {
  const batches = [];
  for (let b = 0; b < 6; b++) {
    const start = process.hrtime.bigint();
    let n = 0;
    while (process.hrtime.bigint() - start < 300_000_000n) {
      const r = fn();
      if (r instanceof Promise) await r; // only authorize: the raw calls are synchronous
      n++;
    }
    if (b > 0) batches.push(Number(process.hrtime.bigint() - start) / 1000 / n);
  }
  return median(batches);
}

const figures = {
  pkceChallenge: await perCall(() => raw.pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')),
  parseTokenResponse: await perCall(() => raw.parseTokenResponse(tokenRequest)),
  authorize: await perCall(() => broker.authorize('google')),
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`${pkg}: latchkey.wasm ${kb(wasm.length)} (gzip ${kb(gzipSync(wasm, { level: 9 }).length)}); `
  + Object.entries(figures).map(([k, v]) => `${k} ${v.toFixed(1)} µs`).join(', '));
broker.close();
