// latchkey's storage on a Cloudflare Durable Object: the one store on Workers whose
// compare-and-swap holds across isolates, so the core's refresh lease (a cas) lets exactly one
// request anywhere refresh a token.
//
//   // worker: export the class, bind it (wrangler: durable_objects.bindings), and
//   export { LatchkeyStorageObject } from '@latchkey/wasm/adapters/durable_object.js';
//   const storage = durableObjectStorage(env.LATCHKEY_DO, { name: 'latchkey' });
//
// All latchkey keys of a deployment live in ONE object instance (`name`): every Worker isolate
// that asks for that name reaches the same instance, which runs its requests one at a time
// around each storage call (below). The object is reached with stub.fetch() and JSON, so this
// file needs no 'cloudflare:workers' import and loads in any runtime (Node imports it too).
// Values are already sealed by the core: the object never holds a token in clear.

const RECORD = 'k:';      // RECORD + latchkey key -> { value, version }
const NEXT = 'n';         // the next version to hand out, for every key of the object

/// The Durable Object class. Each operation runs in one ctx.storage.transaction(). Why that is
/// atomic: an object instance is single-threaded, and while its code awaits a storage call the
/// runtime's input gate delivers no other request to it, so no other operation's code runs between
/// this one's read, compare and write; the transaction then commits the record and the version
/// counter together or not at all (a crash cannot leave a record with a version that a later write
/// hands out again). Nothing in a transaction awaits anything but storage.
export class LatchkeyStorageObject {
  constructor(ctx) {
    this.ctx = ctx;
  }

  async fetch(request) {
    let op;
    try {
      op = await request.json();
    } catch {
      return Response.json({ error: 'send a JSON operation: {"op": "get"|"put"|"cas"|"delete"|"list", ...}' }, { status: 400 });
    }
    const run = OPERATIONS[op?.op];
    if (!run) return Response.json({ error: `unknown operation ${JSON.stringify(op?.op)}: one of ${Object.keys(OPERATIONS).join(', ')}` }, { status: 400 });
    return Response.json({ ok: await this.ctx.storage.transaction((txn) => run(txn, op)) });
  }
}

// Versions come from one counter, so they grow on every write of a key, also across a delete
// and re-create (a cas holding a version from before the delete must fail).
async function write(txn, key, value) {
  const version = (await txn.get(NEXT)) ?? 1;
  await txn.put({ [NEXT]: version + 1, [RECORD + key]: { value, version } });
  return version;
}

const OPERATIONS = {
  async get(txn, { key }) {
    return (await txn.get(RECORD + key)) ?? null;
  },
  async put(txn, { key, value }) {
    return write(txn, key, value);
  },
  // expected 0: only if absent.
  async cas(txn, { key, value, expected }) {
    if (((await txn.get(RECORD + key))?.version ?? 0) !== expected) return null;
    return write(txn, key, value);
  },
  async delete(txn, { key, expected = 0 }) {
    const r = await txn.get(RECORD + key);
    if (!r) return { found: false };
    if (expected && r.version !== expected) return { found: true, conflict: true };
    await txn.delete(RECORD + key);
    return { found: true };
  },
  // Storage lists in key order and stops at `limit` (0: all).
  async list(txn, { prefix, limit = 0 }) {
    const found = await txn.list({ prefix: RECORD + prefix, ...(limit > 0 ? { limit } : {}) });
    return [...found].map(([k, r]) => ({ key: k.slice(RECORD.length), value: r.value, version: r.version }));
  },
};

/// The StorageAdapter on object `name` of `namespace` (a Durable Object namespace binding whose
/// class is LatchkeyStorageObject). A new stub per call: a stub belongs to the request that made
/// it, and a broker outlives requests.
export function durableObjectStorage(namespace, { name = 'latchkey' } = {}) {
  if (typeof namespace?.idFromName !== 'function') {
    throw new TypeError('durableObjectStorage needs a Durable Object namespace binding (e.g. env.LATCHKEY_DO) of class LatchkeyStorageObject');
  }
  const id = namespace.idFromName(name);
  async function call(op) {
    const response = await namespace.get(id).fetch('https://latchkey-storage/', { method: 'POST', body: JSON.stringify(op) });
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok || !('ok' in answer)) {
      throw new Error(`the Durable Object storage refused ${op.op}: ${answer.error ?? `HTTP ${response.status}`}`);
    }
    return answer.ok;
  }
  return {
    get: (key) => call({ op: 'get', key }),
    put: (key, value) => call({ op: 'put', key, value }),
    cas: (key, value, expected) => call({ op: 'cas', key, value, expected }),
    delete: (key, expected = 0) => call({ op: 'delete', key, expected }),
    list: (prefix, limit = 0) => call({ op: 'list', prefix, limit }),
  };
}
