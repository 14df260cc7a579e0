import type { StorageAdapter } from '../index.js';

/**
 * Storage in one JSON file (Node, Deno, Bun: node:fs), rewritten atomically (temp file + rename,
 * mode 0600) after every change. For one process at a time. Persistent: createBroker needs a
 * masterKey. Throws an Error naming the file when it exists but is not a latchkey storage file.
 */
export function jsonFileStorage(path: string): StorageAdapter;
