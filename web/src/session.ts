// The page's session token (POST /v1/sessions): in memory, mirrored to this tab's sessionStorage
// so a same-tab sign-in redirect comes back signed in. The pasted API key is traded for it at
// once and never kept: a token in the tab's storage then ends by itself (12 hours by default),
// with sign-out, and with its key. Never localStorage, never a cookie; nothing else is kept in
// the browser (app settings are read from the gateway, GET /v1/providers/{key}/app).
const KEY = 'latchkey.vault.session';
/// Where earlier versions of the page kept the long-lived API key itself: removed on load.
const OLD_KEY = 'latchkey.vault.apiKey';
let current: string | null = null;

try { sessionStorage.removeItem(OLD_KEY); } catch { /* no storage */ }

export function getToken(): string | null {
  if (current) return current;
  try { current = sessionStorage.getItem(KEY); } catch { current = null; }
  return current;
}

export function setToken(token: string): void {
  current = token;
  try { sessionStorage.setItem(KEY, token); } catch { /* private mode: memory only */ }
}

export function clearToken(): void {
  current = null;
  try { sessionStorage.removeItem(KEY); } catch { /* ignore */ }
}
