// Tiny DOM helpers: elements built with textContent only (never innerHTML), so nothing the
// gateway or a provider sends can become markup.
type Attrs = Record<string, string | boolean | number | undefined | null>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

let toastTimer: number | undefined;
/// A short message announced to screen readers (the toast is a polite live region).
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const el = byId('toast');
  el.textContent = text;
  el.className = `toast show ${kind}`;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => { el.className = 'toast'; }, kind === 'error' ? 12000 : 5000);
}

/// Ends a message with one full stop.
export function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/// What went wrong, for a message: an Error's (an ApiError's: the gateway's) message, else the value.
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/// Copies what `el` shows (an input's value, else its text) and says so. Without the Clipboard
/// API (an insecure context, a refused permission) the text is selected and the older copy
/// command tried; if that fails too, the text stays selected for the user to copy.
export async function copyText(el: HTMLElement, label: string): Promise<void> {
  const text = el instanceof HTMLInputElement ? el.value : el.textContent ?? '';
  let copied: boolean;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    if (el instanceof HTMLInputElement) el.select();
    else window.getSelection()?.selectAllChildren(el);
    copied = document.execCommand?.('copy') ?? false;
  }
  if (copied) toast(`${label} copied`);
}
