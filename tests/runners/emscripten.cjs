#!/usr/bin/env node
// Runs a test program built by Emscripten as a modularized CommonJS factory
// (-sMODULARIZE=1 -sEXPORT_NAME=createModule -sENVIRONMENT=node -sEXIT_RUNTIME=1; see
// latchkey_add_test_runner in cmake/dependencies.cmake):
//
//   node --no-experimental-fetch tests/runners/emscripten.cjs build/wasm/.../prog.js [args...]
//
// The sibling .wasm file is read here and handed to the module as `wasmBinary`: Emscripten
// 3.1.6's loader would otherwise call fetch() on a file path, which fails under Node 20.
// The arguments and environment are passed through, stdout/stderr are forwarded line by line,
// and the process exits with the program's exit status (non-zero when a test fails), or 134
// if the program aborted or trapped.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node emscripten.cjs program.js [args...]\n');
  process.exit(2);
}
const jsPath = path.resolve(script);
const wasmPath = jsPath.replace(/\.m?js$/, '') + '.wasm';

let done = false;
function finish(code) {
  if (done) return;
  done = true;
  process.exitCode = code;
  // Leave through process.exit so nothing the module scheduled keeps Node alive, but only once
  // stdout and stderr are flushed (writes to pipes are asynchronous on some platforms).
  let pending = 2;
  const leave = () => { if (--pending === 0) process.exit(code); };
  process.stdout.write('', leave);
  process.stderr.write('', leave);
}

const createModule = require(jsPath);
createModule({
  wasmBinary: fs.readFileSync(wasmPath),
  arguments: args,
  thisProgram: jsPath,
  // The program's getenv() sees Node's environment (GTEST_FILTER and friends work). ENV is
  // exported by latchkey_add_test_runner; without it, the program keeps Emscripten's defaults.
  // TERM only when stdout really is a terminal: the program's isatty() always says yes.
  preRun: [(module) => {
    if (!module.ENV) return;
    Object.assign(module.ENV, process.env);
    if (!process.stdout.isTTY) delete module.ENV.TERM;
  }],
  print: (text) => process.stdout.write(text + '\n'),
  printErr: (text) => process.stderr.write(text + '\n'),
  // Called by exit()/main's return (EXIT_RUNTIME=1); replaces Emscripten's own process.exit.
  // A trap inside main (out-of-bounds access, unreachable) arrives here as status 1 with the
  // RuntimeError as `toThrow`.
  quit: (status, toThrow) => {
    if (toThrow && toThrow.name !== 'ExitStatus') {
      process.stderr.write(`emscripten.cjs: ${toThrow.stack || toThrow}\n`);
      return finish(134);
    }
    return finish(status);
  },
  onExit: (status) => finish(status),
  onAbort: (what) => {
    process.stderr.write(`emscripten.cjs: program aborted${what ? `: ${what}` : ''}\n`);
    finish(134);
  },
}).catch((err) => {
  // An ExitStatus means the program exited normally (handled by quit/onExit above).
  if (err && err.name === 'ExitStatus' && typeof err.status === 'number') return finish(err.status);
  process.stderr.write(`emscripten.cjs: ${err && err.stack ? err.stack : err}\n`);
  finish(134);
});
