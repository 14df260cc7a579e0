// @latchkey/wasm/raw — the C ABI of the Emscripten build, one function per lk_ export, with JS
// strings in and out (abi.js). Most users want the async API in index.js instead.
//
//   import { createRaw } from '@latchkey/wasm/raw';
//   const raw = await createRaw();                    // loads dist/latchkey.wasm next to this file
//   const raw = await createRaw({ wasmBinary });      // the module's bytes
//   const raw = await createRaw({ wasmModule });      // a compiled WebAssembly.Module (edge runtimes)
//
// Emscripten's glue never loads anything by itself here: it always gets the bytes or the
// compiled module from this file (its own loader fetch()es file paths under Node 20, and edge
// runtimes forbid fetching or compiling code at run time).
import createLatchkeyModule from './dist/latchkey.mjs';
import { bindAbi } from './abi.js';
import { LatchkeyError } from './errors.js';

export { LatchkeyError } from './errors.js';

const HOW = 'pass createBroker({ wasmModule }) (a compiled WebAssembly.Module: edge runtimes import '
  + '@latchkey/wasm/latchkey.wasm as one) or createBroker({ wasmBinary }) (its bytes)';

/// The wasm next to this module: read from disk under Node, Deno and Bun, fetched elsewhere.
/// Where that cannot work (no import.meta.url, as in a Worker; a bundle whose output directory
/// lacks the file) the error says which option to pass instead.
async function loadDefaultWasm() {
  let url;
  try {
    url = new URL('./dist/latchkey.wasm', import.meta.url);
  } catch {
    throw new LatchkeyError({ code: 'invalid_request', message: `this runtime gives modules no URL, so latchkey.wasm cannot be found next to @latchkey/wasm: ${HOW}` });
  }
  try {
    if (url.protocol === 'file:') {
      // A variable specifier, so browser bundlers do not try to resolve a Node built-in.
      const fs = 'node:fs/promises';
      const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
      return new Uint8Array(await readFile(url));
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new LatchkeyError({
      code: 'invalid_request',
      message: `could not load latchkey.wasm from ${url.href} (${e?.message ?? e}): serve it there (a bundler must copy `
        + `@latchkey/wasm/dist/latchkey.wasm beside its output), or ${HOW}`,
    });
  }
}

/// Instantiates the module. Options (at most one): `wasmBinary` (ArrayBuffer or Uint8Array),
/// `wasmModule` (WebAssembly.Module). Neither: dist/latchkey.wasm next to this file.
export async function createRaw({ wasmBinary, wasmModule } = {}) {
  let failed;
  const failure = new Promise((_, reject) => { failed = reject; });
  const options = {
    // Only consulted for the (unused) default wasm location; keeps the glue away from import.meta.url.
    locateFile: (path) => path,
    onAbort: (what) => failed(new LatchkeyError({ code: 'internal', message: `the wasm module aborted: ${what}` })),
  };
  if (wasmModule) {
    if (!(wasmModule instanceof WebAssembly.Module)) throw new TypeError('wasmModule must be a WebAssembly.Module');
    // Returning {} tells the glue that instantiation is asynchronous and reported through `receive`.
    options.instantiateWasm = (imports, receive) => {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), failed);
      return {};
    };
  } else {
    const bytes = wasmBinary ?? (await loadDefaultWasm());
    options.wasmBinary = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  }
  const module = await Promise.race([createLatchkeyModule(options), failure]);
  return bindAbi(module.asm);
}
