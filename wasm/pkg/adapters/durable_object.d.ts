import type { StorageAdapter } from '../index.js';

/** The parts of a Durable Object namespace binding (Workers' DurableObjectNamespace) used here. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** The parts of a Durable Object's state (Workers' DurableObjectState) used here. */
export interface DurableObjectStateLike {
  storage: {
    transaction<T>(closure: (txn: {
      get<V>(key: string): Promise<V | undefined>;
      put(entries: Record<string, unknown>): Promise<void>;
      delete(key: string): Promise<boolean>;
      list<V>(options: { prefix: string; limit?: number }): Promise<Map<string, V>>;
    }) => Promise<T>): Promise<T>;
  };
}

/**
 * The Durable Object that holds latchkey's records: export it from the Worker and bind it
 * (e.g. as LATCHKEY_DO). Every operation is one storage transaction, so compare-and-swap is
 * atomic across all isolates that reach the same object.
 */
export class LatchkeyStorageObject {
  constructor(ctx: DurableObjectStateLike, env?: unknown);
  readonly ctx: DurableObjectStateLike;
  /** POST a JSON operation ({op: 'get'|'put'|'cas'|'delete'|'list', ...}): {ok: result}, or 400 {error}. */
  fetch(request: Request): Promise<Response>;
}

/**
 * latchkey's StorageAdapter on object `name` (default 'latchkey') of `namespace`. Persistent:
 * createBroker needs a masterKey with it. Operations reject with an Error when the object
 * refuses or cannot be reached.
 */
export function durableObjectStorage(namespace: DurableObjectNamespaceLike, options?: { name?: string }): StorageAdapter;
