// The dialog's save: a custom provider's definition checked by the core in the page and
// registered, then the app's credentials (a custom provider whose app cannot be saved is removed
// again); an MCP server discovered by the gateway in one request. A refusal is shown under the
// field it is about, or in the banner.
import { api, ApiError } from './api';
import { definition } from './add_definition';
import { saveLabel, showFieldError, validateAll } from './add_form';
import { banner, dialog, hideBanner, input, state, value, type Saved } from './add_state';
import { byId, errorText, sentence } from './dom';
import * as v from './validate';
import { validateWithCore } from './wasm';

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
  state.touched.add(name);
  state.serverErrors.set(name, msg);
  showFieldError(name, msg);
  input(name)?.focus();
}

export async function save(): Promise<void> {
  hideBanner();
  state.serverErrors = new Map();
  if (!state.kind || !validateAll()) return;
  if (state.kind === 'mcp') return discoverMcp();
  const saveBtn = byId<HTMLButtonElement>('edit-save');
  saveBtn.disabled = true;
  try {
    const scopes = v.parseScopes(value('scopes'));
    // RSA-SHA1 takes a PEM key, whose line breaks a password input drops: put them back.
    const rsa = value('signature_method') === 'RSA-SHA1' || (state.spec.provider ?? state.chosen)?.signature_method === 'RSA-SHA1';
    const secret = rsa ? v.pemFromOneLine(value('client_secret')) : value('client_secret');
    const credentials = { client_id: value('client_id').trim(), ...(secret ? { client_secret: secret } : {}), scopes };
    const editing = state.spec.mode === 'edit' || (state.spec.mode === 'duplicate' && state.kind === 'builtin');
    let key: string;
    let created = false;
    if (state.kind === 'builtin' || editing) {
      key = (state.chosen ?? state.spec.provider)!.key;
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
    const { kind, spec } = state;
    const account = value('account').trim() || spec.account;
    const provider = kind === 'builtin' ? state.chosen : spec.provider;
    const isCC = (kind === 'client_credentials') || provider?.auth_mode === 'client_credentials';
    let then: Saved['then'] = null;
    if (spec.mode === 'edit' && spec.connected) then = isCC ? { connect: { scopes, account } } : { authenticate: { scopes, account } };
    if (spec.mode === 'duplicate' && kind === 'builtin') then = { authenticate: { scopes, account } };
    close();
    state.onSaved({ provider: key, then });
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
  const mine = state.generation;
  saveBtn.disabled = true;
  saveBtn.textContent = 'Discovering…';
  form.setAttribute('aria-busy', 'true');
  status.textContent = 'Reading the server\'s metadata and registering with its authorization server…';
  try {
    const info = await api.discover({ url, key, mcp: true, allow_private_network: value('allow_private_network') === 'on' });
    // Closed (or opened again) meanwhile: the server is added, but nobody is waiting to sign in.
    const waiting = mine === state.generation && dialog().open;
    close();
    state.onSaved({ provider: info.key, then: waiting ? { authenticate: { scopes: [] } } : null, info });
  } catch (e) {
    if (mine === state.generation) showServerError(e);
  } finally {
    status.textContent = '';
    form.removeAttribute('aria-busy');
    saveBtn.disabled = false;
    saveBtn.textContent = saveLabel();
  }
}

export function close(): void {
  forgetSecrets();  // now: the dialog's 'close' event comes a task later
  dialog().close();
}

/// Empties every secret typed into the dialog.
export function forgetSecrets(): void {
  for (const el of dialog().querySelectorAll<HTMLInputElement>('input[type=password]')) el.value = '';
}
