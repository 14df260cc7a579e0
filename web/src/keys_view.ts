// The API keys view (admins only; the gateway refuses the routes to a user key): the keys with
// their label, principal, role and dates, and Create / Rotate / Revoke. A new secret (create,
// rotate) is shown once in its own dialog, which forgets it when it closes; only its hash is kept
// by the gateway. Revoking or rotating the key this page's session came from ends that session:
// the next request answers 401 and the page asks to sign in again (app.ts).
import { api, ApiError, type IssuedKey, type KeyRecord } from './api';
import { confirmDialog } from './confirm';
import { byId, copyText, errorText, h, sentence, toast } from './dom';

let keys: KeyRecord[] = [];
let wired = false;

/// A time for the table, or "never" (null: never used, never expires); the day only unless
/// `time` (the exact time is in the cell's title).
export function when(ms: number | null, time = false): string {
  if (ms === null || ms === undefined) return 'never';
  return new Date(ms).toLocaleString(undefined, time ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' });
}

const nameOf = (k: KeyRecord) => (k.label ? `${k.label} (${k.id})` : k.id);

export async function loadKeys(): Promise<void> {
  wire();
  const banner = byId('keys-error');
  try {
    keys = await api.keys();
    banner.hidden = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;  // the session ended: app.ts signs out
    banner.textContent = `The keys could not be loaded: ${errorText(e)}`;
    banner.hidden = false;
    return;
  }
  render();
}

/// Forgets the list (signed out).
export function clearKeys(): void {
  keys = [];
  byId('keys-list').replaceChildren();
}

function render(): void {
  const body = byId('keys-list');
  const focused = document.activeElement as HTMLElement | null;
  const action = focused?.dataset?.action;
  const id = (focused?.closest('tr') as HTMLElement | null)?.dataset?.keyId;
  const now = Date.now();
  body.replaceChildren(...keys.map((k) => row(k, now)));
  byId('keys-empty').hidden = keys.length > 0;
  byId('keys-list').closest('table')!.toggleAttribute('data-ready', true);
  // Keep keyboard focus where it was after a re-render (the row may be gone: then Create).
  if (action && id) {
    (body.querySelector<HTMLElement>(`tr[data-key-id="${CSS.escape(id)}"] button[data-action="${action}"]`) ?? byId('key-create')).focus();
  }
}

function row(k: KeyRecord, now: number): HTMLTableRowElement {
  const name = nameOf(k);
  const expired = k.expires_at_ms !== null && k.expires_at_ms <= now;
  const btn = (action: 'rotate' | 'revoke', label: string, cls = '') => {
    const b = h('button', { type: 'button', class: cls, 'data-action': action, 'aria-label': `${label}: ${name}` }, label);
    b.addEventListener('click', () => void (action === 'rotate' ? rotate(k) : revoke(k)));
    return b;
  };
  const time = (ms: number | null, withTime = false) => h('td', ms === null ? {} : { title: new Date(ms).toLocaleString() }, when(ms, withTime));
  return h('tr', { 'data-key-id': k.id },
    h('td', {}, h('code', {}, k.id)),
    h('td', {}, k.label || '—'),
    h('td', {}, k.principal),
    h('td', {}, h('span', { class: `tag role-${k.role === 'admin' ? 'admin' : 'user'}` }, k.role)),
    time(k.created_at_ms),
    time(k.last_used_at_ms, true),
    h('td', { class: expired ? 'expired' : '', title: k.expires_at_ms === null ? null : new Date(k.expires_at_ms).toLocaleString() },
      expired ? `expired ${when(k.expires_at_ms)}` : when(k.expires_at_ms)),
    h('td', {}, h('div', { class: 'key-actions' }, btn('rotate', 'Rotate'), btn('revoke', 'Revoke', 'danger'))));
}

/// Shows a new secret once; resolves when the dialog closes (the secret is then dropped).
function showSecret(title: string, k: IssuedKey): Promise<void> {
  const dialog = byId<HTMLDialogElement>('secret-dialog');
  const input = byId<HTMLInputElement>('secret-value');
  byId('secret-title').textContent = title;
  byId('secret-for').textContent = `${k.label ? `"${k.label}", ` : ''}key ${k.id} for ${k.principal} (${k.role}); ${
    k.expires_at_ms === null ? 'it does not expire' : `it expires ${when(k.expires_at_ms, true)}`}.`;
  input.value = k.key;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => { input.value = ''; resolve(); }, { once: true });
    dialog.showModal();
    input.focus();
    input.select();
  });
}

async function rotate(k: KeyRecord): Promise<void> {
  const res = await confirmDialog(`Rotate ${nameOf(k)}?`,
    `A new secret replaces this key's current one, which is refused from now on, and the browser sessions signed in with it end (this one too, if you signed in with this key). Whatever uses the key needs the new secret.`,
    'Rotate');
  if (!res.ok) return;
  let issued: IssuedKey;
  try {
    issued = await api.rotateKey(k.id);
  } catch (e) {
    toast(`${nameOf(k)} was not rotated: ${sentence(errorText(e))}`, 'error');
    return;
  }
  // Not reloaded before the secret is seen: if this page's session came from this key, the next
  // request ends it.
  const { key: _secret, ...record } = issued;
  keys = keys.map((x) => (x.id === k.id ? record : x));
  render();
  await showSecret('Key rotated', issued);
  await loadKeys();
}

async function revoke(k: KeyRecord): Promise<void> {
  const res = await confirmDialog(`Revoke ${nameOf(k)}?`,
    `The key of ${k.principal} (${k.role}) is refused from now on, and the browser sessions signed in with it end (this one too, if you signed in with this key). This cannot be undone.`,
    'Revoke');
  if (!res.ok) return;
  try {
    await api.revokeKey(k.id);
    toast(`Revoked ${nameOf(k)}.`);
  } catch (e) {
    toast(`${nameOf(k)} was not revoked: ${sentence(errorText(e))}`, 'error');
  }
  await loadKeys();
}

function field<T extends HTMLElement = HTMLInputElement>(id: string): T { return byId<T>(id); }

function openCreate(): void {
  const dialog = byId<HTMLDialogElement>('key-dialog');
  field('key-principal').value = '';
  field('key-principal').removeAttribute('aria-invalid');
  byId('key-principal-error').textContent = '';
  field<HTMLSelectElement>('key-role').value = 'user';
  field('key-label').value = '';
  field<HTMLSelectElement>('key-expiry').value = '7776000';
  byId('key-dialog-error').hidden = true;
  dialog.showModal();
  field('key-principal').focus();
}

async function submitCreate(): Promise<void> {
  const principal = field('key-principal');
  const err = byId('key-principal-error');
  const banner = byId('key-dialog-error');
  banner.hidden = true;
  const name = principal.value.trim();
  if (!name) {
    err.textContent = 'A principal is required: the name the key acts for.';
    principal.setAttribute('aria-invalid', 'true');
    principal.focus();
    return;
  }
  err.textContent = '';
  principal.removeAttribute('aria-invalid');
  const label = field('key-label').value.trim();
  const expiry = field<HTMLSelectElement>('key-expiry').value;
  const ok = byId<HTMLButtonElement>('key-create-ok');
  ok.disabled = true;
  try {
    const issued = await api.createKey({
      principal: name, role: field<HTMLSelectElement>('key-role').value,
      ...(label ? { label } : {}), ...(expiry ? { expires_in_s: Number(expiry) } : {}),
    });
    byId<HTMLDialogElement>('key-dialog').close();
    void loadKeys();
    await showSecret('Key created', issued);
    byId('key-create').focus();
  } catch (e) {
    banner.textContent = sentence(errorText(e));
    banner.hidden = false;
  } finally {
    ok.disabled = false;
  }
}

function wire(): void {
  if (wired) return;
  wired = true;
  byId('key-create').addEventListener('click', openCreate);
  byId('key-create-form').addEventListener('submit', (e) => { e.preventDefault(); void submitCreate(); });
  byId('key-cancel').addEventListener('click', () => byId<HTMLDialogElement>('key-dialog').close());
  byId('key-principal').addEventListener('input', () => {
    byId('key-principal-error').textContent = '';
    byId('key-principal').removeAttribute('aria-invalid');
  });
  byId('secret-copy').addEventListener('click', () => void copyText(byId('secret-value'), 'API key'));
  // Dropped as the dialog is told to close (Done, Esc), not a task later in its 'close' event.
  const forget = () => { byId<HTMLInputElement>('secret-value').value = ''; };
  byId('secret-done').addEventListener('click', forget);
  byId('secret-dialog').addEventListener('cancel', forget);
}
