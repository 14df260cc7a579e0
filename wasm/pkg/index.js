// @latchkey/wasm — the latchkey core (compiled with Emscripten) behind an async JavaScript API.
// The core does no I/O: this file answers its effects with `fetch`, a storage adapter, the
// clock and crypto.getRandomValues. See docs/effects.md for the protocol underneath.
import { LatchkeyError } from './errors.js';
import { memoryStorage } from './adapters/memory.js';

export { LatchkeyError } from './errors.js';
export { memoryStorage } from './adapters/memory.js';
export { localStorageAdapter } from './adapters/local_storage.js';

function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function defaultRandom(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

function keyBytes(key) {
  const bytes = typeof key === 'string' ? fromBase64(key) : new Uint8Array(key);
  if (bytes.length !== 32) throw new LatchkeyError({ code: 'invalid_request', message: 'a master key must be 32 bytes (base64 or Uint8Array)' });
  return bytes;
}

/// "github/work" (the core's connection id) or { provider, account }.
function parseConnection(id) {
  if (typeof id === 'object' && id) return { provider: id.provider, account: id.account ?? '' };
  const slash = String(id).indexOf('/');
  if (slash < 0) return { provider: String(id), account: '' };
  return { provider: decodeURIComponent(id.slice(0, slash)), account: decodeURIComponent(id.slice(slash + 1)) };
}

const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
function camelize(value) {
  if (Array.isArray(value)) return value.map(camelize);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[camel(k)] = k === 'extras' || k === 'template_values' ? v : camelize(v);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/// Reads a response body, refusing more than `limit` bytes.
async function readLimited(response, limit) {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/// Waits `ms`, or rejects with the signal's reason once it aborts.
function defaultSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(timer); reject(signal.reason); }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/// The request body as bytes, with the Content-Type fetch() would have given it. Buffered once:
/// a 401 sends the request again (a stream can be read only once), and OAuth 1.0a signs form
/// parameters and hashes other bodies, so the core has to see what is sent, type included.
async function bufferBody(body, headers) {
  if (body === undefined || body === null) return { bytes: undefined, headers };
  const r = new Response(body);
  const read = new Uint8Array(await r.arrayBuffer());
  const bytes = read.length ? read : undefined; // fetch() refuses any body, even empty, on GET
  const type = r.headers.get('content-type');
  const has = headers.some(([name]) => name.toLowerCase() === 'content-type');
  return { bytes, headers: !has && type ? [...headers, ['content-type', type]] : headers };
}

class Broker {
  #raw; #engine; #fetch; #storage; #now; #sleep; #principal; #inflight = new Map();

  constructor({ raw, engine, fetch, storage, now, sleep, principal }) {
    this.#raw = raw;
    this.#engine = engine;
    this.#fetch = fetch;
    this.#storage = storage;
    this.#now = now;
    this.#sleep = sleep;
    this.#principal = principal;
    const run = (req) => this.#run(req);
    this.providers = {
      list: async ({ search, supportsManaged } = {}) => camelize(await run({ op: 'list_providers', search: search ?? [], supports_managed: !!supportsManaged })),
      get: async (key) => camelize(await run({ op: 'get_provider', key })),
      register: async (definition) => camelize(await run({ op: 'register_provider', provider: definition })),
      update: async (definition) => camelize(await run({ op: 'update_provider', provider: definition })),
      // An issuer's metadata (RFC 8414), or with `mcp` an MCP server's: its protected-resource
      // metadata (RFC 9728), its authorization server's, and dynamic client registration
      // (RFC 7591) with `redirectUri`. Loopback and private addresses (the issuer, the metadata's
      // endpoints) only with allowPrivateNetwork, either way.
      discover: async (url, { key, mcp = false, redirectUri, allowPrivateNetwork = false } = {}) => {
        const k = key ?? new URL(url).hostname.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        if (!mcp) return camelize(await run({ op: 'discover_provider', issuer: url, key: k, allow_private_network: !!allowPrivateNetwork }));
        return camelize(await run({
          op: 'discover_resource', key: k, resource: url, redirect_uri: redirectUri, allow_private_network: !!allowPrivateNetwork,
        }));
      },
      remove: async (key, { force = false } = {}) => camelize(await run({ op: 'remove_provider', key, force })),
    };
    this.apps = {
      upsert: async ({
        provider, clientId, clientSecret, redirectUri, scopes, templateValues, tokenEndpointAuthMethod, keyId,
      }) => camelize(await run({
        op: 'upsert_app', provider, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri,
        scopes, template_values: templateValues, token_endpoint_auth_method: tokenEndpointAuthMethod, key_id: keyId,
      })),
      get: async (provider) => camelize(await run({ op: 'get_app', provider })),
      list: async () => camelize(await run({ op: 'list_apps' })),
      remove: async (provider) => camelize(await run({ op: 'delete_app', provider })),
    };
  }

  /// Starts an authorization: the consent URL to send the user to, and its state.
  async authorize(provider, { redirectUri, scopes, account, extraParams, templateValues, principal } = {}) {
    const r = await this.#run({
      op: 'authorize', provider, principal: principal ?? this.#principal, account, redirect_uri: redirectUri, scopes,
      extra_params: extraParams, template_values: templateValues,
    });
    return { url: r.authorization_url, state: r.state, expiresAt: r.expires_at_ms };
  }

  /// Completes an authorization from the URL (or query) the provider redirected to: `state` +
  /// `code` (OAuth 2.0), or `oauth_token` + `oauth_verifier` (OAuth 1.0a) — the core tells them apart.
  async handleCallback(callbackUrl, { principal } = {}) {
    return camelize(await this.#run({ op: 'complete_callback', principal: principal ?? this.#principal, callback: String(callbackUrl) }));
  }

  /// The device grant (RFC 8628): asks the provider for a user code, to be shown with its
  /// verification URI (none of these is secret). `wait()` then polls the token endpoint at the
  /// provider's pace (the core asks for every wait, longer on slow_down) and resolves with the
  /// connection once the user approves; it rejects with provider_error (providerError
  /// 'access_denied') when they refuse and state_expired when the code expires or `timeout` (ms,
  /// optional: sooner than the code's own lifetime) has passed — the same answer. An aborted
  /// `signal` stops polling; calling wait() again resumes with the same code. `poll()` asks once
  /// without waiting (for hosts that cannot keep a call open, e.g. an edge function per request):
  /// { pending: true, nextPollAt } until the user decides, then { pending: false, connection };
  /// the provider is asked at most once per interval however often it is called.
  async device(provider, { scopes, account, templateValues, principal, timeout } = {}) {
    const who = principal ?? this.#principal;
    const r = await this.#run({
      op: 'device_authorize', provider, principal: who, account, scopes, template_values: templateValues,
      timeout_ms: timeout,
    });
    let polling = null; // one poll at a time: two would race for the same device code
    const wait = ({ signal } = {}) => {
      if (!polling) {
        polling = this.#run({ op: 'device_poll', principal: who, handle: r.handle }, { signal })
          .then(camelize)
          .finally(() => { polling = null; });
      }
      return polling;
    };
    const poll = async () => {
      const p = await this.#run({ op: 'device_poll_once', principal: who, handle: r.handle });
      if (!p.pending) return { pending: false, connection: camelize(p.connection) };
      return { pending: true, interval: p.interval_ms, nextPollAt: p.next_poll_at_ms, expiresAt: p.expires_at_ms };
    };
    return {
      userCode: r.user_code,
      verificationUri: r.verification_uri,
      verificationUriComplete: r.verification_uri_complete ?? null,
      expiresAt: r.expires_at_ms,
      interval: r.interval_ms,
      wait,
      poll,
    };
  }

  /// Client credentials: fetch a token for `provider` and keep it as a connection.
  async connectClientCredentials(provider, { scopes, account, principal } = {}) {
    return camelize(await this.#run({ op: 'connect_client_credentials', provider, scopes, account, principal: principal ?? this.#principal }));
  }

  /// A valid access token, refreshed if due. Concurrent callers share one refresh.
  async getAccessToken(connectionId, { forceRefresh = false } = {}) {
    return (await this.getToken(connectionId, { forceRefresh })).accessToken;
  }

  /// Like getAccessToken, with the token's type, expiry and whether this call refreshed it.
  getToken(connectionId, { forceRefresh = false } = {}) {
    const ref = parseConnection(connectionId);
    const key = `${this.#principal}\n${ref.provider}\n${ref.account}\n${forceRefresh}`;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#run({ op: 'get_token', principal: this.#principal, ...ref, force_refresh: forceRefresh })
        .then(camelize)
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  /// fetch() as the connected account: the token is added only for the provider's allowed
  /// hosts; a 401 refreshes once and retries. `input` may be a path under the API base URL.
  async fetch(connectionId, input, init = {}) {
    const ref = parseConnection(connectionId);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? (typeof input === 'object' ? input.method : undefined) ?? 'GET').toUpperCase();
    let body = init.body;
    if (body === undefined && typeof input === 'object' && input.body) body = await input.arrayBuffer();
    const buffered = await bufferBody(body, [...new Headers(init.headers ?? (typeof input === 'object' ? input.headers : undefined)).entries()]);
    const headers = buffered.headers;
    const request = { method, url, headers };
    if (buffered.bytes?.length) {
      try {
        request.body = decoder.decode(buffered.bytes);
      } catch {
        // The C ABI carries text. Only an OAuth 1.0a signature covers the body (oauth_body_hash),
        // so only there is a binary body a problem: say so rather than send a wrong signature.
        if ((await this.providers.get(ref.provider)).authMode === 'oauth1') {
          throw new LatchkeyError({ code: 'unsupported', message: `'${ref.provider}' signs request bodies (OAuth 1.0a): send a text body (UTF-8), not binary data` });
        }
      }
    }
    // The core's send_authorized decides (sign, send, on a 401 refresh once and send again);
    // its requests are sent here with the caller's bytes and signal, and their bodies left
    // unread: the last one is the caller's, a 401 the core retries is dropped.
    let response = null;
    const drop = () => response?.body?.cancel().catch(() => {});
    const send = async (req) => {
      await drop();
      response = null;
      try {
        response = await this.#fetch(req.url, { method, headers: req.headers, body: buffered.bytes, redirect: 'manual', signal: init.signal });
      } catch (e) {
        if (e?.name === 'AbortError') throw e; // the caller's own signal
        return { transport_error: `could not reach ${new URL(req.url).host} (${e?.cause?.message || e?.message || e})` };
      }
      return { status: response.status, headers: [...response.headers.entries()] };
    };
    let sent;
    try {
      sent = await this.#run({ op: 'send_authorized', principal: this.#principal, ...ref, request, stream: true }, { stream: send });
    } catch (e) {
      await drop();
      throw e;
    }
    if (sent.transport_error) throw new LatchkeyError({ code: 'transport', message: sent.transport_error });
    return response;
  }

  async status(connectionId) {
    return camelize(await this.#run({ op: 'status', principal: this.#principal, ...parseConnection(connectionId) }));
  }

  async connections() {
    return camelize(await this.#run({ op: 'list_connections', principal: this.#principal }));
  }

  async disconnect(connectionId, { revoke = false } = {}) {
    return camelize(await this.#run({ op: 'disconnect', principal: this.#principal, ...parseConnection(connectionId), revoke }));
  }

  /// Records the master key's check value in storage the first time, and refuses a different key
  /// (LatchkeyError 'crypto'); createBroker runs it.
  async checkMasterKey() { await this.#run({ op: 'check_master_key' }); }

  /// Re-seals secrets under the current master key (after adding a new key version).
  async reseal() { return camelize(await this.#run({ op: 'reseal' })); }

  /// Releases the engine's memory; the broker cannot be used afterwards.
  close() {
    if (this.#engine) this.#raw.engineFree(this.#engine);
    this.#engine = 0;
  }

  /// Drives one core operation to its end. `signal` (optional) abandons it between effects: the
  /// core keeps nothing in memory that matters, its state is in the store. `stream` performs the
  /// http effects marked stream (send_authorized's), answering with the status and headers.
  async #run(request, { signal, stream } = {}) {
    if (!this.#engine) throw new LatchkeyError({ code: 'invalid_request', message: 'this broker was closed' });
    const raw = this.#raw;
    let at = this.#now();  // the time the core was last given
    const op = raw.opBegin(this.#engine, JSON.stringify(request), at);
    try {
      let step = JSON.parse(raw.opStep(op));
      while (step.effect) {
        signal?.throwIfAborted();
        const effect = step.effect;
        let result = {};
        if (effect.kind === 'wait') {
          // "Resume at until_ms" (the core never sleeps): the host's own timer does the waiting.
          await this.#sleep(Math.max(0, effect.until_ms - at), signal);
        } else {
          result = effect.stream ? await stream(effect.http) : await this.#perform(effect);
        }
        // A resolved sleep means its time has passed: the core resumes at the deadline at least,
        // so a scheduler's (or a test's) own notion of time is taken at its word.
        at = effect.kind === 'wait' ? Math.max(this.#now(), effect.until_ms) : this.#now();
        step = JSON.parse(raw.opResume(op, JSON.stringify(result), at));
      }
      if (step.done.error) throw new LatchkeyError(step.done.error);
      return step.done.ok;
    } finally {
      raw.opFree(op);
    }
  }

  async #perform(effect) {
    switch (effect.kind) {
      case 'http': return this.#http(effect.http);
      default: return this.#store(effect);
    }
  }

  async #http(req) {
    let response;
    try {
      response = await this.#fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body === '' ? undefined : req.body,
        redirect: req.follow_redirects ? 'follow' : 'manual',
        signal: AbortSignal.timeout(req.timeout_ms || 30000),
      });
    } catch (e) {
      const why = e?.name === 'TimeoutError' ? `no answer within ${Math.round((req.timeout_ms || 30000) / 1000)} s`
        : (e?.cause?.message || e?.message || String(e));
      return { transport_error: `could not reach ${new URL(req.url).host} (${why})` };
    }
    let bytes;
    try {
      bytes = await readLimited(response, req.max_response_bytes || (1 << 20));
    } catch (e) {
      return { transport_error: `the response from ${new URL(req.url).host} was cut off (${e?.message ?? e})` };
    }
    if (bytes === null) {
      return { transport_error: `the response from ${new URL(req.url).host} is larger than ${req.max_response_bytes} bytes` };
    }
    const result = { status: response.status, headers: [...response.headers.entries()] };
    try {
      result.body = decoder.decode(bytes);
    } catch {
      result.body_base64 = toBase64(bytes);
    }
    return result;
  }

  async #store(effect) {
    const s = this.#storage;
    try {
      switch (effect.kind) {
        case 'store.get': {
          const r = await s.get(effect.key);
          return r ? { found: true, value: r.value, version: r.version } : { found: false };
        }
        case 'store.put': return { version: await s.put(effect.key, effect.value) };
        case 'store.cas': {
          const v = await s.cas(effect.key, effect.value, effect.expected_version);
          return v === null ? { conflict: true } : { version: v };
        }
        case 'store.delete': {
          const r = await s.delete(effect.key, effect.expected_version);
          return { found: !!r.found, conflict: !!r.conflict };
        }
        case 'store.list': return { records: await s.list(effect.prefix, effect.limit ?? 0) };
        default: return { store_error: `unknown effect ${effect.kind}` };
      }
    } catch (e) {
      return { store_error: e?.message || String(e) };
    }
  }
}

/// Creates a broker. Only `storage` is needed for anything to persist; the rest default to
/// globalThis.fetch, Date.now, crypto.getRandomValues and a random in-memory master key.
///   masterKey: 32 bytes (Uint8Array or base64) — required with any storage but memoryStorage()
///     (refused at once without one: a random key could not reopen what it sealed).
///   wasmBinary / wasmModule: the module's bytes or a compiled WebAssembly.Module (edge runtimes).
///   sleep(ms, signal): how the broker waits when the core asks it to wait until a time (refresh
///     backoff, a peer's refresh, device polling): called with what is left until then (from the
///     time the core was last given);
///     setTimeout by default. Once it resolves the broker resumes the core at that time, even if
///     now() says earlier, so schedulers and tests may replace it with time of their own.
export async function createBroker({
  fetch = globalThis.fetch?.bind(globalThis), storage = memoryStorage(), masterKey, now = () => Date.now(),
  random = defaultRandom, principal = 'default', raw, wasmBinary, wasmModule, sleep = defaultSleep,
} = {}) {
  if (typeof fetch !== 'function') throw new LatchkeyError({ code: 'invalid_request', message: 'no fetch function: pass one to createBroker({ fetch })' });
  // A random key would seal this run's records so that the next run cannot open them: refuse
  // now rather than fail with 'crypto' on the next start.
  if (masterKey === undefined && storage.persistent !== false) {
    throw new LatchkeyError({
      code: 'invalid_request',
      message: 'this storage outlives the broker: pass createBroker({ storage, masterKey }) with the same 32-byte key every time (e.g. base64 of `openssl rand -base64 32`, kept secret)',
    });
  }
  // Loaded only when needed: a host that brings its own raw layer (the WASI module) never
  // touches the Emscripten glue.
  raw = raw ?? await (await import('./raw.js')).createRaw({ wasmBinary, wasmModule });
  const key = masterKey === undefined ? random(32) : keyBytes(masterKey);
  const engine = raw.engineNew(JSON.stringify({ master_keys: { 1: toBase64(key) }, current_key_version: 1, entropy: toBase64(random(48)), surface: 'js' }));
  const broker = new Broker({ raw, engine, fetch, storage, now, sleep, principal });
  // A wrong key must fail here, clearly, rather than on every sealed record later.
  try {
    await broker.checkMasterKey();
  } catch (e) {
    broker.close();
    throw e;
  }
  return broker;
}
