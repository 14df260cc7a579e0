// The Add / Edit / Duplicate dialog: a provider picker over the whole catalog (grouped: custom
// kinds first, then the built-in providers; add_picker.ts), the fields that kind needs
// (add_fields.ts), checks as the user types (add_form.ts), and the save (provider definition,
// then app credentials; add_definition.ts, add_submit.ts). Nothing is saved while a field is
// invalid; a custom provider whose app cannot be saved is removed again. The client ID and scopes
// of an existing app are read from the gateway (GET /v1/providers/{key}/app); the secret never
// leaves it (only whether one is set). An MCP server needs no credentials: the gateway discovers
// it and registers itself as its client (POST /v1/providers/discover), and the dialog goes
// straight on to signing in. This file opens the dialog for one of those modes.
import type { Provider } from './api';
import { fieldsFor } from './add_fields';
import { renderFields } from './add_form';
import { loadApp, resetPicker, wirePicker } from './add_picker';
import { dialog, hideBanner, input, state, uniqueKey, type EditorSpec, type Kind, type Saved } from './add_state';
import { close, forgetSecrets, save } from './add_submit';
import { byId } from './dom';
import * as v from './validate';
import { loadWasm } from './wasm';

export { callbackUrl, setCallbackUrl, type EditorSpec, type Saved } from './add_state';

let wired = false;
function wire(): void {
  if (wired) return;
  wired = true;
  wirePicker();
  byId('edit-form').addEventListener('submit', (e) => { e.preventDefault(); void save(); });
  byId('edit-cancel').addEventListener('click', close);
  // However it closes (Cancel, Esc, Save), a secret typed into it does not stay in the page.
  dialog().addEventListener('cancel', forgetSecrets);  // Esc: before the dialog hides
  dialog().addEventListener('close', () => {
    forgetSecrets();
    state.opener?.focus();
  });
}

function prefillFrom(p: Provider): Record<string, string> {
  const ping = p.ping?.url ?? '';
  const facts = state.app?.provider === p.key ? state.app : null;
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

export async function openEditor(s: EditorSpec, list: Provider[], done: (s: Saved) => void): Promise<void> {
  wire();
  const mine = ++state.generation;
  state.spec = s;
  state.providers = list;
  state.onSaved = done;
  state.opener = document.activeElement as HTMLElement | null;
  state.touched = new Set();
  state.serverErrors = new Map();
  resetPicker();
  hideBanner();
  void loadWasm();  // in the background: validation and the consent preview use it when it loads
  state.app = null;
  if (s.mode !== 'add' && s.provider?.has_app) {
    const loaded = await loadApp(s.provider);
    if (mine !== state.generation) return;
    state.app = loaded;
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
    state.kind = null; state.chosen = null; state.fields = [];
  } else {
    picker.hidden = true;
    const pk: Kind = p!.builtin ? 'builtin' : p!.auth_mode === 'client_credentials' ? 'client_credentials' : p!.auth_mode === 'oauth1' ? 'oauth1' : 'oauth2';
    state.kind = pk;
    state.chosen = p!.builtin ? p : null;
    if (s.mode === 'edit') {
      title.textContent = `Edit ${p!.display_name}${s.account ? ` (${s.account})` : ''}`;
      state.fields = fieldsFor(pk, p);
    } else if (!p!.builtin && p!.resource) {
      // A copy of a discovered MCP server is another discovery (its own registered client).
      title.textContent = `Duplicate ${p!.display_name}`;
      state.kind = 'mcp';
      state.fields = fieldsFor('mcp', null, { url: p!.resource, key: uniqueKey(`${p!.key}-copy`), allow_private_network: isLoopbackUrl(p!.resource) ? 'on' : 'off' });
    } else {
      title.textContent = `Duplicate ${p!.display_name}`;
      state.fields = fieldsFor(pk, p, pk === 'builtin' ? {} : prefillFrom(p!));
    }
  }
  renderFields();
  dialog().showModal();
  if (s.mode === 'add') search.focus();
  else {
    const first = state.fields.find((f) => f.type !== 'readonly' && f.type !== 'secret');
    if (first) input(first.name)?.focus();
  }
}
