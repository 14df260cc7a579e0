// What a row's status badge says.
import type { Connection } from './api';

export interface Badge { label: string; kind: 'ok' | 'warn' | 'error' | 'idle'; detail: string }

export function expiresIn(ms: number, now = Date.now()): string {
  const s = Math.round((ms - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 90) return `expires in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `expires in ${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `expires in ${h} h` : `expires in ${Math.round(h / 24)} days`;
}

export function badgeFor(c: Connection | null, now = Date.now()): Badge {
  if (!c) return { label: 'not connected', kind: 'idle', detail: '' };
  if (c.status === 'needs_reauth') return { label: 'needs re-auth', kind: 'warn', detail: c.last_error ?? 'sign in again to continue' };
  if (c.last_error) return { label: 'error', kind: 'error', detail: c.last_error };
  if (c.expires_at_ms !== null && c.expires_at_ms <= now && !c.has_refresh_token && c.grant !== 'client_credentials') {
    return { label: 'expired', kind: 'warn', detail: 'the token expired and cannot be refreshed' };
  }
  const detail = c.expires_at_ms === null ? 'no expiry'
    : `${expiresIn(c.expires_at_ms, now)}${c.has_refresh_token || c.grant === 'client_credentials' ? ', renewed automatically' : ''}`;
  return { label: 'connected', kind: 'ok', detail };
}
