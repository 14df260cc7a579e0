// The raw layer of the WASI reactor module (latchkey-wasi.wasm): the same interface as
// @latchkey/wasm/raw (../pkg/raw.js), over a plain WebAssembly instance.
//
//   import { createRaw } from './raw.mjs';
//   const raw = await createRaw({ wasmBinary });               // bytes of latchkey-wasi.wasm
//   const raw = await createRaw({ wasmModule });               // or a compiled WebAssembly.Module
//   const raw = await createRaw({ wasmModule, wasi });         // with a host's WASI (e.g. node:wasi)
//   const raw = await createRaw();                             // latchkey-wasi.wasm next to this file
//
// The core does no I/O, so the module's only WASI imports are the three stdio calls libc links
// for its fatal-error messages: fd_write, fd_seek and fd_close (wasi_snapshot_preview1). Without
// a `wasi` option this file provides them itself — fd_write to stdout/stderr goes to the
// console, the rest fail with EBADF/ESPIPE — so any host with WebAssembly runs the module, with
// no node:wasi (experimental in Node 20) involved. A `wasi` object may be passed instead:
// anything with getImportObject() or a `wasiImport` property, and optionally initialize(instance)
// (node:wasi's WASI, browser_wasi_shim's WASI, ...).
import { bindAbi } from '../pkg/abi.js';
import { LatchkeyError } from '../pkg/errors.js';

export { LatchkeyError } from '../pkg/errors.js';

const WASI_MODULE = 'wasi_snapshot_preview1';
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_SPIPE = 70;

/// Minimal wasi_snapshot_preview1 for a module whose only I/O is an error message before a trap.
function stubWasi(getMemory) {
  const decoder = new TextDecoder();
  const pending = { 1: '', 2: '' };
  return {
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const view = new DataView(getMemory().buffer);
      let written = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        pending[fd] += decoder.decode(new Uint8Array(view.buffer, ptr, len));
        written += len;
      }
      const lines = pending[fd].split('\n');
      pending[fd] = lines.pop();
      for (const line of lines) (fd === 1 ? console.log : console.error)(`latchkey-wasi: ${line}`);
      view.setUint32(nwrittenPtr, written, true);
      return ERRNO_SUCCESS;
    },
    fd_seek: () => ERRNO_SPIPE,
    fd_close: () => ERRNO_SUCCESS,
  };
}

async function loadDefaultWasm() {
  const url = new URL('./latchkey-wasi.wasm', import.meta.url);
  if (url.protocol === 'file:') {
    const fs = 'node:fs/promises';
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new LatchkeyError({ code: 'internal', message: `could not load ${url}: HTTP ${response.status}` });
  return response.arrayBuffer();
}

/// Instantiates latchkey-wasi.wasm. Options: `wasmBinary` (ArrayBuffer or Uint8Array) or
/// `wasmModule` (WebAssembly.Module) — neither: latchkey-wasi.wasm next to this file — and
/// optionally `wasi`, a host WASI implementation to use instead of the built-in stubs.
export async function createRaw({ wasmBinary, wasmModule, wasi } = {}) {
  if (wasmModule !== undefined && !(wasmModule instanceof WebAssembly.Module)) {
    throw new TypeError('wasmModule must be a WebAssembly.Module');
  }
  const module = wasmModule ?? (await WebAssembly.compile(wasmBinary ?? (await loadDefaultWasm())));

  let memory;
  let imports;
  if (wasi) {
    imports = typeof wasi.getImportObject === 'function' ? wasi.getImportObject() : { [WASI_MODULE]: wasi.wasiImport };
  } else {
    const provided = stubWasi(() => memory);
    const missing = WebAssembly.Module.imports(module).filter((i) => i.module !== WASI_MODULE || !(i.name in provided));
    if (missing.length) {
      throw new LatchkeyError({
        code: 'internal',
        message: `latchkey-wasi.wasm imports ${missing.map((i) => `${i.module}.${i.name}`).join(', ')}: pass a WASI implementation as createRaw({ wasi })`,
      });
    }
    imports = { [WASI_MODULE]: provided };
  }

  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory;
  // A reactor: _initialize runs the static constructors, once, before any other export.
  if (wasi && typeof wasi.initialize === 'function') wasi.initialize(instance);
  else instance.exports._initialize();
  return bindAbi(instance.exports);
}
