// What the Add / Edit / Duplicate dialog's parts share: its types, the state of the dialog that
// is open (one at a time), and the small helpers every part uses to reach its inputs and banner.
import type { App, Provider } from './api';
import { byId } from './dom';

export type Kind = 'builtin' | 'oauth2' | 'client_credentials' | 'oauth1' | 'mcp';
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

export interface Field {
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

export const state = {
  providers: [] as Provider[],
  spec: { mode: 'add' } as EditorSpec,
  kind: null as Kind | null,
  chosen: null as Provider | null,
  /// The app of the provider being edited, duplicated or picked (null: none set).
  app: null as App | null,
  /// Bumped on every open and pick: a late answer for an earlier one is ignored.
  generation: 0,
  fields: [] as Field[],
  touched: new Set<string>(),
  /// The gateway's message about a field, shown until the user changes what it is about; unlike
  /// the checks as the user types, it does not stop another try (the server may be back up).
  serverErrors: new Map<string, string>(),
  onSaved: (() => {}) as (s: Saved) => void,
  opener: null as HTMLElement | null,
};

export const dialog = () => byId<HTMLDialogElement>('edit-dialog');

/// The redirect URI to register with providers: the gateway's (GET /v1/info, which knows its
/// --public-url); until it answers, the page's own origin, which is the gateway's when it serves it.
let gatewayCallback: string | null = null;
export function setCallbackUrl(url: string | null): void { gatewayCallback = url; }
export const callbackUrl = () => gatewayCallback ?? `${location.origin}/oauth/callback`;

export function input(name: string): HTMLInputElement | null {
  // A <select> too: the callers only use value, disabled, focus and the aria attributes.
  return document.getElementById(`f-${name}`) as HTMLInputElement | null;
}

export function value(name: string): string {
  const el = input(name);
  if (!el || el.disabled) return '';
  return el.type === 'checkbox' ? (el.checked ? 'on' : 'off') : el.value;
}

/// `base`, or base-2, base-3, … : the first key no provider the gateway has takes.
export function uniqueKey(base: string): string {
  let k = base;
  for (let i = 2; state.providers.some((p) => p.key === k); i += 1) k = `${base}-${i}`;
  return k;
}

export function hideBanner(): void { byId('edit-error').hidden = true; }
export function banner(msg: string): void {
  const b = byId('edit-error');
  b.textContent = msg;
  b.hidden = false;
}
