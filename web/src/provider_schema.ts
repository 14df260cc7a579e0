// Generated from the core's provider schema (docs/provider-schema.json) by tests/schema/provider_schema.mjs --write: do not edit.

/** One provider definition (docs/provider-schema.md), as every read returns it. */
export interface ProviderDefinition {
  /** The provider's unique name, kebab-case (used in API paths and commands). */
  key: string;
  /** The name people see: 1 to 128 bytes, no control characters. */
  display_name: string;
  /** oauth2 (authorization code), client_credentials (no user), or oauth1 (OAuth 1.0a). */
  auth_mode: 'oauth2' | 'client_credentials' | 'oauth1';
  /** Where the user consents; required for oauth2 and oauth1, null for client_credentials. */
  authorization_endpoint: string | null;
  /** Where codes, refresh tokens and client credentials become tokens (OAuth 1.0a: the access-token URL). */
  token_endpoint: string | null;
  /** OAuth 1.0a temporary-credentials URL (RFC 5849 §2.1); only for oauth1. */
  request_token_endpoint?: string | null;
  /** OAuth 1.0a only: how requests are signed; RSA-SHA1 signs with the app's PEM private key. */
  signature_method?: 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1' | 'PLAINTEXT' | null;
  /** RFC 7009 token revocation, used by disconnect --revoke. */
  revocation_endpoint: string | null;
  /** OpenID Connect userinfo. */
  userinfo_endpoint: string | null;
  /** RFC 8628: set when the provider offers connecting with a code. */
  device_authorization_endpoint?: string | null;
  /** RFC 9126: when set, the authorization request's parameters are pushed here first. */
  pushed_authorization_request_endpoint?: string | null;
  /** RFC 8707: the protected resource the tokens are for (an MCP server's URL). */
  resource?: string | null;
  /** RFC 9207: a callback's iss must equal it when present. */
  issuer: string | null;
  /** RFC 9207 §2.4: the server always sends iss, so a callback without one is refused (needs issuer). */
  authorization_response_iss_parameter_supported: boolean;
  /** The API's base URL; its origin is where tokens go when injection.hosts is not given. */
  api_base_url: string | null;
  /** Scopes requested when a connection names none. */
  default_scopes: string[];
  /** How scopes are joined in the request. */
  scope_separator: ' ' | ',';
  /** The parameter that carries the scopes (usually scope). */
  scope_param: string;
  /** The client identifier's parameter name in every request (TikTok: client_key). */
  client_id_param?: string;
  /** PKCE S256 (RFC 7636): required, supported (sent), or unsupported (not sent). */
  pkce: 'required' | 'supported' | 'unsupported';
  /** How the client authenticates at the token endpoint; private_key_jwt signs a JWT (RFC 7523) with the app's key. */
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt' | 'signed_client_secret';
  /** For token_endpoint_auth_method signed_client_secret (the provider's or an app's): the client secret is a JWT latchkey signs per request with the app's PEM key, header {alg, kid: the app's key_id}, claims {iss, iat, exp, aud, sub: the client ID}; null: none. */
  signed_client_secret?: {
    /** iss, e.g. "{team_id}" (a template value the app supplies). */
    issuer: string;
    /** aud, e.g. "https://appleid.apple.com". */
    audience: string;
    /** ES256 (a P-256 key, such as Apple's .p8) or RS256 (an RSA key). */
    algorithm: 'ES256' | 'RS256';
    /** exp - iat. A fresh secret is signed for every request, so short is safer; at most six months. */
    lifetime_seconds: number;
  } | null;
  /** Extra parameters of the authorization request; latchkey's own (state, redirect_uri, …) are refused. */
  authorization_params: Record<string, string>;
  /** Extra parameters of every token request; latchkey's own (grant_type, code, …) are refused. */
  token_params: Record<string, string>;
  /** Extra parameters of the code exchange only (Shopify: expiring=1); latchkey's own are refused. */
  exchange_params?: Record<string, string>;
  /** Headers on every token endpoint request (grants and revocation). */
  token_request_headers?: Record<string, string>;
  /** Headers on every API request made with a connection's token (Notion-Version); the caller's own win. */
  api_headers?: Record<string, string>;
  /** Provider quirks in the token endpoint's answer. */
  token_response: {
    /** Dotted path of the object holding access_token etc.; empty for the top level. */
    root: string;
    /** Top-level members kept as connection extras (stored unsealed: never a token), each name at most 128 characters. */
    keep: string[];
    /** The unit of expires_in. */
    expires_in_unit: 'seconds' | 'milliseconds';
  };
  /** Values a connection supplies ({tenant}, {shop}), each used in a URL, injection host or parameter. */
  template_params: Record<string, {
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
  expiry_buffer_seconds: number;
  /** The token request's body: form (standard) or json. */
  token_exchange_body_format: 'form' | 'json';
  /** Where refresh grants go, when not the token endpoint. */
  refresh_endpoint: string | null;
  /** The refresh grant when it differs from RFC 6749 §6 (Instagram's ig_refresh_token), or its own parameters and answer root; null: the standard grant. */
  refresh?: {
    /** Where refreshes go; null: refresh_endpoint, else the token endpoint. */
    url: string | null;
    /** POST (a form or JSON body) or GET (every parameter in the query). */
    method: 'POST' | 'GET';
    /** The grant_type sent. */
    grant_type: string;
    /** Which token is exchanged: the refresh token or the current access token. */
    token: 'refresh_token' | 'access_token';
    /** The parameter that carries it. */
    token_param: string;
    /** Extra parameters of this grant only. */
    params: Record<string, string>;
    /** Whether the client authenticates (token_endpoint_auth_method) on this grant. */
    client_auth: boolean;
    /** Dotted path of the object holding the answer's tokens; null: token_response.root. */
    root: string | null;
  } | null;
  /** A grant made once right after the code exchange with the new access token, whose answer replaces it (Facebook's fb_exchange_token); null: none. */
  long_lived_exchange?: {
    /** Where the exchange goes. */
    url: string;
    /** POST (a form or JSON body) or GET (every parameter in the query). */
    method: 'POST' | 'GET';
    /** The grant_type sent. */
    grant_type: string;
    /** Which token is exchanged: the refresh token or the current access token. */
    token: 'refresh_token' | 'access_token';
    /** The parameter that carries it. */
    token_param: string;
    /** Extra parameters of this grant only. */
    params: Record<string, string>;
    /** Whether the client authenticates (token_endpoint_auth_method) on this grant. */
    client_auth: boolean;
    /** Dotted path of the object holding the answer's tokens; null: token_response.root. */
    root: string | null;
  } | null;
  /** The grant_type of the client-credentials grant, when not client_credentials (Zoom: account_credentials). */
  client_credentials_grant_type?: string;
  /** form (RFC 7009), bearer (the token in an Authorization header, no body: Dropbox) or json (RFC 7009's members as a JSON body). */
  revocation_style?: 'form' | 'bearer' | 'json';
  /** A cheap request that shows a connection works; null: none. */
  ping: {
    /** The request's method. */
    method: 'GET' | 'HEAD' | 'POST';
    /** The request's URL (its origin must be in injection.hosts). */
    url: string;
    /** Extra request headers. */
    headers: Record<string, string>;
    /** Dotted path of a member of the JSON answer that must be true (Slack: ok); null: a 2xx status is enough. */
    ok_path?: string | null;
  } | null;
  /** A request whose JSON answer names the account; null: none. */
  identity: {
    /** The request's URL (its origin must be in injection.hosts). */
    url: string;
    /** Dotted path of the answer's member that names the account. */
    account_path: string;
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
    query_param: string | null;
  };
  /** Scopes offered to choose from. */
  available_scopes: string[];
  /** Whether an app for this provider needs a client secret. */
  requires_client_secret: boolean;
  /** The managed app's configuration key; null: no managed app. */
  managed_service_config_key: string | null;
  /** Documentation for people (may point into a page with #section). */
  docs_url: string | null;
  /** The group the provider is listed under. */
  category: 'analytics' | 'communication' | 'crm' | 'design' | 'developer' | 'ecommerce' | 'finance' | 'hr' | 'identity' | 'marketing' | 'media' | 'other' | 'productivity' | 'social' | 'storage' | 'support';
  /** An https URL of the provider's logo, without placeholders; null: none. */
  logo_url: string | null;
  /** What each scope grants, one line (at most 200 bytes) per scope; every name is one of available_scopes. */
  scope_descriptions: Record<string, string>;
}

/** The rules of each member that has any, by path: anchored patterns (which read the same as
 * ECMAScript regular expressions), allowed values, length limits (bytes), and the patterns of
 * list items and member names. */
export const PROVIDER_FIELDS = {
  'key': { pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 64 },
  'auth_mode': { values: ['oauth2', 'client_credentials', 'oauth1'] },
  'signature_method': { values: ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] },
  'default_scopes': { itemPattern: '^[!#-\\[\\]-~]+$' },
  'scope_separator': { values: [' ', ','] },
  'scope_param': { pattern: '^[A-Za-z0-9_.\\-]+$' },
  'client_id_param': { pattern: '^[A-Za-z0-9_.\\-]+$' },
  'pkce': { values: ['required', 'supported', 'unsupported'] },
  'token_endpoint_auth_method': { values: ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt', 'signed_client_secret'] },
  'signed_client_secret.algorithm': { values: ['ES256', 'RS256'] },
  'token_request_headers': { namePattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'api_headers': { namePattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'token_response.root': { pattern: '^([^.]+(\\.[^.]+)*)?$', maxLength: 128 },
  'token_response.expires_in_unit': { values: ['seconds', 'milliseconds'] },
  'template_params': { namePattern: '^[a-z][a-z0-9_]{0,31}$' },
  'template_params.*.take': { values: ['value', 'host'] },
  'token_exchange_body_format': { values: ['form', 'json'] },
  'refresh.method': { values: ['POST', 'GET'] },
  'refresh.grant_type': { pattern: '^[A-Za-z0-9_.:\\-]+$' },
  'refresh.token': { values: ['refresh_token', 'access_token'] },
  'refresh.token_param': { pattern: '^[A-Za-z0-9_.\\-]+$' },
  'long_lived_exchange.method': { values: ['POST', 'GET'] },
  'long_lived_exchange.grant_type': { pattern: '^[A-Za-z0-9_.:\\-]+$' },
  'long_lived_exchange.token': { values: ['refresh_token', 'access_token'] },
  'long_lived_exchange.token_param': { pattern: '^[A-Za-z0-9_.\\-]+$' },
  'client_credentials_grant_type': { pattern: '^[A-Za-z0-9_.:\\-]+$' },
  'revocation_style': { values: ['form', 'bearer', 'json'] },
  'ping.method': { values: ['GET', 'HEAD', 'POST'] },
  'ping.headers': { namePattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'ping.ok_path': { pattern: '^[^.]+(\\.[^.]+)*$' },
  'identity.account_path': { pattern: '^[^.]+(\\.[^.]+)*$' },
  'identity.headers': { namePattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'metadata.method': { values: ['GET', 'POST'] },
  'metadata.headers': { namePattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'injection.header': { pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z\\-]+$' },
  'available_scopes': { itemPattern: '^[!#-\\[\\]-~]+$' },
  'managed_service_config_key': { pattern: '^[A-Za-z0-9_.\\-]*$', maxLength: 64 },
  'category': { values: ['analytics', 'communication', 'crm', 'design', 'developer', 'ecommerce', 'finance', 'hr', 'identity', 'marketing', 'media', 'other', 'productivity', 'social', 'storage', 'support'] },
  'scope_descriptions': { namePattern: '^[!#-\\[\\]-~]+$' },
} as const;
