// A CLI process's own start-up cost, side by side for several builds in one run: `perf stat -e
// task-clock` over `latchkey token` (a valid stored token) and `latchkey providers get google`,
// rounds alternating between the builds, each build on its own store against one test AS.
//   node bench/cli_start_bench.mjs NAME=BUILD_DIR [NAME=BUILD_DIR ...] [--runs 40] [--rounds 3]
// e.g. before=../before/build/native after=build/native (a worktree built at the older commit).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

import { startApiServer } from '../tests/fixtures/api_server.mjs';
import { startAuthServer } from '../tests/fixtures/auth_server.mjs';
import { makeTestPki } from '../tests/fixtures/test_ca.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args.splice(i, 2)[1]);
};
const runs = option('--runs', 40);
const rounds = option('--rounds', 3);
const builds = args.map((a) => a.split('=')).map(([name, dir]) => ({ name, bin: join(resolve(dir), 'native/cli/latchkey') }));
if (!builds.length) throw new Error('usage: node bench/cli_start_bench.mjs NAME=BUILD_DIR ...');

process.env.LATCHKEY_BIN ??= builds[0].bin;  // the harness asks for one
const { Cli, tempDir } = await import('../tests/integration/harness.mjs');
const pki = await makeTestPki(tempDir('latchkey-bench-pki-'));
const as = await startAuthServer({ pki });
const api = await startApiServer({ pki, authServer: as });
try {
  for (const b of builds) {
    // The harness runs the binary LATCHKEY_BIN names; each build gets its own store.
    const cli = new Cli({ dir: tempDir('latchkey-bench-'), caFile: pki.ca.cert, bin: b.bin });
    await cli.addTestProvider(as, api);
    const c = await cli.connect('testas');
    if (c.status !== 0) throw new Error(`${b.name}: connect failed: ${c.stderr}`);
    b.env = { ...process.env, ...cli.env };
  }
  for (let round = 1; round <= rounds; round++) {
    for (const b of builds) {
      for (const cmd of [['token', 'testas'], ['providers', 'get', 'google']]) {
        const r = spawnSync('perf', ['stat', '-e', 'task-clock', '-r', String(runs), b.bin, ...cmd],
          { env: b.env, encoding: 'utf8' });
        const ms = (r.stderr.split('\n').find((l) => /task-clock/.test(l)) ?? '').trim().split(/\s+/)[0];
        console.log(`round ${round} ${b.name} latchkey ${cmd.join(' ')}: task-clock ${ms} ms (mean of ${runs})`);
      }
    }
  }
} finally {
  await api.close();
  await as.close();
}
