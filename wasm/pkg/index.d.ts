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
  list(prefix: string): Promise<Array<{ key: string; value: string; version: number }>>;
}

export function memoryStorage(): StorageAdapter;
export function localStorageAdapter(store?: Storage, options?: { prefix?: string }): StorageAdapter;

export interface BrokerOptions {
  storage?: StorageAdapter;
  fetch?: typeof globalThis.fetch;
  /** 32 bytes (Uint8Array or base64). Required to reopen persistent storage; random otherwise. */
  masterKey?: Uint8Array | string;
  now?: () => number;
  random?: (n: number) => Uint8Array;
  principal?: string;
  /** The module's bytes, or a compiled module (edge runtimes import .wasm files as modules). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmModule?: WebAssembly.Module;
}

export interface Provider {
  key: string;
  displayName: string;
  authMode: 'oauth2' | 'client_credentials' | 'oauth1';
  authorizationEndpoint: string | null;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  userinfoEndpoint: string | null;
  issuer: string | null;
  apiBaseUrl: string | null;
  defaultScopes: string[];
  pkce: 'required' | 'supported' | 'unsupported';
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  availableScopes: string[];
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
  grant: 'authorization_code' | 'client_credentials' | 'device_code';
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

export type ConnectionId = string | { provider: string; account?: string };

export interface Broker {
  providers: {
    list(options?: { search?: string[]; supportsManaged?: boolean }): Promise<Provider[]>;
    get(key: string): Promise<Provider>;
    register(definition: Record<string, unknown>): Promise<Provider>;
    update(definition: Record<string, unknown>): Promise<Provider>;
    discover(issuerUrl: string, options?: { key?: string }): Promise<Provider>;
    remove(key: string, options?: { force?: boolean }): Promise<{ removed: boolean; connectionsRemoved: number }>;
  };
  apps: {
    upsert(app: {
      provider: string; clientId: string; clientSecret?: string; redirectUri?: string; scopes?: string[];
      templateValues?: Record<string, string>;
    }): Promise<App>;
    get(provider: string): Promise<App>;
    list(): Promise<App[]>;
    remove(provider: string): Promise<{ removed: boolean }>;
  };
  authorize(provider: string, options?: {
    redirectUri?: string; scopes?: string[]; account?: string; extraParams?: Record<string, string>;
    templateValues?: Record<string, string>; principal?: string;
  }): Promise<{ url: string; state: string; expiresAt: number }>;
  handleCallback(callbackUrl: string | URL, options?: { principal?: string }): Promise<Connection>;
  connectClientCredentials(provider: string, options?: { scopes?: string[]; account?: string; principal?: string }): Promise<Connection>;
  getAccessToken(connection: ConnectionId, options?: { forceRefresh?: boolean }): Promise<string>;
  getToken(connection: ConnectionId, options?: { forceRefresh?: boolean }): Promise<Token>;
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
