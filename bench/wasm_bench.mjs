// Times the Emscripten build of bench/bench_ops.cpp under Node and prints ns/op.
//   node --no-experimental-fetch bench/wasm_bench.mjs build/wasm/bench/latchkey_bench_wasm.js
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const js = process.argv[2] ?? 'build/wasm/bench/latchkey_bench_wasm.js';
const require = createRequire(import.meta.url);
const createBench = require(new URL(js, `file://${process.cwd()}/`).pathname);
const wasmBinary = readFileSync(js.replace(/\.js$/, '.wasm'));
const mod = await createBench({ wasmBinary });

const ops = ['PkcePair', 'AuthorizationUrl', 'TokenResponseParse', 'GetValidToken', 'GetValidTokenShort'];
const results = {};
for (const [i, name] of ops.entries()) {
  mod._lk_bench_run(i, 2000);  // warm up: JIT tiers, fixture set-up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let n = 1000;
    let ns;
    // Grow the batch until it runs ≥ 100 ms, so timer resolution does not matter.
    for (;;) {
      const t0 = process.hrtime.bigint();
      mod._lk_bench_run(i, n);
      ns = Number(process.hrtime.bigint() - t0);
      if (ns >= 1e8) break;
      n *= 4;
    }
    best = Math.min(best, ns / n);
  }
  results[name] = best;
  console.log(`${('BM_' + name).padEnd(24)} ${best.toFixed(0).padStart(8)} ns/op (best of 5, Emscripten, node ${process.version})`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
