import type { StorageAdapter } from '../index.js';

/** The parts of window.localStorage (the Web Storage API) used here. */
export interface WebStorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Storage in a browser's localStorage (default: globalThis.localStorage), each record under
 * `prefix` (default 'latchkey:'). For one page at a time. Persistent: createBroker needs a masterKey.
 */
export function localStorageAdapter(store?: WebStorageLike, options?: { prefix?: string }): StorageAdapter;
