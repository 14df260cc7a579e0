// The edge handler (handler.mjs) on Deno, its storage in Deno KV: compare-and-swap there is a
// real conditional write, so every process and isolate on one KV (Deno Deploy's, or one local
// file) refreshes a token once however many ask at the same moment.
//
//   deno serve --unstable-kv --allow-net --allow-env --allow-read --allow-write --port 8000 wasm/edge/deno.mjs
//
// Routes: as handler.mjs. Environment:
//   LATCHKEY_KV_PATH       the KV file; unset: Deno.openKv()'s default (on Deno Deploy, the
//                          project's KV)
//   LATCHKEY_MASTER_KEY    base64 of 32 random bytes (`openssl rand -base64 32`); keep it secret
//   LATCHKEY_PROXY_SECRET  callers of /proxy send `Authorization: Bearer <it>`; unset: /proxy is off
//   LATCHKEY_APPS          JSON [{"provider", "clientId", "clientSecret", "scopes"?}]: OAuth apps
//   LATCHKEY_PROVIDERS     JSON [provider definitions]: custom providers (optional)
//                          (both are written to KV when the server starts)
import { denoKvStorage } from '../pkg/adapters/deno_kv.js'; // in your project: '@latchkey/wasm/adapters/deno_kv.js'
import { handlerFromEnv } from './handler.mjs';

async function start() {
  const env = Deno.env.toObject();
  const kv = await Deno.openKv(env.LATCHKEY_KV_PATH || undefined);
  return handlerFromEnv(env, denoKvStorage(kv));
}

let handler; // one broker per process, made on the first request
export default {
  async fetch(request) {
    handler ??= start().catch((e) => {
      handler = undefined; // a bad setting, fixed and redeployed: try again on the next request
      throw e;
    });
    return (await handler).fetch(request);
  },
};
