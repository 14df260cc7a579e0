// Issue 12: starting an authorization costs the same with 1,000 sign-ins outstanding as with none.
//   node bench/authorize_backlog_bench.mjs [build/wasm/wasm/pkg] [build/native/bench/latchkey_native_bench]
// JS: the broker (the Emscripten build) over memoryStorage, timed per authorize() call, median
// of three rounds alternating the two backlogs; also the storage calls one start makes and the
// records they hand back. Native: the Google Benchmark pair BM_AuthorizeWithBacklog/0 and /1000
// (the core's driver loop over the SQLite store), when its binary is there. Each pair is printed
// with its ratio (goal ≤ 1.2). The backlog is live pending sign-ins; what a timed start writes
// is removed untimed, so every start sees the same backlog.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const pkg = resolve(process.argv[2] ?? 'build/wasm/wasm/pkg');
const nativeBench = resolve(process.argv[3] ?? 'build/native/bench/latchkey_native_bench');
const { createBroker, memoryStorage } = await import(join(pkg, 'index.js'));
const BACKLOGS = [0, 1000];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// memoryStorage, counting the calls and the records they hand back, and noting what is written.
function countingStorage() {
  const inner = memoryStorage();
  const c = { calls: 0, recordsRead: 0, written: [] };
  return {
    counts: c,
    inner,
    async get(key) { c.calls++; const r = await inner.get(key); if (r) c.recordsRead++; return r; },
    async put(key, value) { c.calls++; c.written.push(key); return inner.put(key, value); },
    async cas(key, value, expected) { c.calls++; c.written.push(key); return inner.cas(key, value, expected); },
    async delete(key, expected) { c.calls++; return inner.delete(key, expected); },
    async list(prefix, limit) { c.calls++; const r = await inner.list(prefix, limit); c.recordsRead += r.length; return r; },
  };
}

async function setUp(backlog) {
  const storage = countingStorage();
  const broker = await createBroker({ storage, masterKey: new Uint8Array(32).fill(3), fetch: async () => { throw new Error('no network in this bench'); } });
  await broker.apps.upsert({ provider: 'github', clientId: 'gh-client', clientSecret: 'gh-secret', redirectUri: 'http://127.0.0.1:8765/callback' });
  for (let i = 0; i < backlog; i++) await broker.authorize('github');
  return { broker, storage };
}

// One timed start; its writes are then undone, untimed.
async function timedStart({ broker, storage }) {
  storage.counts.written = [];
  const t0 = performance.now();
  await broker.authorize('github');
  const dt = performance.now() - t0;
  for (const key of storage.counts.written) await storage.inner.delete(key);
  return dt;
}

const hosts = {};
for (const n of BACKLOGS) hosts[n] = await setUp(n);
// The store calls of one start, and the records handed back to the core.
const perStart = {};
for (const n of BACKLOGS) {
  const c = hosts[n].storage.counts;
  c.calls = 0;
  c.recordsRead = 0;
  await timedStart(hosts[n]);
  perStart[n] = { calls: c.calls, recordsRead: c.recordsRead };
}
for (const n of BACKLOGS) for (let i = 0; i < 200; i++) await timedStart(hosts[n]);  // warm up
const rounds = Object.fromEntries(BACKLOGS.map((n) => [n, []]));
for (let round = 0; round < 3; round++) {
  for (const n of BACKLOGS) {
    const times = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) times.push(await timedStart(hosts[n]));
    rounds[n].push(median(times));
  }
}
const js = Object.fromEntries(BACKLOGS.map((n) => [n, median(rounds[n]) * 1000]));  // µs
for (const n of BACKLOGS) {
  console.log(`js: authorize with ${n} outstanding: median ${js[n].toFixed(1)} µs; ${perStart[n].calls} storage calls handing back ${perStart[n].recordsRead} records`);
}
console.log(`js: ratio 1000/0 = ${(js[1000] / js[0]).toFixed(2)} (goal ≤ 1.2)`);
for (const n of BACKLOGS) hosts[n].broker.close();

if (existsSync(nativeBench)) {
  const run = spawnSync(nativeBench, ['--benchmark_filter=BM_AuthorizeWithBacklog', '--benchmark_format=json',
    '--benchmark_repetitions=3', '--benchmark_report_aggregates_only=true'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${nativeBench} failed: ${run.stderr}`);
  const results = JSON.parse(run.stdout).benchmarks.filter((b) => b.aggregate_name === 'median');
  const native = {};
  for (const n of BACKLOGS) {
    const b = results.find((r) => r.run_name === `BM_AuthorizeWithBacklog/${n}`);
    if (!b) throw new Error(`no BM_AuthorizeWithBacklog/${n} in ${nativeBench}'s output`);
    native[n] = b;  // times in µs (the benchmark's unit)
    console.log(`native: authorize with ${n} outstanding: median ${b.real_time.toFixed(1)} µs (cpu ${b.cpu_time.toFixed(1)} µs)`);
  }
  // Wall time includes waiting for SQLite's commits on a disk other work shares; CPU time does not.
  console.log(`native: ratio 1000/0 = ${(native[1000].real_time / native[0].real_time).toFixed(2)} wall, `
    + `${(native[1000].cpu_time / native[0].cpu_time).toFixed(2)} cpu (goal ≤ 1.2)`);
} else {
  console.log(`native: ${nativeBench} not built (cmake --build build/native --target latchkey_native_bench)`);
}
