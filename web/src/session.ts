// The API key: in memory, mirrored to this tab's sessionStorage so a same-tab sign-in redirect
// comes back signed in. Never localStorage, never a cookie.
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

/// Non-secret app facts (client_id, has_client_secret) the API only returns when they are set:
/// remembered for this tab so Edit can prefill them.
const APPS = 'latchkey.vault.apps';
export interface AppFacts { client_id: string; has_client_secret: boolean; scopes: string[] }

export function rememberApp(provider: string, app: AppFacts): void {
  const all = knownApps();
  all[provider] = { client_id: app.client_id, has_client_secret: app.has_client_secret, scopes: app.scopes };
  try { sessionStorage.setItem(APPS, JSON.stringify(all)); } catch { /* ignore */ }
}

export function knownApps(): Record<string, AppFacts> {
  try { return JSON.parse(sessionStorage.getItem(APPS) ?? '{}') as Record<string, AppFacts>; } catch { return {}; }
}
