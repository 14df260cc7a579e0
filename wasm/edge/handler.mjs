// An OAuth broker at the edge, on @latchkey/wasm and web-standard Request/Response only.
// Copy it and adapt: it runs wherever a module exports `{ fetch(request, env) }` (Workers-style
// runtimes, Deno, Bun, Node with a small adapter).
//
//   GET  /oauth/start/:provider[?scopes=a,b]               302 to the provider's consent page
//   GET  /oauth/callback                                    finishes it; an HTML page, or JSON
//                                                           with `Accept: application/json`
//   ANY  /proxy/:provider/<path>[?query]                    <path> under the provider's API with
//                                                           the connection's token injected
//                                                           (X-Latchkey-Account: which account,
//                                                           when there are several)
//
// env (bindings and secrets):
//   LATCHKEY_DO            a Durable Object namespace of class LatchkeyStorageObject (worker.mjs
//                          exports it): connections, apps and pending authorizations (sealed), in
//                          one object whose compare-and-swap holds across isolates, so one token
//                          is refreshed once however many isolates ask at the same moment
//   LATCHKEY_KV            a KV namespace, used when LATCHKEY_DO is not bound: NOT atomic across
//                          isolates (kv_storage.mjs), so two isolates may both refresh a token
//   LATCHKEY_MASTER_KEY    base64 of 32 random bytes (`openssl rand -base64 32`); keep it secret
//   LATCHKEY_PROXY_SECRET  callers of /proxy must send `Authorization: Bearer <it>`; without it
//                          /proxy is off. The header is checked and then dropped, never forwarded.
//   LATCHKEY_APPS          JSON [{"provider", "clientId", "clientSecret", "scopes"?}]: OAuth apps
//   LATCHKEY_PROVIDERS     JSON [provider definitions]: custom providers (optional)
//                          (both are written to storage when an isolate starts)
//   LATCHKEY_WASM_MODULE   the compiled latchkey.wasm, where the runtime imports .wasm files as
//                          WebAssembly.Module (optional: the package finds its file otherwise;
//                          worker.mjs, the Workers entry, imports it and passes it instead)
//
// Everything runs as latchkey's default principal: one set of connections per deployment.
// /oauth/start lets whoever reaches it connect an account there, so in production put /oauth/*
// behind your own sign-in and map your users to principals (createBroker({ principal })).
import { createBroker } from '../pkg/index.js'; // in your project: from '@latchkey/wasm'
import { durableObjectStorage } from '../pkg/adapters/durable_object.js'; // '@latchkey/wasm/adapters/durable_object.js'
import { kvStorage } from './kv_storage.mjs';

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade'];
// Not forwarded upstream: the caller's credentials are for us, not for the provider.
const NOT_UPSTREAM = ['authorization', 'cookie', 'host', 'content-length', 'x-latchkey-account'];
// Not passed back: fetch() has already decoded the body, and upstream cookies are not ours to set.
const NOT_DOWNSTREAM = ['content-encoding', 'content-length', 'set-cookie'];

const STATUS = {
  invalid_request: 400, invalid_state: 400, state_expired: 400, state_reused: 400, provider_error: 400,
  invalid_grant: 400, needs_reauth: 401, not_found: 404, conflict: 409, rate_limited: 429,
  transport: 502, malformed_response: 502, unsupported: 501,
};

/// A handler with an explicit broker (or the options to create one); `fetch(request)` answers.
export function createHandler({ broker, brokerOptions, proxySecret } = {}) {
  let ready = broker ? Promise.resolve(broker) : null;
  const getBroker = () => {
    ready ??= createBroker(brokerOptions).catch((e) => { ready = null; throw e; });
    return ready;
  };

  return {
    async fetch(request) {
      const url = new URL(request.url);
      const path = url.pathname;
      try {
        let m;
        if (request.method === 'GET' && (m = /^\/oauth\/start\/([^/]+)$/.exec(path))) {
          return await start(await getBroker(), url, decodeURIComponent(m[1]));
        }
        if (request.method === 'GET' && path === '/oauth/callback') {
          return await callback(await getBroker(), request, url);
        }
        if ((m = /^\/proxy\/([^/]+)\/(.*)$/.exec(path))) {
          if (!proxySecret) return problem(request, 403, 'forbidden', 'the proxy is off: set LATCHKEY_PROXY_SECRET');
          if (!sameSecret(request.headers.get('authorization') ?? '', `Bearer ${proxySecret}`)) {
            return problem(request, 401, 'unauthorized', 'send Authorization: Bearer <LATCHKEY_PROXY_SECRET>');
          }
          return await proxy(await getBroker(), request, url, decodeURIComponent(m[1]), m[2]);
        }
        return problem(request, 404, 'not_found', `no route for ${request.method} ${path}`);
      } catch (e) {
        if (e instanceof URIError) return problem(request, 400, 'invalid_request', 'bad percent-encoding in the path');
        if (e?.name !== 'LatchkeyError') throw e; // a bug: let the runtime report it
        return problem(request, STATUS[e.code] ?? 500, e.code, e.message, e.providerError);
      }
    },
  };
}

async function start(broker, url, provider) {
  const scopes = url.searchParams.get('scopes')?.split(',').filter(Boolean);
  const { url: consentUrl } = await broker.authorize(provider, {
    redirectUri: `${url.origin}/oauth/callback`,
    scopes,
    // No caller-chosen account: the provider's identity names it, so a stranger's sign-in lands
    // in its own connection and cannot replace an existing one.
  });
  return new Response(null, {
    status: 302,
    headers: { location: consentUrl, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  });
}

// The state in the URL must be one this broker issued and not yet used (the core checks it,
// with the PKCE verifier and RFC 9207 `iss`), so a forged or replayed callback gets a 400.
async function callback(broker, request, url) {
  const connection = await broker.handleCallback(url.href);
  if (wantsJson(request)) return json(200, { connection });
  return html(200, 'Connected', `<p>${esc(connection.provider)} is connected as <strong>${esc(connection.account)}</strong>.</p>
<p>You can close this window.</p>`);
}

async function proxy(broker, request, url, provider, rest) {
  const headers = new Headers(request.headers);
  const account = headers.get('x-latchkey-account') ?? undefined; // which connection, when several
  dropHeaders(headers, NOT_UPSTREAM);
  // Buffered, not streamed: a 401 makes broker.fetch refresh the token and send it again.
  const body = ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer();
  // Always a path under the API: `//host/x` would otherwise name another host.
  const target = `/${rest.replace(/^\/+/, '')}${url.search}`;
  const upstream = await broker.fetch(account ? { provider, account } : provider, target, {
    method: request.method, headers, body,
  });
  const out = new Headers(upstream.headers);
  dropHeaders(out, NOT_DOWNSTREAM);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

function dropHeaders(headers, names) {
  // Also whatever the Connection header lists (RFC 9110 §7.6.1).
  const listed = (headers.get('connection') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...names, ...listed]) headers.delete(name);
}

function problem(request, status, code, message, providerError) {
  if (wantsJson(request) || new URL(request.url).pathname.startsWith('/proxy/')) {
    return json(status, { error: { code, message, ...(providerError ? { providerError } : {}) } });
  }
  const title = code === 'provider_error' && providerError === 'access_denied' ? 'Not connected' : 'Something went wrong';
  return html(status, title, `<p>${esc(message)}</p>\n<p><code>${esc(providerError ?? code)}</code></p>`);
}

const wantsJson = (request) => (request.headers.get('accept') ?? '').includes('application/json');

const SECURITY = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer', // the callback URL carried a code and state
  'x-content-type-options': 'nosniff',
};

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status, headers: { 'content-type': 'application/json; charset=utf-8', ...SECURITY },
  });
}

function html(status, title, body) {
  const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>
</head><body><h1>${esc(title)}</h1>
${body}
</body></html>
`;
  return new Response(page, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      ...SECURITY,
    },
  });
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Compares without an early exit, so response times do not reveal how much of a guess was right.
function sameSecret(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= a.charCodeAt(i % (a.length || 1)) ^ b.charCodeAt(i);
  return diff === 0;
}

// ---- the module-worker entry point: one broker per isolate, configured from env ------------

/// A handler on `storage`, configured from env (LATCHKEY_MASTER_KEY, LATCHKEY_PROXY_SECRET,
/// LATCHKEY_APPS, LATCHKEY_PROVIDERS; above): the part every runtime's entry shares (deno.mjs too).
export async function handlerFromEnv(env, storage, { wasmModule } = {}) {
  if (!env.LATCHKEY_MASTER_KEY) throw new Error('set LATCHKEY_MASTER_KEY to base64 of 32 random bytes (`openssl rand -base64 32`)');
  const broker = await createBroker({ storage, masterKey: env.LATCHKEY_MASTER_KEY, wasmModule });
  for (const definition of JSON.parse(env.LATCHKEY_PROVIDERS ?? '[]')) {
    await broker.providers.register(definition).catch((e) => {
      if (e.code !== 'conflict') throw e;
      return broker.providers.update(definition); // registered by an earlier start
    });
  }
  for (const app of JSON.parse(env.LATCHKEY_APPS ?? '[]')) await broker.apps.upsert(app);
  return createHandler({ broker, proxySecret: env.LATCHKEY_PROXY_SECRET });
}

async function fromEnv(env, { wasmModule = env.LATCHKEY_WASM_MODULE } = {}) {
  if (!env.LATCHKEY_DO && !env.LATCHKEY_KV) {
    throw new Error('bind a Durable Object namespace of class LatchkeyStorageObject as LATCHKEY_DO (or a KV namespace as LATCHKEY_KV)');
  }
  const storage = env.LATCHKEY_DO ? durableObjectStorage(env.LATCHKEY_DO) : kvStorage(env.LATCHKEY_KV);
  return handlerFromEnv(env, storage, { wasmModule });
}

/// A module worker `{ fetch(request, env) }` configured from env (above). `wasmModule`: the
/// compiled latchkey.wasm, for runtimes that import .wasm files as modules (worker.mjs).
export function createWorker({ wasmModule } = {}) {
  const handlers = new WeakMap(); // env -> Promise<handler>
  return {
    async fetch(request, env) {
      let handler = handlers.get(env);
      if (!handler) {
        handler = fromEnv(env, { wasmModule });
        handlers.set(env, handler);
        handler.catch(() => handlers.delete(env)); // try again on the next request
      }
      return (await handler).fetch(request);
    },
  };
}

export default createWorker();
