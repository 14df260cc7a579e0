// Types for @latchkey/wasm/raw: the C ABI (core/include/latchkey/latchkey.h) with JS strings.
// Every JSON string returned is {"ok": ...} or {"error": {...}}, except the operation steps,
// which are {"effect": {...}} or {"done": {"ok" | "error": ...}} (docs/effects.md).
// All methods are synchronous. Misuse (a freed handle, a string with a NUL character) throws
// LatchkeyError with code 'invalid_request'; a non-string argument throws TypeError.

export { LatchkeyError, ErrorCode, ErrorDocument } from './errors.js';

/** An lk_engine* in the module's linear memory. */
export type EngineHandle = number;
/** An lk_op* in the module's linear memory. */
export type OpHandle = number;

export interface Raw {
  /** lk_engine_new: throws LatchkeyError (invalid_request) when the configuration is invalid. */
  engineNew(configJson: string): EngineHandle;
  /** lk_engine_free: the handle is dead; operations still open keep the engine alive until freed. */
  engineFree(engine: EngineHandle): void;
  /** lk_engine_add_entropy: throws LatchkeyError (invalid_request) if not base64. */
  addEntropy(engine: EngineHandle, base64: string): void;
  /** lk_op_begin. `nowMs`: unix milliseconds (number or bigint). */
  opBegin(engine: EngineHandle, requestJson: string, nowMs: number | bigint): OpHandle;
  opStep(op: OpHandle): string;
  opResume(op: OpHandle, resultJson: string, nowMs: number | bigint): string;
  opFree(op: OpHandle): void;
  catalog(): string;
  validateProvider(providerJson: string): string;
  pkceChallenge(verifier: string): string;
  buildAuthorization(engine: EngineHandle, requestJson: string): string;
  parseTokenResponse(requestJson: string): string;
  errorCodes(): string;
  version(): string;
  /** The module's linear memory (diagnostics). */
  readonly memory: WebAssembly.Memory;
}

export interface CreateRawOptions {
  /** The bytes of dist/latchkey.wasm. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** dist/latchkey.wasm compiled (edge runtimes that import .wasm files as modules). */
  wasmModule?: WebAssembly.Module;
}

/** Instantiates the module; with no options, loads dist/latchkey.wasm next to raw.js. */
export function createRaw(options?: CreateRawOptions): Promise<Raw>;
