#!/usr/bin/env node
// Checks a built latchkey module's exports against wasm/exports.txt (run by the build):
//
//   node wasm/check_exports.mjs wasm/exports.txt path/to/module.wasm [--reactor]
//
// Fails when a listed function is missing or not a function, when the module exports an lk_
// name the list does not have, or when there is no `memory` (the JS layers read and write
// strings through it). --reactor (WASI) also requires `_initialize` and forbids `_start`.
import { readFileSync } from 'node:fs';

const [listFile, wasmFile, ...flags] = process.argv.slice(2);
if (!listFile || !wasmFile) {
  process.stderr.write('usage: node check_exports.mjs exports.txt module.wasm [--reactor]\n');
  process.exit(2);
}
const reactor = flags.includes('--reactor');

const expected = readFileSync(listFile, 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasmFile)));
const kinds = new Map(exports.map((e) => [e.name, e.kind]));

const problems = [];
for (const name of expected) {
  if (!kinds.has(name)) problems.push(`${name} is not exported`);
  else if (kinds.get(name) !== 'function') problems.push(`${name} is a ${kinds.get(name)}, not a function`);
}
for (const { name } of exports) {
  if (name.startsWith('lk_') && !expected.includes(name)) problems.push(`${name} is exported but not in ${listFile}`);
}
if (kinds.get('memory') !== 'memory') problems.push('no exported memory');
if (reactor) {
  if (kinds.get('_initialize') !== 'function') problems.push('no _initialize (not linked as a reactor?)');
  if (kinds.has('_start')) problems.push('_start is exported: a command module, not a reactor');
}

if (problems.length) {
  process.stderr.write(`${wasmFile}:\n${problems.map((p) => `  ${p}\n`).join('')}`);
  process.exit(1);
}
