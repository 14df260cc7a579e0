// The vault page: sign in with an API key, list connections, and wire each action.
import { api, ApiError, type Connection, type Provider } from './api';
import { openEditor, type Saved } from './add_dialog';
import { confirmDialog } from './confirm';
import { buildRows, renderRow, type Action, type Row } from './connections';
import { byId, toast } from './dom';
import { authenticate, onAuthOutcome, takeReturnOutcome, type AuthOutcome } from './popup';
import { clearKey, getKey, setKey } from './session';

let providers: Provider[] = [];
let connections: Connection[] = [];

function show(signedIn: boolean): void {
  byId('sign-in').hidden = signedIn;
  byId('vault').hidden = !signedIn;
  byId('session').hidden = !signedIn;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

async function refresh(): Promise<void> {
  const banner = byId('list-error');
  try {
    [providers, connections] = await Promise.all([api.providers(), api.connections()]);
    banner.hidden = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearKey();
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
  list.replaceChildren(...rows.map((r) => renderRow(r, onAction)));
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
  else toast(`${name} is not connected: ${o.detail ?? o.code ?? 'the sign-in failed'}.`, 'error');
  void refresh();
}

async function startAuth(provider: Provider, opts: { scopes?: string[]; account?: string }): Promise<void> {
  try {
    if (provider.auth_mode === 'client_credentials') {
      const c = await api.connectClientCredentials(provider.key, { ...(opts.account ? { account: opts.account } : {}), ...(opts.scopes?.length ? { scopes: opts.scopes } : {}) });
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

async function test(row: Row, button: HTMLButtonElement): Promise<void> {
  const { provider: p, connection: c } = row;
  if (!c) return;
  const ping = p.ping;
  const base = (p.api_base_url ?? '').replace(/\/+$/, '');
  let path = '';
  if (ping && base && ping.url.startsWith(`${base}/`)) path = ping.url.slice(base.length + 1);
  else if (ping && base && ping.url === base) path = '';
  else {
    toast(`${p.display_name} has no test request under its API base URL.`, 'error');
    return;
  }
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const r = await api.proxy(p.key, c.account, ping.method || 'GET', path);
    if (r.status >= 200 && r.status < 300) toast(`Test passed: ${p.display_name} answered HTTP ${r.status}.`);
    else toast(`Test failed: ${p.display_name} answered HTTP ${r.status}${r.text ? ` — ${r.text.slice(0, 160)}` : ''}.`, 'error');
  } catch (e) {
    toast(`Test failed: ${errorText(e)}`, 'error');
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    await refresh();
  }
}

function afterSave(s: Saved): void {
  void (async () => {
    await refresh();
    const p = providers.find((x) => x.key === s.provider);
    if (!p) return;
    if (s.then?.authenticate) await startAuth(p, s.then.authenticate);
    else if (s.then?.connect) await startAuth(p, s.then.connect);
    else toast(`${p.display_name} saved. Choose ${p.auth_mode === 'client_credentials' ? 'Connect' : 'Authenticate'} to connect an account.`);
  })();
}

function onAction(action: Action, row: Row, button: HTMLButtonElement): void {
  const { provider: p, connection: c } = row;
  switch (action) {
    case 'authenticate':
      void startAuth(p, { ...(c ? { account: c.account } : {}) });
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
      openEditor({ mode: 'edit', provider: p, connected: !!c, account: c?.account }, providers, afterSave);
      break;
    case 'duplicate':
      openEditor({ mode: 'duplicate', provider: p }, providers, afterSave);
      break;
    case 'remove':
      void (async () => {
        const what = c ? `the connection to ${p.display_name} (account ${c.account})` : p.display_name;
        const custom = !p.builtin && connections.filter((x) => x.provider === p.key).length <= (c ? 1 : 0);
        const ok = await confirmDialog(`Remove ${p.display_name}?`,
          `This removes ${what}${c ? ', revokes its tokens at the provider' : ''}${custom ? ' and the custom provider definition with its app credentials' : ''}. This cannot be undone.`,
          'Remove');
        if (!ok) return;
        try {
          if (c) await api.disconnect(c.provider, c.account, true);
          if (custom) await api.deleteProvider(p.key);
          toast(`Removed ${p.display_name}${c ? ` (${c.account})` : ''}.`);
        } catch (e) { toast(errorText(e), 'error'); }
        await refresh();
      })();
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
    input.value = '';
    err.textContent = '';
    input.removeAttribute('aria-invalid');
    show(true);
    await refresh();
    if (getKey()) { byId('session-label').textContent = 'Signed in with an API key'; byId('add').focus(); }
  });
  byId('sign-out-key').addEventListener('click', () => {
    clearKey();
    byId('connections').replaceChildren();
    show(false);
    byId('api-key').focus();
  });
  byId('add').addEventListener('click', () => openEditor({ mode: 'add' }, providers, afterSave));
  if (getKey()) {
    byId('session-label').textContent = 'Signed in with an API key';
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
