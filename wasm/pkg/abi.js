// The C ABI (core/include/latchkey/latchkey.h) over a wasm instance's exports, as JS strings
// in and out. Both raw layers — raw.js (Emscripten) and ../wasi/raw.mjs (WASI) — hand their
// instance's exports here, so the two have one interface and one implementation.
//
// Strings are copied into linear memory with lk_alloc (NUL-terminated UTF-8) and freed after
// the call; every returned char* is decoded and released with lk_free. int64_t now_ms crosses
// as a BigInt: both modules are built with BigInt integration (Emscripten -sWASM_BIGINT; wasm32
// i64 parameters are BigInts in JS by definition), so no i64 is ever split into two halves.
// Handles (engine and operation pointers) are plain numbers; this layer keeps track of the
// live ones, so a stale or foreign handle throws instead of corrupting linear memory.
import { LatchkeyError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const misuse = (message) => new LatchkeyError({ code: 'invalid_request', message });

/// `exports`: the instance's exports (memory, lk_*). Returns the raw interface (see raw.d.ts).
export function bindAbi(exports) {
  const lk = exports;
  const memory = exports.memory;
  // Live handles only. An open operation keeps its engine alive in the core (lk_engine_free),
  // so freeing either never waits for the other.
  const engines = new Set();
  const ops = new Set();

  const u8 = () => new Uint8Array(memory.buffer);

  /// Copies `text` into linear memory as a C string; the caller frees it with lk_free.
  function put(text, what) {
    if (typeof text !== 'string') throw new TypeError(`${what} must be a string`);
    const bytes = encoder.encode(text);
    if (bytes.includes(0)) throw misuse(`${what} contains a NUL character`);
    const ptr = lk.lk_alloc(bytes.length + 1) >>> 0;
    if (!ptr) throw new LatchkeyError({ code: 'internal', message: 'out of wasm memory' });
    const heap = u8(); // after lk_alloc: the memory may have grown
    heap.set(bytes, ptr);
    heap[ptr + bytes.length] = 0;
    return ptr;
  }

  /// Calls fn(ptr) with `text` in linear memory, freeing it afterwards.
  function withString(text, what, fn) {
    const ptr = put(text, what);
    try {
      return fn(ptr);
    } finally {
      lk.lk_free(ptr);
    }
  }

  function read(ptr) {
    const heap = u8();
    const end = heap.indexOf(0, ptr);
    return decoder.decode(heap.subarray(ptr, end < 0 ? heap.length : end));
  }

  /// Decodes a char* the core returned and releases it.
  function take(ptr) {
    ptr >>>= 0;
    if (!ptr) throw new LatchkeyError({ code: 'internal', message: 'the core returned no document' });
    try {
      return read(ptr);
    } finally {
      lk.lk_free(ptr);
    }
  }

  function i64(nowMs) {
    if (typeof nowMs === 'bigint') return BigInt.asIntN(64, nowMs);
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number of unix milliseconds');
    return BigInt(Math.trunc(nowMs));
  }

  function liveEngine(engine) {
    if (!engines.has(engine)) throw misuse(`${engine} is not a live engine handle`);
  }

  function liveOp(op) {
    if (!ops.has(op)) throw misuse(`${op} is not a live operation handle`);
  }

  return {
    /// Creates an engine from its JSON configuration (docs/effects.md); throws LatchkeyError
    /// (invalid_request) when the configuration is invalid.
    engineNew(configJson) {
      return withString(configJson, 'the configuration', (config) => {
        const slot = lk.lk_alloc(4) >>> 0; // char** error
        if (!slot) throw new LatchkeyError({ code: 'internal', message: 'out of wasm memory' });
        try {
          new DataView(memory.buffer).setUint32(slot, 0, true);
          const engine = lk.lk_engine_new(config, slot) >>> 0;
          if (engine) {
            engines.add(engine);
            return engine;
          }
          const error = new DataView(memory.buffer).getUint32(slot, true);
          const doc = error ? JSON.parse(take(error)) : {};
          throw new LatchkeyError(doc.error ?? { code: 'internal', message: 'the engine could not be created' });
        } finally {
          lk.lk_free(slot);
        }
      });
    },

    /// Releases an engine handle. Operations still open keep the engine alive until they are freed.
    engineFree(engine) {
      liveEngine(engine);
      engines.delete(engine);
      lk.lk_engine_free(engine);
    },

    /// Mixes host randomness (base64) into the engine's generator; throws on bad base64.
    addEntropy(engine, base64) {
      liveEngine(engine);
      const rc = withString(base64, 'the entropy', (p) => lk.lk_engine_add_entropy(engine, p));
      if (rc !== 0) throw misuse('the entropy is not valid base64');
    },

    /// Starts an operation ({"op": ..., ...}); never throws for a bad request: its first step
    /// is then {"done": {"error": ...}}.
    opBegin(engine, requestJson, nowMs) {
      liveEngine(engine);
      const now = i64(nowMs);
      const op = withString(requestJson, 'the request', (p) => lk.lk_op_begin(engine, p, now)) >>> 0;
      ops.add(op);
      return op;
    },

    /// The operation's current step: '{"effect": ...}' or '{"done": ...}'.
    opStep(op) {
      liveOp(op);
      return take(lk.lk_op_step(op));
    },

    /// Hands back the current effect's result (JSON) and returns the next step.
    opResume(op, resultJson, nowMs) {
      liveOp(op);
      const now = i64(nowMs);
      return take(withString(resultJson, 'the effect result', (p) => lk.lk_op_resume(op, p, now)));
    },

    opFree(op) {
      liveOp(op);
      ops.delete(op);
      lk.lk_op_free(op);
    },

    catalog: () => take(lk.lk_catalog()),
    validateProvider: (providerJson) => take(withString(providerJson, 'the provider', (p) => lk.lk_validate_provider(p))),
    pkceChallenge: (verifier) => take(withString(verifier, 'the verifier', (p) => lk.lk_pkce_challenge(p))),
    buildAuthorization(engine, requestJson) {
      liveEngine(engine);
      return take(withString(requestJson, 'the request', (p) => lk.lk_build_authorization(engine, p)));
    },
    parseTokenResponse: (requestJson) => take(withString(requestJson, 'the request', (p) => lk.lk_parse_token_response(p))),
    errorCodes: () => take(lk.lk_error_codes()),
    version: () => read(lk.lk_version() >>> 0), // static storage: not freed

    /// The instance's linear memory (for diagnostics and tests).
    memory,
  };
}
