// The gateway's REST API (native/gateway/api.hpp), with the page's session token as the Bearer
// token (session.ts); the pasted API key is sent once, to trade it for that session.
import { pageMessage } from './messages';
import type { ProviderDefinition } from './provider_schema';
import { clearToken, getToken } from './session';

export type { ProviderDefinition } from './provider_schema';
/// A provider as the gateway returns it: its definition (the core's schema) and how the gateway
/// holds it.
export interface Provider extends ProviderDefinition {
  builtin: boolean;
  has_app: boolean;
  [more: string]: unknown;
}
/// GET /v1/providers/{key}/app: the app's non-secret facts (never the secret itself).
export interface App {
  provider: string;
  client_id: string;
  has_client_secret: boolean;
  scopes: string[];
  redirect_uri?: string;
  template_values?: Record<string, string>;
  updated_at_ms?: number;
}
export interface Whoami { principal: string; role: 'admin' | 'user' | string; key_id?: string; expires_at_ms?: number | null; session?: boolean }
/// POST /v1/sessions: a token for this page, with its caller's principal and role.
export interface Session { token: string; id: string; expires_at_ms: number; principal: string; role: string }
/// GET /v1/info: what to register with providers.
export interface Info { version: string; public_url: string | null; callback_url: string }
/// An API key as GET /v1/keys lists it (never its secret; null: never).
export interface KeyRecord {
  id: string;
  label: string;
  principal: string;
  role: 'admin' | 'user' | string;
  created_at_ms: number;
  expires_at_ms: number | null;
  last_used_at_ms: number | null;
}
/// POST /v1/keys and …/rotate: the record with its secret, shown this once.
export type IssuedKey = KeyRecord & { key: string };
export interface PingResult { ok: boolean; status: number | null; ms: number; error?: string }
export interface Connection {
  id: string;
  provider: string;
  account: string;
  status: 'connected' | 'needs_reauth' | string;
  grant: 'authorization_code' | 'client_credentials' | 'device_code' | 'oauth1' | string;
  scope: string;
  expires_at_ms: number | null;
  has_refresh_token: boolean;
  updated_at_ms: number | null;
  last_error: string | null;
}

/// POST /v1/providers/{key}/device: what the user needs to approve (nothing here is secret).
export interface DeviceStart {
  handle: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string | null;
  expires_at_ms: number;
  interval_ms: number;
}
/// POST /v1/providers/{key}/device/poll: the connection once approved (200), or still pending
/// (202) with the gateway's pacing: `retry_after_ms` (its Retry-After, relative, so the page's
/// clock does not matter) says when asking again can change the answer; `interval_ms` is the
/// provider's interval, longer after each slow_down.
export type DevicePoll =
  | { done: true; connection: Connection }
  | { done: false; retry_after_ms: number; interval_ms: number; next_poll_at_ms: number; expires_at_ms: number };

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

/// Called when the gateway no longer accepts the session (401: it expired, was ended, or its key
/// was revoked or rotated); the token is forgotten first.
let sessionEnded: () => void = () => {};
export function onSessionEnded(fn: () => void): void { sessionEnded = fn; }

async function call<T>(method: string, path: string, body?: unknown, bearer?: string): Promise<T> {
  return (await callWithStatus<T>(method, path, body, bearer)).json;
}

/// `bearer`: this credential instead of the session's (the pasted API key, once).
async function callWithStatus<T>(method: string, path: string, body?: unknown, bearer?: string): Promise<{ status: number; json: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = bearer ?? getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'transport', 'the gateway could not be reached');
  }
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && bearer === undefined && token) {
      clearToken();
      sessionEnded();
      throw new ApiError(401, err?.code ?? 'unauthorized', 'your session has ended; sign in again');
    }
    throw new ApiError(res.status, err?.code ?? 'http_error', pageMessage(err?.message ?? `HTTP ${res.status}`));
  }
  return { status: res.status, json: json as T, headers: res.headers };
}

const seg = encodeURIComponent;
/// Which account and scopes to connect with, for connect and device: only what is named
/// (an empty account or scope list would be refused, or mean the defaults anyway).
export interface ConnectOptions { account?: string; scopes?: string[] }
const connectBody = ({ account, scopes }: ConnectOptions) => ({ ...(account ? { account } : {}), ...(scopes?.length ? { scopes } : {}) });
const connPath = (provider: string, account: string) => `/v1/connections/${seg(provider)}/${seg(account)}`;

export const api = {
  /// Trades the pasted API key for a session token (the key is not kept).
  startSession: (apiKey: string) => call<Session>('POST', '/v1/sessions', {}, apiKey),
  endSession: () => call<{ ended: boolean }>('DELETE', '/v1/sessions/current'),
  whoami: () => call<Whoami>('GET', '/v1/whoami'),
  info: () => call<Info>('GET', '/v1/info'),
  keys: async () => (await call<{ keys: KeyRecord[] }>('GET', '/v1/keys')).keys,
  createKey: (body: { principal: string; role: string; label?: string; expires_in_s?: number }) =>
    call<IssuedKey>('POST', '/v1/keys', body),
  revokeKey: (id: string) => call<{ revoked: unknown }>('DELETE', `/v1/keys/${seg(id)}`),
  rotateKey: (id: string) => call<IssuedKey>('POST', `/v1/keys/${seg(id)}/rotate`),
  providers: () => call<Provider[]>('GET', '/v1/providers'),
  provider: (key: string) => call<Provider>('GET', `/v1/providers/${seg(key)}`),
  registerProvider: (def: Record<string, unknown>) => call<Provider>('POST', '/v1/providers', def),
  updateProvider: (key: string, def: Record<string, unknown>) => call<Provider>('PUT', `/v1/providers/${seg(key)}`, def),
  /// An MCP server (RFC 9728 → RFC 8414 → RFC 7591): the gateway registers itself as its client
  /// with its own callback and saves the provider and its app (201; never the client secret).
  discover: (body: { url: string; key: string; mcp: true; allow_private_network: boolean }) =>
    call<Provider>('POST', '/v1/providers/discover', body),
  deleteProvider: (key: string) => call<{ removed: boolean }>('DELETE', `/v1/providers/${seg(key)}?force=true`),
  /// The provider's app, or null when none is set (404).
  async app(key: string): Promise<App | null> {
    try {
      return await call<App>('GET', `/v1/providers/${seg(key)}/app`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  putApp: (key: string, app: { client_id: string; client_secret?: string; scopes?: string[] }) =>
    call<App>('PUT', `/v1/providers/${seg(key)}/app`, app),
  deleteApp: (key: string) => call<{ removed: boolean }>('DELETE', `/v1/providers/${seg(key)}/app`),
  authorize(key: string, { scopes, account, returnTo }: { scopes?: string[]; account?: string; returnTo?: string } = {}) {
    const q = new URLSearchParams();
    if (scopes && scopes.length) q.set('scopes', scopes.join(','));
    if (account) q.set('account', account);
    if (returnTo) q.set('return_to', returnTo);
    const qs = q.toString();
    return call<{ authorization_url: string; state: string; expires_at_ms: number }>('GET', `/v1/providers/${seg(key)}/authorize${qs ? `?${qs}` : ''}`);
  },
  connectClientCredentials: (key: string, opts: ConnectOptions) =>
    call<Connection>('POST', `/v1/providers/${seg(key)}/connect`, connectBody(opts)),
  /// Connecting with a code (RFC 8628).
  deviceStart: (key: string, opts: ConnectOptions) =>
    call<DeviceStart>('POST', `/v1/providers/${seg(key)}/device`, connectBody(opts)),
  /// One poll, answered at once: 200 with the connection when approved, 202 while the user has
  /// not answered; a refusal (provider_error) and expiry (state_expired) are errors.
  async devicePoll(key: string, handle: string): Promise<DevicePoll> {
    type Pending = { interval_ms: number; next_poll_at_ms: number; expires_at_ms: number };
    const r = await callWithStatus<Connection | Pending>('POST', `/v1/providers/${seg(key)}/device/poll`, { handle });
    if (r.status === 200) return { done: true, connection: r.json as Connection };
    const pending = r.json as Pending;
    const retryAfter = Number(r.headers.get('retry-after'));
    return { done: false, ...pending, retry_after_ms: retryAfter > 0 ? retryAfter * 1000 : pending.interval_ms };
  },
  connections: () => call<Connection[]>('GET', '/v1/connections'),
  disconnect: (provider: string, account: string, revoke = true) =>
    call<{ deleted: boolean; revoked: boolean; revocation_error: string | null }>('DELETE', `${connPath(provider, account)}${revoke ? '?revoke=true' : ''}`),
  /// The provider's declared ping, made by the gateway with the connection's token.
  ping: (provider: string, account: string) => call<PingResult>('POST', `${connPath(provider, account)}/ping`),
};
