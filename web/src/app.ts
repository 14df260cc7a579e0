// The vault page: sign in with an API key (traded at once for a session), list connections, the
// API keys view for admins, and wire each action.
import { api, ApiError, onSessionEnded, type Connection, type Info, type Provider, type Whoami } from './api';
import { openEditor, setCallbackUrl, type Saved } from './add_dialog';
import { confirmDialog } from './confirm';
import { buildRows, renderRow, type Action, type Can, type Row } from './connections';
import { connectWithCode } from './device';
import { byId, errorText, sentence, toast } from './dom';
import { authenticate, onAuthOutcome, takeReturnOutcome, type AuthOutcome } from './popup';
import { clearKeys, loadKeys } from './keys_view';
import { clearToken, getToken, setToken } from './session';

let providers: Provider[] = [];
let connections: Connection[] = [];
/// Who the session belongs to (GET /v1/whoami), asked once per sign-in.
let me: Whoami | null = null;
/// GET /v1/info (the callback URL to register), asked once per sign-in.
let info: Info | null = null;
/// Brings the sign-in form back when the session's time is up (the gateway decides; this only asks).
let expiryTimer: number | undefined;
type View = 'connections' | 'keys';
let view: View = 'connections';

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
  label.title = me.expires_at_ms ? `This session ends at ${new Date(me.expires_at_ms).toLocaleString()}` : '';
  role.textContent = me.role;
  role.hidden = false;
  document.body.dataset.role = can().admin ? 'admin' : 'user';
  window.clearTimeout(expiryTimer);
  const left = (me.expires_at_ms ?? 0) - Date.now();
  if (me.expires_at_ms && left < 2 ** 31 - 1) expiryTimer = window.setTimeout(() => void refresh(), Math.max(0, left) + 1000);
}

function show(signedIn: boolean): void {
  byId('sign-in').hidden = signedIn;
  byId('session').hidden = !signedIn;
  byId('views').hidden = !signedIn;
  showView(signedIn ? view : null);
}

/// Connections, or API keys (admins only: the gateway refuses the keys routes to anyone else).
function showView(v: View | null): void {
  if (v === 'keys' && me && !can().admin) v = 'connections';
  if (v) view = v;
  byId('vault').hidden = v !== 'connections';
  byId('keys-view').hidden = v !== 'keys';
  for (const b of document.querySelectorAll<HTMLButtonElement>('#views button')) {
    if (b.dataset.view === v) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  if (v === 'keys') void loadKeys();
}

/// Back to the sign-in form: the session forgotten, and nothing of what it showed kept.
function signedOut(message: string): void {
  clearToken();
  window.clearTimeout(expiryTimer);
  me = null;
  info = null;
  providers = [];
  connections = [];
  view = 'connections';
  delete document.body.dataset.role;
  for (const d of document.querySelectorAll<HTMLDialogElement>('dialog[open]')) {
    if (d.id !== 'secret-dialog') d.close();  // a new key's secret stays until it is copied
  }
  byId('connections').replaceChildren();
  byId('connections').removeAttribute('data-ready');
  clearKeys();
  show(false);
  byId('api-key-error').textContent = message;
  byId('api-key').focus();
}

/// What the sign-in form says when the pasted key was not accepted.
function signInError(e: unknown): string {
  if (!(e instanceof ApiError)) return sentence(errorText(e));
  if (e.status === 0) return 'The gateway could not be reached. Check your connection and try again.';
  if (e.status === 401) {
    return /expired/.test(e.message) ? 'That API key has expired: ask an admin to rotate it or to create a new one.'
      : 'That API key is not valid (or was revoked). Enter another one.';
  }
  if (e.status === 400) return 'That is not an API key (a session cannot start another one). Enter an API key.';
  if (e.status === 429) return `Too many keys that are not valid were tried from here: ${sentence(e.message)}`;
  return `Signing in failed: ${sentence(e.message)}`;
}

async function refresh(): Promise<void> {
  const banner = byId('list-error');
  try {
    const [who, about, ps, cs] = await Promise.all([me ? Promise.resolve(me) : api.whoami(),
      info ? Promise.resolve(info) : api.info().catch(() => null), api.providers(), api.connections()]);
    [me, info, providers, connections] = [who, about, ps, cs];
    setCallbackUrl(info?.callback_url ?? null);
    showWho();
    banner.hidden = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;  // the session ended: signedOut() ran
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

/// The pasted key is sent once, to POST /v1/sessions, and then dropped (the input is emptied at
/// once); only the session token is kept.
async function signIn(form: HTMLFormElement): Promise<void> {
  const input = byId<HTMLInputElement>('api-key');
  const err = byId('api-key-error');
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  const fail = (msg: string) => { err.textContent = msg; input.setAttribute('aria-invalid', 'true'); input.focus(); };
  if (!input.value.trim()) { fail('Enter an API key.'); return; }
  const pending = api.startSession(input.value.trim());
  input.value = '';
  submit.disabled = true;
  try {
    setToken((await pending).token);
  } catch (e) {
    fail(signInError(e));
    return;
  } finally {
    submit.disabled = false;
  }
  me = null;
  info = null;
  err.textContent = '';
  input.removeAttribute('aria-invalid');
  show(true);
  await refresh();
  if (getToken()) (can().admin ? byId('add') : byId('vault-title')).focus();
}

/// Ends the session at the gateway, then forgets it (also when the gateway cannot be reached:
/// the tab forgets it, and it ends by itself).
async function signOut(): Promise<void> {
  let message = '';
  try {
    await api.endSession();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;  // it had ended already: signedOut() ran
    message = `Signed out of this tab, but the gateway could not end the session (${errorText(e)}); it ends by itself within 12 hours.`;
  }
  signedOut(message);
  if (!message) toast('Signed out.');
}

function start(): void {
  onAuthOutcome(reportOutcome);
  onSessionEnded(() => signedOut('Your session has ended (it expired, or its API key was revoked or rotated). Sign in again with your API key.'));
  const returned = takeReturnOutcome();
  byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => { e.preventDefault(); void signIn(e.currentTarget as HTMLFormElement); });
  byId('sign-out').addEventListener('click', () => void signOut());
  for (const b of document.querySelectorAll<HTMLButtonElement>('#views button')) {
    b.addEventListener('click', () => showView(b.dataset.view as View));
  }
  byId('add').addEventListener('click', () => void openEditor({ mode: 'add' }, providers, afterSave));
  if (getToken()) {
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
