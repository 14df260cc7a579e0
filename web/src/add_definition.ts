// The provider definition the dialog's fields describe (a custom provider), in the core's
// schema (docs/provider-schema.md): what is registered, checked by the core in the page and
// shown in the consent preview.
import { state, value } from './add_state';
import * as v from './validate';

export function definition(): Record<string, unknown> {
  const { kind } = state;
  const get = (n: string) => value(n).trim();
  const key = get('key');
  const scopes = v.parseScopes(value('scopes'));
  const base = get('api_base_url').replace(/\/+$/, '');
  const ping = get('ping_url');
  const secretGiven = value('client_secret') !== '';
  if (kind === 'oauth1') return oauth1Definition(get, base, ping);
  const def: Record<string, unknown> = {
    key, display_name: get('display_name'), auth_mode: kind === 'client_credentials' ? 'client_credentials' : 'oauth2',
    token_endpoint: get('token_endpoint'), api_base_url: base, default_scopes: scopes,
    token_endpoint_auth_method: secretGiven ? 'client_secret_basic' : 'none',
    requires_client_secret: secretGiven,
  };
  if (get('revocation_endpoint')) def.revocation_endpoint = get('revocation_endpoint');
  if (ping) def.ping = { method: 'GET', url: ping, headers: {} };
  if (kind === 'oauth2') {
    def.authorization_endpoint = get('authorization_endpoint');
    def.pkce = value('pkce') === 'on' ? 'required' : 'unsupported';
    if (get('issuer')) def.issuer = get('issuer');
    if (get('userinfo_endpoint')) {
      def.userinfo_endpoint = get('userinfo_endpoint');
      def.identity = { url: get('userinfo_endpoint'), account_path: 'sub', headers: {} };
    }
  } else {
    def.pkce = 'unsupported';
    def.token_endpoint_auth_method = 'client_secret_basic';
    def.requires_client_secret = true;
    if (get('audience')) def.token_params = { audience: get('audience') };
  }
  return withTokenOrigins(def);
}

/// The origins the user named as places the token goes (API base, Test URL, user info or account
/// URL) as the provider's injection.hosts: the core sends a token to a listed origin only, and a
/// user info endpoint usually lives on the authorization server, not the API's origin.
function withTokenOrigins(def: Record<string, unknown>): Record<string, unknown> {
  const urls = [def.api_base_url, (def.ping as { url?: string } | undefined)?.url,
    (def.identity as { url?: string } | undefined)?.url];
  const origins: string[] = [];
  for (const u of urls) {
    if (typeof u !== 'string' || u === '') continue;
    try {
      const o = new URL(u).origin;
      if (!origins.includes(o)) origins.push(o);
    } catch { /* validation reports a bad URL */ }
  }
  if (origins.length > 0) def.injection = { hosts: origins };
  return def;
}

/// A Custom OAuth 1.0 provider (the fields of the catalog's custom-oauth1 template). Only what
/// the core reads for auth_mode oauth1 is set: it signs every request with the consumer secret,
/// so the secret is always required (requires_client_secret's default), and it reads neither
/// pkce nor token_endpoint_auth_method; no scopes (default_scopes' default).
function oauth1Definition(get: (n: string) => string, base: string, ping: string): Record<string, unknown> {
  const def: Record<string, unknown> = {
    key: get('key'), display_name: get('display_name'), auth_mode: 'oauth1',
    request_token_endpoint: get('request_token_endpoint'), authorization_endpoint: get('authorization_endpoint'),
    token_endpoint: get('token_endpoint'), signature_method: get('signature_method'), api_base_url: base,
  };
  if (ping) def.ping = { method: 'GET', url: ping, headers: {} };
  if (get('identity_url')) def.identity = { url: get('identity_url'), account_path: get('account_path') || 'id', headers: {} };
  return withTokenOrigins(def);
}
