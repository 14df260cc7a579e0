// The portable suites' entry inside Node, Deno and Bun (driver.mjs starts it):
//   <runtime> main.mjs /abs/path/SUITE.mjs...
// Reads the fixtures' context from LATCHKEY_TEST_CONTEXT (a JSON file the driver wrote), imports
// the package named there, runs each suite and exits 1 if a test failed. Node's fs and process
// modules are the ones Deno and Bun implement too.
import { readFile } from 'node:fs/promises';
import process from 'node:process';

import { runSuite } from './harness.mjs';

const ctx = JSON.parse(await readFile(process.env.LATCHKEY_TEST_CONTEXT, 'utf8'));
const pkg = await import(ctx.pkgUrl);
const only = process.env.LATCHKEY_TEST_ONLY ? new RegExp(process.env.LATCHKEY_TEST_ONLY) : undefined;

let failed = 0;
for (const file of process.argv.slice(2).filter((a) => a.endsWith('.mjs'))) {
  const suite = await import(`file://${file}`);
  console.log(`# ${file.split('/').pop()} on ${ctx.runtime}`);
  failed += await runSuite(await suite.default({ pkg, ctx }), (l) => console.log(l), { only });
}
process.exit(failed ? 1 : 0);
