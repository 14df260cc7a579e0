// The fields each kind of provider needs in the Add / Edit / Duplicate dialog (a built-in
// provider's app, a custom OAuth 2.0, client-credentials or OAuth 1.0 provider, an MCP server),
// with the check each runs as the user types.
import type { Provider } from './api';
import { callbackUrl, state, uniqueKey, type Field, type Kind } from './add_state';
import * as v from './validate';

function scopeField(value: string, p?: Provider | null): Field {
  const avail = p?.available_scopes?.length ? `Available: ${p.available_scopes.slice(0, 12).join(' ')}${p.available_scopes.length > 12 ? ' …' : ''}` : 'Separated by spaces or commas.';
  return { name: 'scopes', label: 'Scopes', value, hint: avail, check: v.scopes };
}

/// The gateway's redirect URI (GET /v1/info), to copy into the provider's app settings.
function callbackField(hint = 'Register this redirect URI with the provider.'): Field {
  return { name: 'callback', label: 'Callback URL', type: 'readonly', value: callbackUrl(), hint };
}

/// OAuth 1.0 calls the client its consumer (RFC 5849 keeps the older names).
const isOAuth1 = (k: Kind | null, p?: Provider | null) => k === 'oauth1' || p?.auth_mode === 'oauth1';

function secretField(p: Provider | null): Field {
  const { app, kind } = state;
  const set = !!(p && app && app.provider === p.key && app.has_client_secret);
  const o1 = isOAuth1(kind, p);
  return {
    name: 'client_secret', label: o1 ? 'Consumer secret' : 'Client secret', type: set ? 'secret' : 'password',
    hint: o1 ? 'Write-only: sealed by the gateway and never shown again. For RSA-SHA1, paste the PEM private key.'
      : 'Write-only: it is sealed by the gateway and never shown again.',
    check: (x) => v.clientSecret(x, { required: !set && (state.kind === 'client_credentials' || state.kind === 'oauth1') }),
  };
}

export function fieldsFor(k: Kind, p: Provider | null, prefill: Record<string, string> = {}): Field[] {
  const { app, spec } = state;
  const facts = p && app?.provider === p.key ? app : null;
  const clientIdValue = prefill.client_id ?? facts?.client_id ?? '';
  const scopesValue = prefill.scopes ?? (facts?.scopes.length ? facts.scopes : p?.default_scopes ?? []).join(' ');
  const cid: Field = { name: 'client_id', label: isOAuth1(k, p) ? 'Consumer key' : 'Client ID', value: clientIdValue, check: v.clientId };
  if (k === 'mcp') return mcpFields(prefill);
  const account: Field[] = spec.mode === 'duplicate' && k === 'builtin'
    ? [{ name: 'account', label: 'Account name', hint: 'A name for the second account, e.g. work.', check: (x) => (x.trim() ? '' : 'An account name is required to connect another account.') }]
    : [];
  if (k === 'builtin' || spec.mode === 'edit') {
    const scopes = isOAuth1(k, p) && !p?.default_scopes?.length ? [] : [scopeField(scopesValue, p)];
    const server: Field[] = p?.resource
      ? [{ name: 'resource', label: 'Server URL', type: 'readonly', value: p.resource, hint: 'The MCP server this provider was discovered from; its tokens are for it alone (RFC 8707).' }]
      : [];
    // A redirect to register, unless there is none (client credentials) or the gateway
    // registered itself (a discovered MCP server).
    const mode = p?.auth_mode ?? (k === 'oauth1' ? 'oauth1' : k === 'client_credentials' ? 'client_credentials' : 'oauth2');
    const callback = mode !== 'client_credentials' && !p?.resource
      ? [callbackField(p ? `Register this redirect URI in your app's settings at ${p.display_name}.` : undefined)] : [];
    return [...server, cid, secretField(spec.mode === 'duplicate' && k !== 'builtin' ? null : p), ...scopes, ...callback, ...account];
  }
  const naming: Field[] = [
    { name: 'display_name', label: 'Name', value: prefill.display_name ?? '', check: v.displayName },
    keyField(prefill.key ?? ''),
  ];
  const url = (name: string, label: string, opt: Partial<Field> & { required?: boolean } = {}): Field => ({
    name, label, type: 'url', value: prefill[name] ?? '', ...opt,
    check: (x) => v.endpointUrl(x, { required: opt.required ?? true, label }),
  });
  if (k === 'oauth2') {
    return [...naming,
      url('authorization_endpoint', 'Authorization URL'),
      url('token_endpoint', 'Token URL'),
      url('api_base_url', 'API base URL', { hint: 'Requests through the gateway go here; tokens are sent only to this origin and those of the Test and user info URLs.' }),
      cid, secretField(null), scopeField(prefill.scopes ?? ''),
      callbackField(),
      { name: 'pkce', label: 'Enable PKCE (S256)', type: 'checkbox', checked: prefill.pkce !== 'off' },
      url('issuer', 'Issuer', { required: false, advanced: true, hint: 'Checked against the iss of the callback (RFC 9207).' }),
      url('userinfo_endpoint', 'User info URL', { required: false, advanced: true, hint: 'Names the account from its "sub".' }),
      url('revocation_endpoint', 'Revocation URL', { required: false, advanced: true }),
      url('ping_url', 'Test URL', { required: false, advanced: true, hint: 'A GET request Test makes with the connection\'s token (e.g. the user info URL or a cheap API call).' }),
    ];
  }
  if (k === 'oauth1') {
    return [...naming,
      url('request_token_endpoint', 'Request token URL', { hint: 'Temporary credentials (RFC 5849 §2.1).' }),
      url('authorization_endpoint', 'Authorization URL'),
      url('token_endpoint', 'Access token URL'),
      url('api_base_url', 'API base URL', { hint: 'Requests through the gateway go here; they are signed only for this origin and those of the Test and account URLs.' }),
      cid, secretField(null),
      { name: 'signature_method', label: 'Signature method', type: 'select', options: [...v.SIGNATURE_METHODS], value: prefill.signature_method ?? 'HMAC-SHA1' },
      callbackField('Register this callback with the provider.'),
      url('identity_url', 'Account URL', { required: false, advanced: true, hint: 'A signed GET whose JSON names the account (e.g. …/account/verify_credentials).' }),
      { name: 'account_path', label: 'Account field', value: prefill.account_path ?? '', advanced: true, hint: 'The field of that answer that names the account, e.g. screen_name.', check: v.accountPath },
      url('ping_url', 'Test URL', { required: false, advanced: true, hint: 'A GET request Test makes, signed with the connection.' }),
    ];
  }
  if (k === 'client_credentials') {
    return [...naming,
      url('token_endpoint', 'Token URL'),
      url('api_base_url', 'API base URL', { hint: 'Tokens are sent only to this origin and that of the Test URL.' }),
      cid, secretField(null), scopeField(prefill.scopes ?? ''),
      { name: 'audience', label: 'Audience', value: prefill.audience ?? '', hint: 'Optional: sent as audience= to the token endpoint.', check: v.audience },
      url('revocation_endpoint', 'Revocation URL', { required: false, advanced: true }),
      url('ping_url', 'Test URL', { required: false, advanced: true, hint: 'A GET request Test makes with the connection\'s token.' }),
    ];
  }
  return [];
}

/// An MCP server: its URL, the key, and whether its metadata may lead into private networks.
/// The client ID, secret, endpoints and scopes all come from discovery.
function mcpFields(prefill: Record<string, string>): Field[] {
  return [
    { name: 'url', label: 'Server URL', type: 'url', value: prefill.url ?? '', check: v.serverUrl,
      hint: 'The address MCP clients connect to, e.g. https://mcp.example.com/mcp. The gateway reads its metadata (RFC 9728) and registers itself with its authorization server (RFC 7591).' },
    keyField(prefill.key ?? ''),
    { name: 'allow_private_network', label: 'Allow private network addresses (localhost, LAN)', type: 'checkbox', checked: prefill.allow_private_network === 'on',
      hint: 'Only for a server you run or trust: its metadata may then lead the gateway to loopback and private addresses inside the gateway\'s own network.' },
  ];
}

/// The key of a new provider: well formed and not taken (a built-in's key included).
function keyField(value: string): Field {
  return {
    name: 'key', label: 'Key', value, hint: 'Used in API paths (/v1/proxy/<key>/…). Lower-case letters, digits, dashes.',
    check: (x) => v.providerKey(x)
      || (state.providers.some((p) => p.key === x.trim()) ? `A provider with the key "${x.trim()}" already exists: choose another key.` : ''),
  };
}

/// The key a name suggests, made unique against the providers the gateway has (the key field
/// would refuse a taken one).
export const keyFromName = (name: string) => uniqueKey(v.keyFromName(name));

/// The key a server URL suggests, made unique against the providers the gateway has.
export function keyFromUrl(url: string): string {
  const base = v.keyFromUrl(url);
  if (!base) return '';
  return state.providers.some((p) => p.key === base) ? uniqueKey(`${base}-mcp`) : base;
}
