// The Add / Edit / Duplicate dialog: a provider picker over the whole catalog (grouped: custom
// kinds first, then the built-in providers), the fields that kind needs, checks as the user
// types, and the save (provider definition, then app credentials). Nothing is saved while a
// field is invalid; a custom provider whose app cannot be saved is removed again. The client ID
// and scopes of an existing app are read from the gateway (GET /v1/providers/{key}/app); the
// secret never leaves it (only whether one is set). An MCP server needs no credentials: the
// gateway discovers it and registers itself as its client (POST /v1/providers/discover), and
// the dialog goes straight on to signing in.
import { api, ApiError, type App, type Provider } from './api';
import { byId, copyText, errorText, h, sentence } from './dom';
import * as v from './validate';
import { consentPreview, loadWasm, validateWithCore } from './wasm';

type Kind = 'builtin' | 'oauth2' | 'client_credentials' | 'oauth1' | 'mcp';
export interface EditorSpec {
  mode: 'add' | 'edit' | 'duplicate';
  provider?: Provider;          // edit/duplicate: the row's provider
  connected?: boolean;          // edit: the row has a connection (save re-authenticates)
  account?: string;
}
export interface Saved {
  provider: string;
  then: null | { authenticate?: { scopes: string[]; account?: string }; connect?: { scopes: string[]; account?: string } };
  /// The provider as the gateway saved it, when the dialog has it (a discovered MCP server).
  info?: Provider;
}

interface Field {
  name: string;
  label: string;
  type?: 'text' | 'url' | 'password' | 'checkbox' | 'readonly' | 'secret' | 'select';
  options?: string[];           // select: the choices (value = label)
  hint?: string;
  value?: string;
  checked?: boolean;
  advanced?: boolean;
  check?: (value: string) => string;
}

const dialog = () => byId<HTMLDialogElement>('edit-dialog');
let providers: Provider[] = [];
let spec: EditorSpec = { mode: 'add' };
let kind: Kind | null = null;
let chosen: Provider | null = null;
/// The app of the provider being edited, duplicated or picked (null: none set).
let app: App | null = null;
/// Bumped on every open and pick: a late answer for an earlier one is ignored.
let generation = 0;
let fields: Field[] = [];
let touched = new Set<string>();
/// The gateway's message about a field, shown until the user changes what it is about; unlike
/// the checks as the user types, it does not stop another try (the server may be back up).
let serverErrors = new Map<string, string>();
let onSaved: (s: Saved) => void = () => {};
let opener: HTMLElement | null = null;

export const callbackUrl = () => `${location.origin}/oauth/callback`;

// ---------------------------------------------------------------------------------------------
// Fields per kind

function scopeField(value: string, p?: Provider | null): Field {
  const avail = p?.available_scopes?.length ? `Available: ${p.available_scopes.slice(0, 12).join(' ')}${p.available_scopes.length > 12 ? ' …' : ''}` : 'Separated by spaces or commas.';
  return { name: 'scopes', label: 'Scopes', value, hint: avail, check: v.scopes };
}

/// OAuth 1.0 calls the client its consumer (RFC 5849 keeps the older names).
const isOAuth1 = (k: Kind | null, p?: Provider | null) => k === 'oauth1' || p?.auth_mode === 'oauth1';

function secretField(p: Provider | null): Field {
  const set = !!(p && app && app.provider === p.key && app.has_client_secret);
  const o1 = isOAuth1(kind, p);
  return {
    name: 'client_secret', label: o1 ? 'Consumer secret' : 'Client secret', type: set ? 'secret' : 'password',
    hint: o1 ? 'Write-only: sealed by the gateway and never shown again. For RSA-SHA1, paste the PEM private key.'
      : 'Write-only: it is sealed by the gateway and never shown again.',
    check: (x) => v.clientSecret(x, { required: !set && (kind === 'client_credentials' || kind === 'oauth1') }),
  };
}

function fieldsFor(k: Kind, p: Provider | null, prefill: Record<string, string> = {}): Field[] {
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
    return [...server, cid, secretField(spec.mode === 'duplicate' && k !== 'builtin' ? null : p), ...scopes, ...account];
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
      { name: 'callback', label: 'Callback URL', type: 'readonly', value: callbackUrl(), hint: 'Register this redirect URI with the provider.' },
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
      { name: 'callback', label: 'Callback URL', type: 'readonly', value: callbackUrl(), hint: 'Register this callback with the provider.' },
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
      || (providers.some((p) => p.key === x.trim()) ? `A provider with the key "${x.trim()}" already exists: choose another key.` : ''),
  };
}

/// The key a name suggests, made unique against the providers the gateway has (the key field
/// would refuse a taken one).
const keyFromName = (name: string) => uniqueKey(v.keyFromName(name));

/// The key a server URL suggests, made unique against the providers the gateway has.
function keyFromUrl(url: string): string {
  const base = v.keyFromUrl(url);
  if (!base) return '';
  return providers.some((p) => p.key === base) ? uniqueKey(`${base}-mcp`) : base;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function input(name: string): HTMLInputElement | null {
  // A <select> too: the callers only use value, disabled, focus and the aria attributes.
  return document.getElementById(`f-${name}`) as HTMLInputElement | null;
}

function value(name: string): string {
  const el = input(name);
  if (!el || el.disabled) return '';
  return el.type === 'checkbox' ? (el.checked ? 'on' : 'off') : el.value;
}

function renderField(f: Field): HTMLElement {
  const id = `f-${f.name}`;
  const hintId = `${id}-hint`;
  const errId = `${id}-error`;
  const described = [f.hint ? hintId : '', errId].filter(Boolean).join(' ');
  const hint = f.hint ? h('p', { class: 'hint', id: hintId }, f.hint) : null;
  const error = h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' });
  if (f.type === 'checkbox') {
    const box = h('input', { id, type: 'checkbox', checked: !!f.checked, 'aria-describedby': described });
    box.addEventListener('change', () => onInput(f));
    return h('div', { class: 'field check' }, box, h('label', { for: id }, f.label), hint, error);
  }
  if (f.type === 'select') {
    const el = h('select', { id, name: f.name, 'aria-describedby': described },
      ...(f.options ?? []).map((o) => h('option', { value: o, selected: o === f.value }, o)));
    el.addEventListener('change', () => onInput(f));
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), el, hint, error);
  }
  if (f.type === 'readonly') {
    const copy = h('button', { type: 'button', class: 'copy', 'aria-label': `Copy the ${f.label.toLowerCase()}` }, 'Copy');
    copy.addEventListener('click', () => void copyText(input(f.name)!, f.label));
    return h('div', { class: 'field' }, h('label', { for: id }, f.label),
      h('div', { class: 'with-button' }, h('input', { id, type: 'text', readonly: true, value: f.value ?? '', 'aria-describedby': described }), copy), hint);
  }
  if (f.type === 'secret') {
    // Set already: an indicator and a Replace action; the input appears only when asked for.
    const el = h('input', { id, type: 'password', autocomplete: 'new-password', disabled: true, hidden: true, 'aria-describedby': described });
    const state = h('span', { class: 'secret-set' }, '● A secret is set');
    const replace = h('button', { type: 'button', class: 'link' }, 'Replace');
    replace.addEventListener('click', () => {
      el.disabled = false; el.hidden = false; state.hidden = true; replace.hidden = true; el.focus();
    });
    el.addEventListener('input', () => onInput(f));
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), h('div', { class: 'with-button' }, state, replace, el), hint, error);
  }
  const el = h('input', {
    id, name: f.name, type: f.type === 'password' ? 'password' : f.type === 'url' ? 'url' : 'text', value: f.value ?? '',
    autocomplete: f.type === 'password' ? 'new-password' : 'off', spellcheck: 'false', 'aria-describedby': described,
    inputmode: f.type === 'url' ? 'url' : undefined,
  });
  el.addEventListener('input', () => onInput(f));
  el.addEventListener('blur', () => { touched.add(f.name); check(f); });
  return h('div', { class: 'field' }, h('label', { for: id }, f.label), el, hint, error);
}

function check(f: Field): string {
  const el = input(f.name);
  if (!el || !f.check) return '';
  const msg = el.disabled ? '' : f.check(el.value);
  showFieldError(f.name, touched.has(f.name) ? msg || (serverErrors.get(f.name) ?? '') : '');
  return msg;
}

function showFieldError(name: string, msg: string): void {
  const el = input(name);
  const err = document.getElementById(`f-${name}-error`);
  if (err) err.textContent = msg;
  if (el) el.setAttribute('aria-invalid', msg ? 'true' : 'false');
}

let previewTimer: number | undefined;
function onInput(f: Field): void {
  touched.add(f.name);
  serverErrors.delete(f.name);
  const suggest = f.name === 'display_name' ? keyFromName : f.name === 'url' ? keyFromUrl : null;
  if (suggest && spec.mode !== 'edit') {
    const key = input('key');
    if (key && !touched.has('key')) { key.value = suggest(input(f.name)!.value); if (key.value) check(fields.find((x) => x.name === 'key')!); }
  }
  // Allowing private networks answers the gateway's refusal of the URL.
  if (f.name === 'allow_private_network' && serverErrors.delete('url')) check(fields.find((x) => x.name === 'url')!);
  check(f);
  hideBanner();
  window.clearTimeout(previewTimer);
  previewTimer = window.setTimeout(updatePreview, 250);
}

function renderFields(): void {
  const box = byId('edit-fields');
  box.replaceChildren();
  const main = fields.filter((f) => !f.advanced).map(renderField);
  const adv = fields.filter((f) => f.advanced).map(renderField);
  box.append(...main);
  if (adv.length) box.append(h('details', { class: 'advanced' }, h('summary', {}, 'Advanced'), ...adv));
  const saveBtn = byId<HTMLButtonElement>('edit-save');
  saveBtn.disabled = kind === null;
  saveBtn.textContent = saveLabel();
  byId('consent-preview').hidden = true;
  updatePreview();
}

function saveLabel(): string {
  const p = spec.provider;
  if (kind === 'mcp') return 'Add and sign in';
  if (spec.mode === 'edit' && spec.connected) return p?.auth_mode === 'client_credentials' ? 'Save and reconnect' : 'Save and re-authenticate';
  return spec.mode === 'duplicate' && kind === 'builtin' ? 'Save and authenticate' : 'Save';
}

function hideBanner(): void { byId('edit-error').hidden = true; }
function banner(msg: string): void {
  const b = byId('edit-error');
  b.textContent = msg;
  b.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// The provider picker (a combobox over a grouped listbox)

interface Choice { kind: Kind; provider: Provider | null; label: string; group: string }

function choices(): Choice[] {
  const custom: Choice[] = [
    { kind: 'oauth2', provider: null, label: 'Custom OAuth 2.0', group: 'Custom' },
    { kind: 'client_credentials', provider: null, label: 'OAuth 2.0 Client Credentials', group: 'Custom' },
    { kind: 'oauth1', provider: null, label: 'Custom OAuth 1.0', group: 'Custom' },
    { kind: 'mcp', provider: null, label: 'MCP server', group: 'Custom' },
  ];
  // The catalog's custom-oauth1 template is what "Custom OAuth 1.0" above fills in, every
  // endpoint included; as a built-in it would need its {host} value, which this dialog does not ask.
  const builtin = providers.filter((p) => p.builtin && p.key !== 'custom-oauth1').map((p): Choice => ({ kind: 'builtin', provider: p, label: p.display_name, group: 'Built-in providers' }));
  return [...custom, ...builtin];
}

let active = -1;
let shown: Choice[] = [];

function renderOptions(filter: string): void {
  const list = byId('provider-options');
  const search = byId<HTMLInputElement>('provider-search');
  const q = filter.trim().toLowerCase();
  shown = choices().filter((c) => !q || c.label.toLowerCase().includes(q) || (c.provider?.key ?? '').includes(q));
  list.replaceChildren();
  let group = '';
  shown.forEach((c, i) => {
    if (c.group !== group) {
      group = c.group;
      list.append(h('li', { role: 'presentation', class: 'group' }, group));
    }
    const li = h('li', { role: 'option', id: `opt-${i}`, 'aria-selected': i === active ? 'true' : 'false', 'data-kind': c.kind }, c.label);
    li.addEventListener('mousedown', (e) => { e.preventDefault(); void pick(i); });
    list.append(li);
  });
  if (!shown.length) list.append(h('li', { role: 'presentation', class: 'group' }, 'No provider matches'));
  list.hidden = false;
  search.setAttribute('aria-expanded', 'true');
  if (active >= 0 && active < shown.length) search.setAttribute('aria-activedescendant', `opt-${active}`);
  else search.removeAttribute('aria-activedescendant');
}

function closeOptions(): void {
  byId('provider-options').hidden = true;
  byId('provider-search').setAttribute('aria-expanded', 'false');
}

async function pick(i: number): Promise<void> {
  const c = shown[i];
  if (!c) return;
  const mine = ++generation;
  kind = c.kind;
  chosen = c.provider;
  byId<HTMLInputElement>('provider-search').value = c.label;
  byId('provider-chosen').textContent = c.provider ? `${c.provider.display_name}: only your app's client ID, secret and scopes are needed.`
    : c.kind === 'mcp' ? 'No client ID or secret is needed: the gateway registers itself with the server\'s authorization server.' : '';
  closeOptions();
  touched = new Set();
  serverErrors = new Map();
  // A built-in provider whose app is set already: its client ID and scopes are filled in.
  const loaded = await loadApp(c.provider?.has_app ? c.provider : null);
  if (mine !== generation) return;
  app = loaded;
  fields = fieldsFor(c.kind, c.provider);
  renderFields();
  const first = fields.find((f) => f.type !== 'readonly' && f.type !== 'secret');
  if (first) input(first.name)?.focus();
}

/// The provider's app from the gateway (null when it has none); a failure is shown in the banner.
async function loadApp(p: Provider | null): Promise<App | null> {
  if (!p) return null;
  try {
    return await api.app(p.key);
  } catch (e) {
    banner(`The app settings of ${p.display_name} could not be read: ${errorText(e)}`);
    return null;
  }
}

function wirePicker(): void {
  const search = byId<HTMLInputElement>('provider-search');
  search.addEventListener('input', () => { active = -1; renderOptions(search.value); });
  search.addEventListener('focus', () => renderOptions(search.value === chosenLabel() ? '' : search.value));
  search.addEventListener('blur', () => closeOptions());
  search.addEventListener('keydown', (e) => {
    const list = byId('provider-options');
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) renderOptions(search.value);
      const step = e.key === 'ArrowDown' ? 1 : -1;
      active = Math.max(0, Math.min(shown.length - 1, active + step));
      renderOptions(search.value === chosenLabel() ? '' : search.value);
      document.getElementById(`opt-${active}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      if (!list.hidden && active >= 0) { e.preventDefault(); void pick(active); }
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();  // close the list, not the dialog
      e.stopPropagation();
      closeOptions();
    }
  });
}

function chosenLabel(): string {
  return choices().find((c) => c.kind === kind && c.provider === chosen)?.label ?? '';
}

// ---------------------------------------------------------------------------------------------
// The definition, the preview and the save

function definition(): Record<string, unknown> {
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

function validateAll(): boolean {
  let first: Field | null = null;
  for (const f of fields) {
    touched.add(f.name);
    if (check(f) && !first) first = f;
  }
  if (first) { input(first.name)?.focus(); return false; }
  return true;
}

async function updatePreview(): Promise<void> {
  const box = byId('consent-preview');
  const oauth2 = kind === 'builtin' ? chosen?.auth_mode === 'oauth2' : kind === 'oauth2';
  if (!oauth2 || spec.mode === 'edit') { box.hidden = true; return; }
  if (fields.some((f) => f.check && input(f.name) && !input(f.name)!.disabled && f.check(input(f.name)!.value))) { box.hidden = true; return; }
  const w = await loadWasm();
  box.hidden = false;
  const note = byId('consent-preview-note');
  const out = byId('consent-preview-url');
  if (!w.ok) { note.textContent = `Preview unavailable: ${w.reason}. The gateway builds the real URL when you authenticate.`; out.textContent = ''; return; }
  const def = kind === 'builtin' && chosen ? chosen.key : definition();
  const url = await consentPreview(def as Record<string, unknown>, value('client_id').trim(), callbackUrl(), v.parseScopes(value('scopes')));
  note.textContent = 'Built in this page by the latchkey core (WebAssembly) with a fresh PKCE challenge and state; the gateway makes its own when you authenticate.';
  out.textContent = url ?? '';
  box.hidden = !url;
}

const FIELD_OF: Record<string, string> = {
  authorization_endpoint: 'authorization_endpoint', token_endpoint: 'token_endpoint', api_base_url: 'api_base_url',
  revocation_endpoint: 'revocation_endpoint', userinfo_endpoint: 'userinfo_endpoint', issuer: 'issuer', key: 'key',
  display_name: 'display_name', client_id: 'client_id', client_secret: 'client_secret', scopes: 'scopes', 'ping.url': 'ping_url',
  request_token_endpoint: 'request_token_endpoint', signature_method: 'signature_method', 'identity.url': 'identity_url',
  'identity.account_path': 'account_path',
};

/// A refusal, by the gateway (an ApiError) or by the core in the page (its message): under the
/// field it is about, kept there until that field changes (what the user typed stays); else in
/// the banner.
function showServerError(e: unknown): void {
  if (typeof e !== 'string' && !(e instanceof ApiError)) { banner(errorText(e)); return; }
  const { message, code, status } = typeof e === 'string' ? { message: e, code: '', status: 400 } : e;
  if (status === 403) { banner(`${message} (sign in with an admin key to add or change providers and apps)`); return; }
  const named = Object.keys(FIELD_OF).find((k) => message.startsWith(`${k} `) || message.startsWith(`${k}:`) || message.includes(`'${k}'`));
  const loopback = /loopback, private or reserved address/.test(message);
  // The first of these the dialog has: the key's conflicts, the field the message names, and for
  // an MCP server what the gateway met on the way from its URL (status 0: the gateway itself
  // was not reached).
  const name = [
    code === 'conflict' || /built-in provider/.test(message) ? 'key' : '',
    loopback ? 'url' : '',
    named ? FIELD_OF[named] : '',
    status !== 0 && ['not_found', 'malformed_response', 'transport', 'invalid_request'].includes(code) ? 'url' : '',
  ].find((n) => n && input(n));
  if (!name) { banner(message); return; }
  const msg = name === 'url' && loopback && value('allow_private_network') !== 'on'
    ? `${sentence(message)} If you run or trust this server, allow private network addresses below and try again.` : message;
  touched.add(name);
  serverErrors.set(name, msg);
  showFieldError(name, msg);
  input(name)?.focus();
}

async function save(): Promise<void> {
  hideBanner();
  serverErrors = new Map();
  if (!kind || !validateAll()) return;
  if (kind === 'mcp') return discoverMcp();
  const saveBtn = byId<HTMLButtonElement>('edit-save');
  saveBtn.disabled = true;
  try {
    const scopes = v.parseScopes(value('scopes'));
    // RSA-SHA1 takes a PEM key, whose line breaks a password input drops: put them back.
    const rsa = value('signature_method') === 'RSA-SHA1' || (spec.provider ?? chosen)?.signature_method === 'RSA-SHA1';
    const secret = rsa ? v.pemFromOneLine(value('client_secret')) : value('client_secret');
    const credentials = { client_id: value('client_id').trim(), ...(secret ? { client_secret: secret } : {}), scopes };
    const editing = spec.mode === 'edit' || (spec.mode === 'duplicate' && kind === 'builtin');
    let key: string;
    let created = false;
    if (kind === 'builtin' || editing) {
      key = (chosen ?? spec.provider)!.key;
    } else {
      const def = definition();
      const verdict = await validateWithCore(def);
      if (verdict) { showServerError(verdict); return; }
      key = def.key as string;
      await api.registerProvider(def);
      created = true;
    }
    try {
      await api.putApp(key, credentials);
    } catch (e) {
      if (created) await api.deleteProvider(key).catch(() => {});
      throw e;
    }
    const account = value('account').trim() || spec.account;
    const provider = kind === 'builtin' ? chosen : spec.provider;
    const isCC = (kind === 'client_credentials') || provider?.auth_mode === 'client_credentials';
    let then: Saved['then'] = null;
    if (spec.mode === 'edit' && spec.connected) then = isCC ? { connect: { scopes, account } } : { authenticate: { scopes, account } };
    if (spec.mode === 'duplicate' && kind === 'builtin') then = { authenticate: { scopes, account } };
    close();
    onSaved({ provider: key, then });
  } catch (e) {
    showServerError(e);
  } finally {
    saveBtn.disabled = false;
  }
}

/// MCP: one request, in which the gateway follows the server's metadata to its authorization
/// server, registers there with its own callback, and saves the provider with its app — or saves
/// nothing. Then the dialog closes and signing in starts (the click's user activation usually
/// still allows the popup; otherwise authenticate() falls back to a same-tab redirect).
async function discoverMcp(): Promise<void> {
  const url = value('url').trim();
  const key = value('key').trim();
  const saveBtn = byId<HTMLButtonElement>('edit-save');
  const form = byId('edit-form');
  const status = byId('edit-status');
  const mine = generation;
  saveBtn.disabled = true;
  saveBtn.textContent = 'Discovering…';
  form.setAttribute('aria-busy', 'true');
  status.textContent = 'Reading the server\'s metadata and registering with its authorization server…';
  try {
    const info = await api.discover({ url, key, mcp: true, allow_private_network: value('allow_private_network') === 'on' });
    // Closed (or opened again) meanwhile: the server is added, but nobody is waiting to sign in.
    const waiting = mine === generation && dialog().open;
    close();
    onSaved({ provider: info.key, then: waiting ? { authenticate: { scopes: [] } } : null, info });
  } catch (e) {
    if (mine === generation) showServerError(e);
  } finally {
    status.textContent = '';
    form.removeAttribute('aria-busy');
    saveBtn.disabled = false;
    saveBtn.textContent = saveLabel();
  }
}

function close(): void {
  dialog().close();
}

// ---------------------------------------------------------------------------------------------

let wired = false;
function wire(): void {
  if (wired) return;
  wired = true;
  wirePicker();
  byId('edit-form').addEventListener('submit', (e) => { e.preventDefault(); void save(); });
  byId('edit-cancel').addEventListener('click', close);
  dialog().addEventListener('close', () => { opener?.focus(); });
}

function prefillFrom(p: Provider): Record<string, string> {
  const ping = p.ping?.url ?? '';
  const facts = app?.provider === p.key ? app : null;
  return {
    display_name: `${p.display_name} (copy)`,
    key: uniqueKey(`${p.key}-copy`),
    authorization_endpoint: p.authorization_endpoint ?? '', token_endpoint: p.token_endpoint ?? '',
    api_base_url: p.api_base_url ?? '', issuer: p.issuer ?? '', userinfo_endpoint: p.identity?.url ?? p.userinfo_endpoint ?? '',
    revocation_endpoint: p.revocation_endpoint ?? '', ping_url: ping, scopes: (facts?.scopes.length ? facts.scopes : p.default_scopes).join(' '),
    client_id: facts?.client_id ?? '', pkce: p.pkce === 'unsupported' ? 'off' : 'on', audience: p.token_params?.audience ?? '',
    request_token_endpoint: String(p.request_token_endpoint ?? ''), signature_method: String(p.signature_method ?? 'HMAC-SHA1'),
    identity_url: p.identity?.url ?? '', account_path: p.identity?.account_path ?? '',
  };
}

/// Whether a URL's host is a loopback address (only those: a private LAN address is not seen
/// here). Used to carry "allow private network addresses" over to a copy of a server on loopback;
/// any other refusal is the gateway's to explain.
function isLoopbackUrl(url: string): boolean {
  try { return v.isLoopbackHost(new URL(url).hostname); } catch { return false; }
}

function uniqueKey(base: string): string {
  let k = base;
  for (let i = 2; providers.some((p) => p.key === k); i += 1) k = `${base}-${i}`;
  return k;
}

export async function openEditor(s: EditorSpec, list: Provider[], done: (s: Saved) => void): Promise<void> {
  wire();
  const mine = ++generation;
  spec = s;
  providers = list;
  onSaved = done;
  opener = document.activeElement as HTMLElement | null;
  touched = new Set();
  serverErrors = new Map();
  active = -1;
  hideBanner();
  void loadWasm();  // in the background: validation and the consent preview use it when it loads
  app = null;
  if (s.mode !== 'add' && s.provider?.has_app) {
    const loaded = await loadApp(s.provider);
    if (mine !== generation) return;
    app = loaded;
  }
  const picker = byId('provider-picker');
  const search = byId<HTMLInputElement>('provider-search');
  const title = byId('edit-title');
  byId('provider-chosen').textContent = '';
  const p = s.provider ?? null;
  if (s.mode === 'add') {
    title.textContent = 'Add connection';
    picker.hidden = false;
    search.value = '';
    kind = null; chosen = null; fields = [];
  } else {
    picker.hidden = true;
    const pk: Kind = p!.builtin ? 'builtin' : p!.auth_mode === 'client_credentials' ? 'client_credentials' : p!.auth_mode === 'oauth1' ? 'oauth1' : 'oauth2';
    kind = pk;
    chosen = p!.builtin ? p : null;
    if (s.mode === 'edit') {
      title.textContent = `Edit ${p!.display_name}${s.account ? ` (${s.account})` : ''}`;
      fields = fieldsFor(pk, p);
    } else if (!p!.builtin && p!.resource) {
      // A copy of a discovered MCP server is another discovery (its own registered client).
      title.textContent = `Duplicate ${p!.display_name}`;
      kind = 'mcp';
      fields = fieldsFor('mcp', null, { url: p!.resource, key: uniqueKey(`${p!.key}-copy`), allow_private_network: isLoopbackUrl(p!.resource) ? 'on' : 'off' });
    } else {
      title.textContent = `Duplicate ${p!.display_name}`;
      fields = fieldsFor(pk, p, pk === 'builtin' ? {} : prefillFrom(p!));
    }
  }
  renderFields();
  dialog().showModal();
  if (s.mode === 'add') search.focus();
  else {
    const first = fields.find((f) => f.type !== 'readonly' && f.type !== 'secret');
    if (first) input(first.name)?.focus();
  }
}
