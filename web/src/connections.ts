// The connections list: one row per connection, plus a row for each configured provider that
// has no connection yet. Rendering only; the actions are handed to app.ts.
import type { Connection, Provider } from './api';
import { h } from './dom';
import { badgeFor } from './status';

export interface Row { provider: Provider; connection: Connection | null }
export type Action = 'authenticate' | 'device' | 'signout' | 'edit' | 'duplicate' | 'remove' | 'test';

export function buildRows(providers: Provider[], connections: Connection[]): Row[] {
  const byKey = new Map(providers.map((p) => [p.key, p]));
  const rows: Row[] = [];
  const connected = new Set<string>();
  for (const c of connections) {
    const p = byKey.get(c.provider);
    if (!p) continue;
    connected.add(c.provider);
    rows.push({ provider: p, connection: c });
  }
  for (const p of providers) {
    if (connected.has(p.key)) continue;
    if (!p.builtin || p.has_app) rows.push({ provider: p, connection: null });
  }
  rows.sort((a, b) => a.provider.display_name.localeCompare(b.provider.display_name)
    || (a.connection?.account ?? '').localeCompare(b.connection?.account ?? ''));
  return rows;
}

function hue(text: string): number {
  let x = 0;
  for (const ch of text) x = (x * 31 + ch.charCodeAt(0)) % 360;
  return x;
}

/// A monogram "logo" (no third-party image requests).
function logo(p: Provider): HTMLElement {
  const el = h('span', { class: 'logo', 'aria-hidden': 'true' }, (p.display_name.trim()[0] ?? '?').toUpperCase());
  el.style.backgroundColor = `hsl(${hue(p.key)} 55% 42%)`;
  return el;
}

/// What the signed-in key may do: a `user` key connects and uses accounts; providers and apps
/// (Edit, Duplicate, removing a provider or its app) need an `admin` key.
export interface Can { admin: boolean }

export function renderRow(row: Row, onAction: (a: Action, row: Row, button: HTMLButtonElement) => void, can: Can): HTMLLIElement {
  const { provider: p, connection: c } = row;
  const badge = badgeFor(c);
  const cc = p.auth_mode === 'client_credentials';
  const name = `${p.display_name}${c ? ` (${c.account})` : ''}`;
  const btn = (action: Action, label: string, cls = '') => {
    const b = h('button', { type: 'button', class: cls, 'data-action': action, 'aria-label': `${label}: ${name}` }, label);
    b.addEventListener('click', () => onAction(action, row, b));
    return b;
  };
  const scopes = c ? c.scope.split(/\s+/).filter(Boolean) : [];
  const connectedish = c !== null && c.status !== 'needs_reauth';
  // A discovered MCP server: its tokens are for this resource (RFC 8707) and go nowhere else.
  const server = typeof p.resource === 'string' && p.resource ? p.resource : null;
  return h('li', { class: 'row', 'data-provider': p.key, 'data-account': c?.account ?? '', 'data-status': badge.label },
    logo(p),
    h('div', { class: 'who' },
      h('h3', {}, p.display_name, p.builtin ? null : h('span', { class: 'tag' }, server ? 'MCP server' : cc ? 'client credentials' : 'custom')),
      server ? h('p', { class: 'server' }, 'Server: ', h('code', {}, server)) : null,
      h('p', { class: 'account' }, c ? `Account: ${c.account}` : 'No account connected'),
      scopes.length ? h('ul', { class: 'scopes', 'aria-label': 'Granted scopes' }, ...scopes.map((s) => h('li', {}, s))) : null),
    h('div', { class: 'state' },
      h('span', { class: `badge ${badge.kind}` }, badge.label),
      badge.detail ? h('span', { class: 'detail' }, badge.detail) : null),
    h('div', { class: 'row-actions' },
      connectedish ? btn('signout', 'Sign out') : btn('authenticate', c ? 'Re-authenticate' : cc ? 'Connect' : 'Authenticate', 'primary'),
      !connectedish && !cc && p.device_authorization_endpoint ? btn('device', 'Connect with a code') : null,
      c && p.ping ? btn('test', 'Test') : null,
      can.admin ? btn('edit', 'Edit') : null,
      can.admin ? btn('duplicate', 'Duplicate') : null,
      c || can.admin ? btn('remove', 'Remove', 'danger') : null));
}
