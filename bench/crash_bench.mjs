// Connections lost to refresh-token rotation when latchkey processes are SIGKILLed at random
// moments (bench/README.md, "Crashes"): the experiment of tests/integration/crash_lab.mjs, longer.
// `latchkey token` processes (up to 4 at a time, one per connection, on one SQLite store) and
// latchkeyd in refresh storms are killed at seeded random moments against the fixture AS
// (oidc-provider, rotation on) on loopback; every loss must be a rotated refresh token the AS
// answered to a killed process that never reached the store.
//
//   node bench/crash_bench.mjs [--kills N] [--gateway-share F] [--seed S] [--max-seconds T] [BUILD_DIR]
//
// --kills 1000 by default, F (default 0.15) of them latchkeyd's (plus the last one, with a real
// lease wait); stops killing after T seconds (default 1200). BUILD_DIR: build/native by default.
// Prints one JSON line; exits 1 when a check failed (the violations go to stderr).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kills: { type: 'string', default: '1000' },
    'gateway-share': { type: 'string', default: '0.15' },
    seed: { type: 'string' },
    'max-seconds': { type: 'string', default: '1200' },
  },
});
const build = resolve(positionals[0] ?? 'build/native');
process.env.LATCHKEY_BIN ??= join(build, 'native/cli/latchkey');
process.env.LATCHKEYD_BIN ??= join(build, 'native/gateway/latchkeyd');
for (const bin of [process.env.LATCHKEY_BIN, process.env.LATCHKEYD_BIN]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build the latchkey and latchkeyd targets first`);
}
// The harness reads LATCHKEY_BIN when it is loaded.
const { runCrashLab } = await import('../tests/integration/crash_lab.mjs');

const kills = Number(opts.kills);
const gatewayKills = Math.max(1, Math.round((kills - 1) * Number(opts['gateway-share'])));
const seed = Number(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
const started = Date.now();
process.stderr.write(`crash bench: seed ${seed}, ${kills} kills\n`);
const { report, final, violations } = await runCrashLab({
  seed,
  cliKills: kills - 1 - gatewayKills,
  gatewayKills,
  deadline: started + Number(opts['max-seconds']) * 1000,
  log: (t) => process.stderr.write(`${t}\n`),
});
for (const v of violations) process.stderr.write(`violation: ${v}\n`);
process.stdout.write(`${JSON.stringify({
  ...report,
  after_one_lease: Object.fromEntries(Object.entries(final.results).map(([p, r]) => [p, r.outcome])),
  seconds: Math.round((Date.now() - started) / 1000),
})}\n`);
process.exit(violations.length ? 1 : 0);
