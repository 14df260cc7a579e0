import type { StorageAdapter } from '../index.js';

/**
 * Storage in a Map, lost when the process (or page) ends: the reference semantics every adapter
 * follows. Not persistent (`persistent: false`), so createBroker needs no masterKey with it.
 */
export function memoryStorage(): StorageAdapter;
