#!/usr/bin/env node
// Runs a wasm32-wasi command module (a test program built with the wasi preset) under
// Node's node:wasi and exits with its exit status:
//
//   node --no-warnings tests/runners/wasi.mjs build/wasi/.../prog.wasm [args...]
//
// The program sees its arguments and the environment (GTEST_* variables work), and no file
// system: nothing is preopened. node:wasi is experimental in Node 20; its warning is dropped
// here too, so the output is the program's own even without --no-warnings.
import { readFile } from 'node:fs/promises';
import process from 'node:process';

const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'ExperimentalWarning' && /WASI/.test(String(warning))) return;
  return emitWarning.call(process, warning, ...rest);
};
const { WASI } = await import('node:wasi');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node wasi.mjs program.wasm [args...]\n');
  process.exit(2);
}

const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: process.env,
  returnOnExit: true,
});
let code;
try {
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  code = wasi.start(instance);
} catch (err) {
  // A trap (abort(), unreachable, stack overflow) lands here.
  process.stderr.write(`wasi.mjs: ${err && err.stack ? err.stack : err}\n`);
  code = 134;
}
process.exit(code);
