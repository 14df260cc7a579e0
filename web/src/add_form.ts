// The dialog's form: its fields rendered (main and Advanced), checked as the user types and on
// save, the key suggested from the name or server URL, and the consent URL previewed by the core.
import { definition } from './add_definition';
import { keyFromName, keyFromUrl } from './add_fields';
import { callbackUrl, hideBanner, input, state, value, type Field } from './add_state';
import { byId, copyText, h } from './dom';
import * as v from './validate';
import { consentPreview, loadWasm } from './wasm';

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
    const indicator = h('span', { class: 'secret-set' }, '● A secret is set');
    const replace = h('button', { type: 'button', class: 'link' }, 'Replace');
    replace.addEventListener('click', () => {
      el.disabled = false; el.hidden = false; indicator.hidden = true; replace.hidden = true; el.focus();
    });
    el.addEventListener('input', () => onInput(f));
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), h('div', { class: 'with-button' }, indicator, replace, el), hint, error);
  }
  const el = h('input', {
    id, name: f.name, type: f.type === 'password' ? 'password' : f.type === 'url' ? 'url' : 'text', value: f.value ?? '',
    autocomplete: f.type === 'password' ? 'new-password' : 'off', spellcheck: 'false', 'aria-describedby': described,
    inputmode: f.type === 'url' ? 'url' : undefined,
  });
  el.addEventListener('input', () => onInput(f));
  el.addEventListener('blur', () => { state.touched.add(f.name); check(f); });
  return h('div', { class: 'field' }, h('label', { for: id }, f.label), el, hint, error);
}

function check(f: Field): string {
  const el = input(f.name);
  if (!el || !f.check) return '';
  const msg = el.disabled ? '' : f.check(el.value);
  showFieldError(f.name, state.touched.has(f.name) ? msg || (state.serverErrors.get(f.name) ?? '') : '');
  return msg;
}

export function showFieldError(name: string, msg: string): void {
  const el = input(name);
  const err = document.getElementById(`f-${name}-error`);
  if (err) err.textContent = msg;
  if (el) el.setAttribute('aria-invalid', msg ? 'true' : 'false');
}

let previewTimer: number | undefined;
function onInput(f: Field): void {
  const { fields, serverErrors, spec, touched } = state;
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

export function renderFields(): void {
  const box = byId('edit-fields');
  box.replaceChildren();
  const main = state.fields.filter((f) => !f.advanced).map(renderField);
  const adv = state.fields.filter((f) => f.advanced).map(renderField);
  box.append(...main);
  if (adv.length) box.append(h('details', { class: 'advanced' }, h('summary', {}, 'Advanced'), ...adv));
  const saveBtn = byId<HTMLButtonElement>('edit-save');
  saveBtn.disabled = state.kind === null;
  saveBtn.textContent = saveLabel();
  byId('consent-preview').hidden = true;
  updatePreview();
}

export function saveLabel(): string {
  const { kind, spec } = state;
  const p = spec.provider;
  if (kind === 'mcp') return 'Add and sign in';
  if (spec.mode === 'edit' && spec.connected) return p?.auth_mode === 'client_credentials' ? 'Save and reconnect' : 'Save and re-authenticate';
  return spec.mode === 'duplicate' && kind === 'builtin' ? 'Save and authenticate' : 'Save';
}

/// Every field checked (and marked touched); the first invalid one gets the focus.
export function validateAll(): boolean {
  let first: Field | null = null;
  for (const f of state.fields) {
    state.touched.add(f.name);
    if (check(f) && !first) first = f;
  }
  if (first) { input(first.name)?.focus(); return false; }
  return true;
}

async function updatePreview(): Promise<void> {
  const box = byId('consent-preview');
  const oauth2 = state.kind === 'builtin' ? state.chosen?.auth_mode === 'oauth2' : state.kind === 'oauth2';
  if (!oauth2 || state.spec.mode === 'edit') { box.hidden = true; return; }
  if (state.fields.some((f) => f.check && input(f.name) && !input(f.name)!.disabled && f.check(input(f.name)!.value))) { box.hidden = true; return; }
  const w = await loadWasm();
  box.hidden = false;
  const note = byId('consent-preview-note');
  const out = byId('consent-preview-url');
  if (!w.ok) { note.textContent = `Preview unavailable: ${w.reason}. The gateway builds the real URL when you authenticate.`; out.textContent = ''; return; }
  const def = state.kind === 'builtin' && state.chosen ? state.chosen.key : definition();
  const url = await consentPreview(def as Record<string, unknown>, value('client_id').trim(), callbackUrl(), v.parseScopes(value('scopes')));
  note.textContent = 'Built in this page by the latchkey core (WebAssembly) with a fresh PKCE challenge and state; the gateway makes its own when you authenticate.';
  out.textContent = url ?? '';
  box.hidden = !url;
}
