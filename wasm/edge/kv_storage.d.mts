import type { StorageAdapter } from '../pkg/index.js';

/** The parts of a Workers KV namespace binding (KVNamespace) used here. */
export interface KvNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: { prefix?: string; limit?: number; cursor?: string }):
    Promise<{ keys: Array<{ name: string }>; list_complete: boolean; cursor?: string }>;
}

/**
 * latchkey's StorageAdapter on a KV namespace, each record one entry under `prefix` (default
 * 'latchkey:'). NOT ATOMIC ACROSS ISOLATES: compare-and-swap holds within one isolate only, so
 * two isolates may both refresh a token; on Workers prefer durableObjectStorage
 * (@latchkey/wasm/adapters/durable_object.js). Persistent: createBroker needs a masterKey.
 */
export function kvStorage(kv: KvNamespaceLike, options?: { prefix?: string }): StorageAdapter;
