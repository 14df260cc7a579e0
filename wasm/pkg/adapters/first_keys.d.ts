/** The keys in key order, then the first `limit` of them (0 or absent: all): what list() answers. */
export function firstKeys(keys: Iterable<string>, limit?: number): string[];
