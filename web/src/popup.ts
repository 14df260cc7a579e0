// Authenticate: the provider's consent page in a 600×700 popup. The gateway's /oauth/callback
// page reports the outcome to its opener (postMessage, same origin) and on the
// BroadcastChannel 'latchkey-oauth'. A blocked popup falls back to a same-tab redirect with
// return_to; the gateway then sends the browser back here with latchkey_status in the query.
// An error's message (the core's sentence: what the provider answered) is in the callback's
// payload; the redirect carries only the error code.
import { api, ApiError } from './api';
import { pageMessage } from './messages';

export interface AuthOutcome {
  type: 'latchkey:connected' | 'latchkey:error';
  provider: string | null;
  account?: string | null;
  status?: string;
  code?: string;
  /// The core's sentence about an error (in the callback page's payload, not in a redirect).
  message?: string;
  /// A readable reason: the message, or what the error code means.
  detail?: string;
}

const WINDOW_NAME = 'latchkey-oauth';
const FEATURES = 'popup=yes,width=600,height=700';

export function describeCode(code: string | undefined): string {
  switch (code) {
    case 'provider_error': return 'the provider refused the authorization (for example, consent was denied)';
    case 'invalid_state': case 'state_expired': case 'state_reused':
      return 'the sign-in link expired or was already used; start again';
    case 'invalid_grant': return 'the provider did not accept the authorization code';
    case 'transport': return 'the provider could not be reached';
    default: return code ? `the sign-in failed (${code})` : 'the sign-in failed';
  }
}

type Listener = (o: AuthOutcome) => void;
let listener: Listener | null = null;
let pending: { popup: Window; provider: string; timer: number } | null = null;
let channel: BroadcastChannel | null = null;
let lastHandled = '';

function deliver(o: AuthOutcome): void {
  // The same outcome may come twice (opener message and channel): handle it once.
  const id = JSON.stringify([o.type, o.provider, o.account, o.code, o.message]);
  if (id === lastHandled && pending === null) return;
  lastHandled = id;
  if (pending) {
    if (!o.provider) o.provider = pending.provider;
    window.clearInterval(pending.timer);
    try { pending.popup.close(); } catch { /* ignore */ }
    pending = null;
  }
  if (o.type === 'latchkey:error' && !o.detail) {
    o.detail = typeof o.message === 'string' && o.message.trim() ? pageMessage(o.message.trim()) : describeCode(o.code);
  }
  listener?.(o);
}

function isOutcome(d: unknown): d is AuthOutcome {
  const t = (d as { type?: unknown } | null)?.type;
  return t === 'latchkey:connected' || t === 'latchkey:error';
}

/// Starts listening for sign-in outcomes (call once).
export function onAuthOutcome(fn: Listener): void {
  listener = fn;
  window.addEventListener('message', (e: MessageEvent) => {
    if (e.origin !== location.origin || !isOutcome(e.data)) return;
    deliver({ ...e.data });
  });
  if ('BroadcastChannel' in window) {
    channel = new BroadcastChannel('latchkey-oauth');
    channel.onmessage = (e: MessageEvent) => { if (isOutcome(e.data)) deliver({ ...e.data }); };
  }
}

/// The page's address without its query: where a same-tab sign-in comes back to.
export function returnUrl(): string {
  return `${location.origin}${location.pathname}`;
}

export type StartResult = 'popup' | 'redirect';

/// Must be called from a click (the popup is opened before any await, or browsers block it).
export async function authenticate(provider: string, opts: { scopes?: string[]; account?: string } = {}): Promise<StartResult> {
  let popup: Window | null = null;
  try { popup = window.open('', WINDOW_NAME, FEATURES); } catch { popup = null; }
  if (!popup) {
    const start = await api.authorize(provider, { ...opts, returnTo: returnUrl() });
    location.assign(start.authorization_url);
    return 'redirect';
  }
  try {
    popup.document.title = 'Connecting…';
    popup.document.body.textContent = 'Opening the provider\'s sign-in page…';
  } catch { /* a reused window on another origin */ }
  let start;
  try {
    start = await api.authorize(provider, opts);
  } catch (e) {
    popup.close();
    throw e;
  }
  if (pending) window.clearInterval(pending.timer);
  const timer = window.setInterval(() => {
    // Closed by the user before finishing: stop waiting (nothing changed on the gateway).
    if (pending && pending.popup.closed) {
      window.clearInterval(pending.timer);
      const p = pending.provider;
      pending = null;
      listener?.({ type: 'latchkey:error', provider: p, code: 'cancelled', detail: 'the sign-in window was closed before it finished' });
    }
  }, 500);
  pending = { popup, provider, timer };
  lastHandled = '';
  popup.location.href = start.authorization_url;
  popup.focus();
  return 'popup';
}

/// After a same-tab redirect: the outcome from the query (then removed from the address bar).
export function takeReturnOutcome(): AuthOutcome | null {
  const q = new URLSearchParams(location.search);
  const status = q.get('latchkey_status');
  if (!status) return null;
  history.replaceState(null, '', returnUrl());
  if (status === 'connected') {
    return { type: 'latchkey:connected', provider: q.get('provider'), account: q.get('account'), status: 'connected' };
  }
  const code = q.get('error') ?? undefined;
  return { type: 'latchkey:error', provider: q.get('provider'), code, detail: describeCode(code) };
}

export { ApiError };
