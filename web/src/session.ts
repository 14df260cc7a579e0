// The API key: in memory, mirrored to this tab's sessionStorage so a same-tab sign-in redirect
// comes back signed in. Never localStorage, never a cookie; nothing else is kept in the browser
// (app settings are read from the gateway, GET /v1/providers/{key}/app).
const KEY = 'latchkey.vault.apiKey';
let current: string | null = null;

export function getKey(): string | null {
  if (current) return current;
  try { current = sessionStorage.getItem(KEY); } catch { current = null; }
  return current;
}

export function setKey(key: string): void {
  current = key;
  try { sessionStorage.setItem(KEY, key); } catch { /* private mode: memory only */ }
}

export function clearKey(): void {
  current = null;
  try { sessionStorage.removeItem(KEY); } catch { /* ignore */ }
}
