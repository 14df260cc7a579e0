// The vault page: sign in with an API key, list connections, and wire each action.
import { api, ApiError, type Connection, type Provider, type Whoami } from './api';
import { openEditor, type Saved } from './add_dialog';
import { confirmDialog } from './confirm';
import { buildRows, renderRow, type Action, type Can, type Row } from './connections';
import { connectWithCode } from './device';
import { byId, errorText, sentence, toast } from './dom';
import { authenticate, onAuthOutcome, takeReturnOutcome, type AuthOutcome } from './popup';
import { clearKey, getKey, setKey } from './session';

let providers: Provider[] = [];
let connections: Connection[] = [];
/// Who the API key belongs to (GET /v1/whoami), asked once per sign-in.
let me: Whoami | null = null;

function can(): Can {
  return { admin: me?.role === 'admin' };
}

/// Says who is signed in, and shows only what the key's role may do: the page's .admin-only and
/// .user-only parts follow body[data-role] (app.css); neither shows until the role is known.
function showWho(): void {
  const label = byId('session-label');
  const role = byId('session-role');
  if (!me) { label.textContent = 'Signed in with an API key'; role.hidden = true; delete document.body.dataset.role; return; }
  label.textContent = `Signed in as ${me.principal}`;
  role.textContent = me.role;
  role.hidden = false;
  document.body.dataset.role = can().admin ? 'admin' : 'user';
}

function show(signedIn: boolean): void {
  byId('sign-in').hidden = signedIn;
  byId('vault').hidden = !signedIn;
  byId('session').hidden = !signedIn;
}

async function refresh(): Promise<void> {
  const banner = byId('list-error');
  try {
    const [who, ps, cs] = await Promise.all([me ? Promise.resolve(me) : api.whoami(), api.providers(), api.connections()]);
    [me, providers, connections] = [who, ps, cs];
    showWho();
    banner.hidden = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearKey();
      me = null;
      show(false);
      byId('api-key-error').textContent = 'That API key is not valid (or was revoked). Enter another one.';
      byId('api-key').focus();
      return;
    }
    banner.textContent = `The list could not be loaded: ${errorText(e)}`;
    banner.hidden = false;
    return;
  }
  const rows = buildRows(providers, connections);
  const list = byId('connections');
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.action;
  const focusedRow = (document.activeElement?.closest('li.row') as HTMLElement | null)?.dataset;
  list.replaceChildren(...rows.map((r) => renderRow(r, onAction, can())));
  byId('empty').hidden = rows.length > 0;
  // Keep keyboard focus on the same row after a re-render.
  if (focused && focusedRow) {
    const sel = `li.row[data-provider="${CSS.escape(focusedRow.provider ?? '')}"][data-account="${CSS.escape(focusedRow.account ?? '')}"] button`;
    (list.querySelector<HTMLElement>(`${sel}[data-action="${focused}"]`) ?? list.querySelector<HTMLElement>(sel))?.focus();
  }
  if (!list.hasAttribute('data-ready')) performance.mark('vault-list-ready');
  list.setAttribute('data-ready', 'true');
}

function reportOutcome(o: AuthOutcome): void {
  const name = providers.find((p) => p.key === o.provider)?.display_name ?? o.provider ?? 'The provider';
  if (o.type === 'latchkey:connected') toast(`${name} is connected${o.account ? ` (account ${o.account})` : ''}.`);
  else toast(`${name} is not connected: ${sentence(o.detail ?? o.code ?? 'the sign-in failed')}`, 'error');
  void refresh();
}

async function startAuth(provider: Provider, opts: { scopes?: string[]; account?: string }): Promise<void> {
  try {
    if (provider.auth_mode === 'client_credentials') {
      const c = await api.connectClientCredentials(provider.key, opts);
      toast(`${provider.display_name} is connected (account ${c.account}).`);
      await refresh();
      return;
    }
    const how = await authenticate(provider.key, opts);
    if (how === 'popup') toast(`Sign in to ${provider.display_name} in the window that opened.`);
  } catch (e) {
    toast(`${provider.display_name}: ${errorText(e)}`, 'error');
  }
}

async function connectDevice(provider: Provider, opts: { account?: string }): Promise<void> {
  try {
    const o = await connectWithCode(provider, opts);
    if (o.ok) toast(`${provider.display_name} is connected (account ${o.connection.account}).`);
    else if (!('cancelled' in o)) toast(`${provider.display_name} is not connected: ${sentence(o.reason)}`, 'error');
  } catch (e) {
    toast(`${provider.display_name}: ${errorText(e)}`, 'error');
  }
  await refresh();
}

async function test(row: Row, button: HTMLButtonElement): Promise<void> {
  const { provider: p, connection: c } = row;
  if (!c) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    // The gateway makes the provider's declared ping with the connection (one refresh on a 401).
    const r = await api.ping(c.provider, c.account);
    if (r.ok) toast(`Test passed: ${p.display_name} answered HTTP ${r.status} in ${r.ms} ms.`);
    else if (r.status === null) toast(`Test failed: ${p.display_name} could not be reached${r.error ? ` (${r.error})` : ''}.`, 'error');
    else toast(`Test failed: ${p.display_name} answered HTTP ${r.status} in ${r.ms} ms.`, 'error');
  } catch (e) {
    toast(`Test failed: ${sentence(errorText(e))}`, 'error');
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    await refresh();
  }
}

function afterSave(s: Saved): void {
  void (async () => {
    if (s.info && s.then?.authenticate) {
      // A discovered MCP server: sign in at once, before anything else is awaited, while the
      // click that asked for it still lets the page open the popup.
      await startAuth(s.info, s.then.authenticate);
      await refresh();
      return;
    }
    await refresh();
    const p = providers.find((x) => x.key === s.provider);
    if (!p) return;
    if (s.then?.authenticate) await startAuth(p, s.then.authenticate);
    else if (s.then?.connect) await startAuth(p, s.then.connect);
    else toast(`${p.display_name} saved. Choose ${p.auth_mode === 'client_credentials' ? 'Connect' : 'Authenticate'} to connect an account.`);
  })();
}

/// Remove: a connection (revoked at the provider) and, for an admin, what goes with it: a custom
/// provider whose last connection this is, or on request a built-in provider's app credentials.
/// A row without a connection (admin only) removes the custom provider or the built-in's app.
async function remove(row: Row): Promise<void> {
  const { provider: p, connection: c } = row;
  const admin = can().admin;
  const others = connections.filter((x) => x.provider === p.key && x !== c).length;
  const custom = admin && !p.builtin && others === 0;
  const appOnly = admin && p.builtin && !c;  // the row is there only because the app is set
  const offerApp = admin && p.builtin && !!c && p.has_app;
  if (!c && !custom && !appOnly) return;
  const parts: string[] = [];
  if (c) parts.push(`the connection to ${p.display_name} (account ${c.account}) and revokes its tokens at the provider`);
  if (custom) parts.push('the custom provider definition with its app credentials');
  if (appOnly) parts.push(`${p.display_name}'s app credentials (client ID and secret)`);
  const othersNote = others ? ` ${others === 1 ? 'Another connection' : `${others} other connections`} to ${p.display_name} would stay, but could not be renewed or re-authenticated until an app is set again.` : '';
  const res = await confirmDialog(`Remove ${p.display_name}?`,
    `This removes ${parts.join(', and ')}.${appOnly ? othersNote : ''} This cannot be undone.`,
    'Remove',
    offerApp ? {
      label: `Also remove ${p.display_name}'s app credentials (client ID and secret)`,
      hint: `Connecting ${p.display_name} again will need them to be entered again.${othersNote}`,
    } : undefined);
  if (!res.ok) return;
  const done: string[] = [];
  try {
    if (c) {
      await api.disconnect(c.provider, c.account, true);
      done.push(`the connection (${c.account})`);
    }
    if (custom) {
      await api.deleteProvider(p.key);
      done.push('the provider');
    }
    if (appOnly || res.option) {
      await api.deleteApp(p.key);
      done.push('its app credentials');
    }
    toast(`Removed ${p.display_name}: ${done.join(' and ')}.`);
  } catch (e) {
    toast(`${done.length ? `Removed ${done.join(' and ')}, but: ` : ''}${sentence(errorText(e))}`, 'error');
  }
  await refresh();
}

function onAction(action: Action, row: Row, button: HTMLButtonElement): void {
  const { provider: p, connection: c } = row;
  switch (action) {
    case 'authenticate':
      void startAuth(p, { ...(c ? { account: c.account } : {}) });
      break;
    case 'device':
      void connectDevice(p, { ...(c ? { account: c.account } : {}) });
      break;
    case 'signout':
      if (!c) return;
      void (async () => {
        try {
          const r = await api.disconnect(c.provider, c.account, true);
          toast(`Signed out of ${p.display_name} (${c.account})${r.revoked ? '; the token was revoked at the provider' : ''}.`);
        } catch (e) { toast(errorText(e), 'error'); }
        await refresh();
      })();
      break;
    case 'test':
      void test(row, button);
      break;
    case 'edit':
      void openEditor({ mode: 'edit', provider: p, connected: !!c, account: c?.account }, providers, afterSave);
      break;
    case 'duplicate':
      void openEditor({ mode: 'duplicate', provider: p }, providers, afterSave);
      break;
    case 'remove':
      void remove(row);
      break;
  }
}

function start(): void {
  onAuthOutcome(reportOutcome);
  const returned = takeReturnOutcome();
  byId('key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('api-key');
    const err = byId('api-key-error');
    const key = input.value.trim();
    if (!key) { err.textContent = 'Enter an API key.'; input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
    setKey(key);
    me = null;
    input.value = '';
    err.textContent = '';
    input.removeAttribute('aria-invalid');
    show(true);
    await refresh();
    if (getKey()) (can().admin ? byId('add') : byId('vault-title')).focus();
  });
  byId('sign-out-key').addEventListener('click', () => {
    clearKey();
    me = null;
    delete document.body.dataset.role;
    byId('connections').replaceChildren();
    show(false);
    byId('api-key').focus();
  });
  byId('add').addEventListener('click', () => void openEditor({ mode: 'add' }, providers, afterSave));
  if (getKey()) {
    show(true);
    void refresh().then(() => { if (returned) reportOutcome(returned); });
  } else {
    show(false);
    byId('api-key').focus();
    if (returned) reportOutcome(returned);
  }
  document.documentElement.setAttribute('data-interactive', 'true');
  performance.mark('vault-interactive');
}

start();
