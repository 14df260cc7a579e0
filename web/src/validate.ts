// Field checks that run as the user types: each returns a message saying what is wrong, or ''.
// The provider members' patterns, values and limits are the core's own (PROVIDER_FIELDS, made
// from its schema); the core (in the page through @latchkey/wasm when it loads, and always in
// the gateway) has the last word, on the rules across members too.
import { PROVIDER_FIELDS } from './provider_schema';

const KEY = PROVIDER_FIELDS.key;
const KEY_PATTERN = new RegExp(KEY.pattern);
const SCOPE_PATTERN = new RegExp(PROVIDER_FIELDS.default_scopes.itemPattern);
const ACCOUNT_PATH_PATTERN = new RegExp(PROVIDER_FIELDS['identity.account_path'].pattern);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

/// An endpoint URL: absolute, https (http only on loopback), no credentials or fragment.
export function endpointUrl(value: string, { required = true, label = 'This URL' } = {}): string {
  const v = value.trim();
  if (!v) return required ? `${label} is required.` : '';
  let u: URL;
  try { u = new URL(v); } catch { return `${label} is not a valid URL (for example https://auth.example.com/oauth/authorize).`; }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `${label} must start with https:// (not ${u.protocol}).`;
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    return `${label} must use https: plain http is allowed only for localhost, 127.0.0.1 and [::1].`;
  }
  if (u.username || u.password) return `${label} must not contain a user name or password.`;
  if (u.hash) return `${label} must not contain a #fragment.`;
  if (/\s/.test(v)) return `${label} must not contain spaces.`;
  return '';
}

export function clientId(value: string): string {
  const v = value.trim();
  if (!v) return 'The client ID is required: copy it from the app you registered with the provider.';
  if (/\s/.test(v)) return 'The client ID must not contain spaces.';
  return '';
}

export function clientSecret(value: string, { required }: { required: boolean }): string {
  if (!value && required) return 'This provider needs a client secret.';
  if (value && value.trim() !== value) return 'The client secret starts or ends with a space: check what was pasted.';
  return '';
}

export function providerKey(value: string): string {
  const v = value.trim();
  if (!v) return 'A key is required (lower-case letters, digits and dashes, e.g. my-crm).';
  if (!KEY_PATTERN.test(v)) return 'Use lower-case letters, digits and single dashes only (e.g. my-crm).';
  if (v.length > KEY.maxLength) return `At most ${KEY.maxLength} characters.`;
  return '';
}

export function displayName(value: string): string {
  return value.trim() ? '' : 'A name is required.';
}

export function parseScopes(value: string): string[] {
  return value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

export function scopes(value: string): string {
  for (const s of parseScopes(value)) {
    if (!SCOPE_PATTERN.test(s)) return `"${s}" is not a valid scope (printable ASCII, no quotes or backslashes).`;
  }
  return '';
}

export function audience(value: string): string {
  return /\s/.test(value.trim()) ? 'The audience must not contain spaces.' : '';
}

/// A lower-case key derived from a display name ("My CRM" → "my-crm").
export function keyFromName(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
}

/// An MCP server's URL (its protected resource identifier, RFC 9728 §1.2): an endpoint URL
/// (https; http only on loopback) sent exactly as typed, since its metadata must name the same
/// string (§3.3). Whether its host may be a private address is the gateway's decision.
export function serverUrl(value: string): string {
  return endpointUrl(value, { label: 'The server URL' });
}

/// A key suggested by a server URL: its host without a www/mcp/api label or the top-level
/// domain ("https://mcp.example.com/mcp" → "example"); an address or a single-label host keeps
/// its port ("http://127.0.0.1:8080/mcp" → "127-0-0-1-8080"). '' when the URL is unusable.
export function keyFromUrl(value: string): string {
  let u: URL;
  try { u = new URL(value.trim()); } catch { return ''; }
  const host = u.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  let labels = host.split('.');
  const address = /^[\d.]+$/.test(host) || host.includes(':') || labels.length === 1;
  if (!address) {
    if (labels.length > 2 && ['www', 'mcp', 'api'].includes(labels[0])) labels = labels.slice(1);
    labels = labels.slice(0, -1);
  }
  return keyFromName([...labels, ...(address && u.port ? [u.port] : [])].join('-'));
}

/// The oauth_signature_method values the core implements.
export const SIGNATURE_METHODS = PROVIDER_FIELDS.signature_method.values;

/// The field of an identity answer that names the account: a dotted path (the core's rule).
export function accountPath(value: string): string {
  const v = value.trim();
  if (!v) return '';
  return ACCOUNT_PATH_PATTERN.test(v) ? '' : 'Use a field name, or a dotted path such as data.username.';
}

/// A PEM block pasted into a single-line input (which drops line breaks) made whole again:
/// header, base64 body in 64-character lines, footer. Anything else is returned as it is.
export function pemFromOneLine(value: string): string {
  const m = /^\s*(-----BEGIN [A-Z ]+-----)\s*([A-Za-z0-9+/=\s]+?)\s*(-----END [A-Z ]+-----)\s*$/.exec(value);
  if (!m) return value;
  const body = m[2].replace(/\s+/g, '');
  return `${m[1]}\n${body.match(/.{1,64}/g)!.join('\n')}\n${m[3]}\n`;
}
