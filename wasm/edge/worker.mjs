// The edge handler (handler.mjs) as a Cloudflare Worker, as deployed: wrangler (or any bundler
// that keeps .wasm files as modules) uploads latchkey.wasm beside the script, and the runtime
// hands it over compiled, since a Worker may not compile code at run time nor find files by URL.
//
// wrangler.toml:
//   main = "worker.mjs"
//   [[durable_objects.bindings]]
//   name = "LATCHKEY_DO"
//   class_name = "LatchkeyStorageObject"
//   [[migrations]]
//   tag = "v1"
//   new_sqlite_classes = ["LatchkeyStorageObject"]
// and the secrets of handler.mjs (LATCHKEY_MASTER_KEY, LATCHKEY_PROXY_SECRET, LATCHKEY_APPS).
// Without LATCHKEY_DO it runs on LATCHKEY_KV, whose refresh lease is not atomic across isolates.
import wasmModule from '../pkg/dist/latchkey.wasm'; // in your project: '@latchkey/wasm/latchkey.wasm'
import { createWorker } from './handler.mjs';

export { LatchkeyStorageObject } from '../pkg/adapters/durable_object.js'; // '@latchkey/wasm/adapters/durable_object.js'

export default createWorker({ wasmModule });
