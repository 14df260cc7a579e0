import type { StorageAdapter } from '../index.js';

/** A Deno KV key: the parts of Deno.KvKey this adapter's prefix may use. */
export type DenoKvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;
export type DenoKvKey = readonly DenoKvKeyPart[];

/** The parts of a Deno.Kv (Deno.openKv()) used here; a real Deno.Kv satisfies it. */
export interface DenoKvLike {
  get(key: DenoKvKey): Promise<{ key: DenoKvKey; value: unknown; versionstamp: string | null }>;
  getMany(keys: DenoKvKey[]): Promise<Array<{ key: DenoKvKey; value: unknown; versionstamp: string | null }>>;
  list(
    selector: { prefix: DenoKvKey; start?: DenoKvKey },
    options?: { batchSize?: number },
  ): AsyncIterable<{ key: DenoKvKey; value: unknown; versionstamp: string }>;
  atomic(): DenoKvAtomicLike;
}

/** The parts of a Deno.AtomicOperation used here. */
export interface DenoKvAtomicLike {
  check(...checks: Array<{ key: DenoKvKey; versionstamp: string | null }>): this;
  set(key: DenoKvKey, value: unknown): this;
  delete(key: DenoKvKey): this;
  max(key: DenoKvKey, n: bigint): this;
  commit(): Promise<{ ok: boolean }>;
}

/**
 * latchkey's StorageAdapter on Deno KV, under key `prefix` (default ['latchkey']). Compare-and-swap
 * and conditional deletes are atomic `check`s on versionstamps, so processes and isolates sharing
 * one KV (a local file, or Deno Deploy's) share connections and refresh a token once. Persistent:
 * createBroker needs a masterKey with it. A record's value holds at most 64 KiB (Deno KV's limit);
 * a larger one rejects with an Error that says so.
 */
export function denoKvStorage(kv: DenoKvLike, options?: { prefix?: DenoKvKey }): StorageAdapter;
