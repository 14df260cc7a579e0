// Types for @latchkey/wasm. Every method rejects with a LatchkeyError carrying the core's code.

export type ErrorCode =
  | 'invalid_request' | 'invalid_state' | 'state_expired' | 'state_reused' | 'provider_error'
  | 'invalid_grant' | 'needs_reauth' | 'malformed_response' | 'transport' | 'not_found' | 'conflict'
  | 'unsupported' | 'rate_limited' | 'crypto' | 'storage' | 'internal';

export class LatchkeyError extends Error {
  readonly code: ErrorCode;
  /** The provider's OAuth `error`, when it sent one. */
  readonly providerError?: string;
  readonly providerErrorDescription?: string;
  readonly httpStatus?: number;
  /** When retrying makes sense again (unix ms), for rate_limited. */
  readonly retryAt?: number;
}

/** Where connections live. Values are opaque strings (already sealed); versions grow on every write. */
export interface StorageAdapter {
  get(key: string): Promise<{ value: string; version: number } | null>;
  put(key: string, value: string): Promise<number>;
  /** Writes only if the stored version is `expectedVersion` (0: only if absent); null on conflict. */
  cas(key: string, value: string, expectedVersion: number): Promise<number | null>;
  delete(key: string, expectedVersion?: number): Promise<{ found: boolean; conflict?: boolean }>;
  /**
   * The records whose key starts with `prefix`, in key order: the first `limit` of them, or all
   * when `limit` is 0 or absent. An adapter that ignores `limit` still works (the core keeps the
   * first `limit`), but then reads what it need not.
   */
  list(prefix: string, limit?: number): Promise<Array<{ key: string; value: string; version: number }>>;
  /** false: nothing outlives the broker (memoryStorage), so createBroker needs no masterKey. */
  readonly persistent?: boolean;
}

export { memoryStorage } from './adapters/memory.js';
export { localStorageAdapter } from './adapters/local_storage.js';

export interface BrokerOptions {
  storage?: StorageAdapter;
  fetch?: typeof globalThis.fetch;
  /**
   * 32 bytes (Uint8Array or base64), the same on every start. Required with any storage but
   * memoryStorage(): createBroker rejects with 'invalid_request' without one.
   */
  masterKey?: Uint8Array | string;
  now?: () => number;
  random?: (n: number) => Uint8Array;
  principal?: string;
  /** The module's bytes, or a compiled module (edge runtimes import .wasm files as modules). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmModule?: WebAssembly.Module;
  /** How the broker waits when the core asks it to wait until a time (refresh backoff, a peer's
   * refresh, device polling): called with what is left until then
   * (from the `now()` the core was last given); resolve after `ms`,
   * reject with `signal.reason` once it aborts. setTimeout by default. Once it resolves the broker
   * resumes the core at that time even if `now()` says earlier. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

// BEGIN provider schema: Generated from the core's provider schema (docs/provider-schema.json) by tests/schema/provider_schema.mjs --write: do not edit.
/** How the client authenticates at the token endpoint; private_key_jwt (RFC 7523) signs an
 * assertion with the app's PEM private key (its client secret); signed_client_secret signs the client secret
 * itself with that key, as the provider's signedClientSecret says (Sign in with Apple). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt' | 'signed_client_secret';

/** One provider definition (docs/provider-schema.md), as every read returns it. */
export interface ProviderDefinition {
  /** The provider's unique name, kebab-case (used in API paths and commands). */
  key: string;
  /** The name people see: 1 to 128 bytes, no control characters. */
  displayName: string;
  /** oauth2 (authorization code), client_credentials (no user), or oauth1 (OAuth 1.0a). */
  authMode: 'oauth2' | 'client_credentials' | 'oauth1';
  /** Where the user consents; required for oauth2 and oauth1, null for client_credentials. */
  authorizationEndpoint: string | null;
  /** Where codes, refresh tokens and client credentials become tokens (OAuth 1.0a: the access-token URL). */
  tokenEndpoint: string | null;
  /** OAuth 1.0a temporary-credentials URL (RFC 5849 §2.1); only for oauth1. */
  requestTokenEndpoint?: string | null;
  /** OAuth 1.0a only: how requests are signed; RSA-SHA1 signs with the app's PEM private key. */
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1' | 'PLAINTEXT' | null;
  /** RFC 7009 token revocation, used by disconnect --revoke. */
  revocationEndpoint: string | null;
  /** OpenID Connect userinfo. */
  userinfoEndpoint: string | null;
  /** RFC 8628: set when the provider offers connecting with a code. */
  deviceAuthorizationEndpoint?: string | null;
  /** RFC 9126: when set, the authorization request's parameters are pushed here first. */
  pushedAuthorizationRequestEndpoint?: string | null;
  /** RFC 8707: the protected resource the tokens are for (an MCP server's URL). */
  resource?: string | null;
  /** RFC 9207: a callback's iss must equal it when present. */
  issuer: string | null;
  /** RFC 9207 §2.4: the server always sends iss, so a callback without one is refused (needs issuer). */
  authorizationResponseIssParameterSupported: boolean;
  /** The API's base URL; its origin is where tokens go when injection.hosts is not given. */
  apiBaseUrl: string | null;
  /** Scopes requested when a connection names none. */
  defaultScopes: string[];
  /** How scopes are joined in the request. */
  scopeSeparator: ' ' | ',';
  /** The parameter that carries the scopes (usually scope). */
  scopeParam: string;
  /** The client identifier's parameter name in every request (TikTok: client_key). */
  clientIdParam?: string;
  /** PKCE S256 (RFC 7636): required, supported (sent), or unsupported (not sent). */
  pkce: 'required' | 'supported' | 'unsupported';
  /** How the client authenticates at the token endpoint; private_key_jwt signs a JWT (RFC 7523) with the app's key. */
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** For token_endpoint_auth_method signed_client_secret (the provider's or an app's): the client secret is a JWT latchkey signs per request with the app's PEM key, header {alg, kid: the app's key_id}, claims {iss, iat, exp, aud, sub: the client ID}; null: none. */
  signedClientSecret?: {
    /** iss, e.g. "{team_id}" (a template value the app supplies). */
    issuer: string;
    /** aud, e.g. "https://appleid.apple.com". */
    audience: string;
    /** ES256 (a P-256 key, such as Apple's .p8) or RS256 (an RSA key). */
    algorithm: 'ES256' | 'RS256';
    /** exp - iat. A fresh secret is signed for every request, so short is safer; at most six months. */
    lifetimeSeconds: number;
  } | null;
  /** Extra parameters of the authorization request; latchkey's own (state, redirect_uri, …) are refused. */
  authorizationParams: Record<string, string>;
  /** Extra parameters of every token request; latchkey's own (grant_type, code, …) are refused. */
  tokenParams: Record<string, string>;
  /** Extra parameters of the code exchange only (Shopify: expiring=1); latchkey's own are refused. */
  exchangeParams?: Record<string, string>;
  /** Headers on every token endpoint request (grants and revocation). */
  tokenRequestHeaders?: Record<string, string>;
  /** Headers on every API request made with a connection's token (Notion-Version); the caller's own win. */
  apiHeaders?: Record<string, string>;
  /** Provider quirks in the token endpoint's answer. */
  tokenResponse: {
    /** Dotted path of the object holding access_token etc.; empty for the top level. */
    root: string;
    /** Top-level members kept as connection extras (stored unsealed: never a token), each name at most 128 characters. */
    keep: string[];
    /** The unit of expires_in. */
    expiresInUnit: 'seconds' | 'milliseconds';
  };
  /** Values a connection supplies ({tenant}, {shop}), each used in a URL, injection host or parameter. */
  templateParams: Record<string, {
    /** An anchored pattern (^…$) every value must match. */
    pattern: string;
    /** The value used when none is given; null: a value is required. */
    default?: string | null;
    /** What the value is, for people. */
    description: string;
    /** Learned when connecting, never given: token_response.PATH, callback.NAME or metadata.PATH, alternatives joined by ' || ' (the first present wins, then the default). */
    from?: string | null;
    /** What of the learned value is kept: the value itself, or the host (and port) of an https URL. */
    take?: 'value' | 'host';
  }>;
  /** How long before expiry a token is refreshed. */
  expiryBufferSeconds: number;
  /** The token request's body: form (standard) or json. */
  tokenExchangeBodyFormat: 'form' | 'json';
  /** Where refresh grants go, when not the token endpoint. */
  refreshEndpoint: string | null;
  /** The refresh grant when it differs from RFC 6749 §6 (Instagram's ig_refresh_token), or its own parameters and answer root; null: the standard grant. */
  refresh?: {
    /** Where refreshes go; null: refresh_endpoint, else the token endpoint. */
    url: string | null;
    /** POST (a form or JSON body) or GET (every parameter in the query). */
    method: 'POST' | 'GET';
    /** The grant_type sent. */
    grantType: string;
    /** Which token is exchanged: the refresh token or the current access token. */
    token: 'refresh_token' | 'access_token';
    /** The parameter that carries it. */
    tokenParam: string;
    /** Extra parameters of this grant only. */
    params: Record<string, string>;
    /** Whether the client authenticates (token_endpoint_auth_method) on this grant. */
    clientAuth: boolean;
    /** Dotted path of the object holding the answer's tokens; null: token_response.root. */
    root: string | null;
  } | null;
  /** A grant made once right after the code exchange with the new access token, whose answer replaces it (Facebook's fb_exchange_token); null: none. */
  longLivedExchange?: {
    /** Where the exchange goes. */
    url: string;
    /** POST (a form or JSON body) or GET (every parameter in the query). */
    method: 'POST' | 'GET';
    /** The grant_type sent. */
    grantType: string;
    /** Which token is exchanged: the refresh token or the current access token. */
    token: 'refresh_token' | 'access_token';
    /** The parameter that carries it. */
    tokenParam: string;
    /** Extra parameters of this grant only. */
    params: Record<string, string>;
    /** Whether the client authenticates (token_endpoint_auth_method) on this grant. */
    clientAuth: boolean;
    /** Dotted path of the object holding the answer's tokens; null: token_response.root. */
    root: string | null;
  } | null;
  /** The grant_type of the client-credentials grant, when not client_credentials (Zoom: account_credentials). */
  clientCredentialsGrantType?: string;
  /** form (RFC 7009), bearer (the token in an Authorization header, no body: Dropbox) or json (RFC 7009's members as a JSON body). */
  revocationStyle?: 'form' | 'bearer' | 'json';
  /** A cheap request that shows a connection works; null: none. */
  ping: {
    /** The request's method. */
    method: 'GET' | 'HEAD' | 'POST';
    /** The request's URL (its origin must be in injection.hosts). */
    url: string;
    /** Extra request headers. */
    headers: Record<string, string>;
    /** Dotted path of a member of the JSON answer that must be true (Slack: ok); null: a 2xx status is enough. */
    okPath?: string | null;
  } | null;
  /** A request whose JSON answer names the account; null: none. */
  identity: {
    /** The request's URL (its origin must be in injection.hosts). */
    url: string;
    /** Dotted path of the answer's member that names the account. */
    accountPath: string;
    /** Extra request headers. */
    headers: Record<string, string>;
  } | null;
  /** A request made once at connect time, with the new token, whose JSON answer template_params learn from (metadata.PATH); null: none. */
  metadata?: {
    /** The request's method. */
    method: 'GET' | 'POST';
    /** The request's URL (its origin must be in injection.hosts). */
    url: string;
    /** Extra request headers. */
    headers: Record<string, string>;
  } | null;
  /** Where a token may be sent and how. */
  injection: {
    /** Origins a token may go to: https://host[:port], https://*.domain, or http to loopback; a bare host means https. */
    hosts: string[];
    /** The header that carries the token; null when it goes in the query. */
    header: string | null;
    /** Written before the token in the header. */
    prefix: string;
    /** The query parameter that carries the token instead of a header. */
    queryParam: string | null;
  };
  /** Scopes offered to choose from. */
  availableScopes: string[];
  /** Whether an app for this provider needs a client secret. */
  requiresClientSecret: boolean;
  /** The managed app's configuration key; null: no managed app. */
  managedServiceConfigKey: string | null;
  /** Documentation for people (may point into a page with #section). */
  docsUrl: string | null;
  /** The group the provider is listed under. */
  category: 'analytics' | 'communication' | 'crm' | 'design' | 'developer' | 'ecommerce' | 'finance' | 'hr' | 'identity' | 'marketing' | 'media' | 'other' | 'productivity' | 'social' | 'storage' | 'support';
  /** An https URL of the provider's logo, without placeholders; null: none. */
  logoUrl: string | null;
  /** What each scope grants, one line (at most 200 bytes) per scope; every name is one of available_scopes. */
  scopeDescriptions: Record<string, string>;
}
// END provider schema

/** A provider as the broker returns it: its definition, and how this broker holds it. */
export interface Provider extends ProviderDefinition {
  builtin: boolean;
  mode: 'managed' | 'your-own';
  hasApp: boolean;
  supportsManaged: boolean;
  [more: string]: unknown;
}

export interface App {
  provider: string;
  clientId: string;
  /** The secret itself is never returned. */
  hasClientSecret: boolean;
  /** Set when the app overrides the provider's method (e.g. 'private_key_jwt'). */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  /** private_key_jwt: the key's `kid` at the provider. */
  keyId?: string;
  /** An app registered by providers.discover (RFC 7591): whether the server issued a registration
   * access token (sealed; never returned), its registration URI, and when the client secret
   * expires (unix ms; null: never). Past that, authorize and refreshes reject with invalid_request. */
  hasRegistrationAccessToken?: boolean;
  registrationClientUri?: string | null;
  clientSecretExpiresAtMs?: number | null;
  redirectUri: string;
  scopes: string[];
  templateValues: Record<string, string>;
  updatedAtMs: number | null;
}

export interface Connection {
  /** "provider/account": pass it to getAccessToken, fetch, status and disconnect. */
  id: string;
  principal: string;
  provider: string;
  account: string;
  status: 'connected' | 'needs_reauth';
  /** oauth1: OAuth 1.0a token credentials (they never expire; requests are signed, see fetch). */
  grant: 'authorization_code' | 'client_credentials' | 'device_code' | 'oauth1';
  scope: string;
  tokenType: string;
  expiresAtMs: number | null;
  hasRefreshToken: boolean;
  createdAtMs: number | null;
  updatedAtMs: number | null;
  lastError: string | null;
  extras: Record<string, unknown>;
}

export interface Token {
  accessToken: string;
  tokenType: string;
  expiresAtMs: number | null;
  refreshed: boolean;
  extras: Record<string, unknown>;
}

/** A device authorization in progress (RFC 8628): show `userCode` and `verificationUri` (or
 * `verificationUriComplete`) to the user — none of them is secret — then `wait()`. */
export interface DeviceAuthorization {
  userCode: string;
  verificationUri: string;
  /** The URI with the code in it (e.g. for a QR code), when the provider gives one. */
  verificationUriComplete: string | null;
  /** When the code expires, or the `timeout` given to device() ends the sign-in (unix ms). */
  expiresAt: number;
  /** The provider's polling interval at the start, in milliseconds. */
  interval: number;
  /** Polls until the user approves (the connection, grant 'device_code'); rejects with
   * provider_error (providerError 'access_denied') on a refusal, state_expired once the code
   * expires or device()'s `timeout` has passed, or the signal's reason when aborted (wait() again
   * to resume). */
  wait(options?: { signal?: AbortSignal }): Promise<Connection>;
  /** One poll without waiting (a host that cannot keep a call open): pending with when to ask
   * again until the user decides, then the connection; rejects as wait() does. The provider is
   * asked at most once per interval however often this is called. */
  poll(): Promise<
    | { pending: true; interval: number; nextPollAt: number; expiresAt: number }
    | { pending: false; connection: Connection }>;
}

export type ConnectionId = string | { provider: string; account?: string };

export interface Broker {
  providers: {
    list(options?: { search?: string[]; supportsManaged?: boolean }): Promise<Provider[]>;
    get(key: string): Promise<Provider>;
    register(definition: Record<string, unknown>): Promise<Provider>;
    update(definition: Record<string, unknown>): Promise<Provider>;
    /** An issuer's metadata (OpenID Connect / RFC 8414). `key` defaults to one made from the host.
     * The issuer and the endpoints its metadata names may be loopback or private addresses only
     * with `allowPrivateNetwork`. */
    discover(url: string, options?: { key?: string; mcp?: false; allowPrivateNetwork?: boolean }): Promise<Provider>;
    /** An MCP server: RFC 9728 → RFC 8414 → RFC 7591 registration with `redirectUri` (required: the
     * callback registered at its authorization server), then the provider (with `resource`) and
     * its app are saved. Loopback and private addresses only with `allowPrivateNetwork`. */
    discover(url: string, options: { key?: string; mcp: true; redirectUri: string; allowPrivateNetwork?: boolean }): Promise<Provider>;
    remove(key: string, options?: { force?: boolean }): Promise<{ removed: boolean; connectionsRemoved: number }>;
  };
  apps: {
    upsert(app: {
      provider: string; clientId: string; clientSecret?: string; redirectUri?: string; scopes?: string[];
      templateValues?: Record<string, string>;
      /** e.g. "private_key_jwt" (clientSecret is then the PEM private key); "" goes back to the provider's. */
      tokenEndpointAuthMethod?: ClientAuthMethod | ''; keyId?: string;
    }): Promise<App>;
    get(provider: string): Promise<App>;
    list(): Promise<App[]>;
    remove(provider: string): Promise<{ removed: boolean }>;
  };
  authorize(provider: string, options?: {
    redirectUri?: string; scopes?: string[]; account?: string; extraParams?: Record<string, string>;
    templateValues?: Record<string, string>; principal?: string;
  }): Promise<{ url: string; state: string; expiresAt: number }>;
  /** The URL the provider redirected to: state + code (OAuth 2.0) or oauth_token + oauth_verifier (OAuth 1.0a). */
  handleCallback(callbackUrl: string | URL, options?: { principal?: string }): Promise<Connection>;
  /** Starts the device grant for a provider with a device_authorization_endpoint. `timeout`
   * (milliseconds) ends the sign-in sooner than the code's own lifetime: wait() and poll() then
   * reject with state_expired, as for an expired code. */
  device(provider: string, options?: {
    scopes?: string[]; account?: string; templateValues?: Record<string, string>; principal?: string;
    timeout?: number;
  }): Promise<DeviceAuthorization>;
  connectClientCredentials(provider: string, options?: { scopes?: string[]; account?: string; principal?: string }): Promise<Connection>;
  getAccessToken(connection: ConnectionId, options?: { forceRefresh?: boolean }): Promise<string>;
  getToken(connection: ConnectionId, options?: { forceRefresh?: boolean }): Promise<Token>;
  /** fetch() as the connected account: a bearer token (OAuth 2.0) or a signed Authorization
   * header (OAuth 1.0a: form bodies are signed, other text bodies carry oauth_body_hash; a binary
   * body is refused with 'unsupported' there). */
  fetch(connection: ConnectionId, input: string | URL | Request, init?: RequestInit): Promise<Response>;
  status(connection: ConnectionId): Promise<Connection>;
  connections(): Promise<Connection[]>;
  disconnect(connection: ConnectionId, options?: { revoke?: boolean }): Promise<{ deleted: boolean; revoked: boolean; revocationError: string | null }>;
  /** Records the master key's check value the first time; rejects with 'crypto' for another key. createBroker runs it. */
  checkMasterKey(): Promise<void>;
  reseal(): Promise<{ resealed: number; skipped: number; failed: number }>;
  close(): void;
}

export function createBroker(options?: BrokerOptions): Promise<Broker>;
