// @latchkey/wasm in the page, loaded on first use (not at start-up) and optional: when the module
// is not deployed next to the page, or a Content-Security-Policy forbids compiling WebAssembly
// (latchkeyd's own allows it: script-src 'self' 'wasm-unsafe-eval'),
// the page says so and keeps working with its own checks (validate.ts) and the gateway's.
import { errorText } from './dom';

interface Raw {
  engineNew(configJson: string): number;
  validateProvider(json: string): string;
  buildAuthorization(engine: number, requestJson: string): string;
}

export type WasmState = { ok: true; raw: Raw; engine: number } | { ok: false; reason: string };
let loading: Promise<WasmState> | null = null;

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function loadWasm(): Promise<WasmState> {
  if (!loading) {
    loading = (async (): Promise<WasmState> => {
      try {
        const url = new URL('./wasm/raw.js', document.baseURI).href;
        const mod = (await import(/* @vite-ignore */ url)) as { createRaw(): Promise<Raw> };
        const raw = await mod.createRaw();
        const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
        // A throwaway engine: it stores nothing; build_authorization only needs its generator.
        const engine = raw.engineNew(JSON.stringify({ master_keys: { 1: b64(random(32)) }, current_key_version: 1, entropy: b64(random(48)) }));
        return { ok: true, raw, engine };
      } catch (e) {
        const msg = errorText(e);
        return { ok: false, reason: /Content Security Policy|CompileError|wasm-unsafe-eval/i.test(msg)
          ? 'the page\'s Content-Security-Policy does not allow WebAssembly'
          : 'the @latchkey/wasm module is not deployed with this page' };
      }
    })();
  }
  return loading;
}

/// The core's verdict on a provider definition: '' or the core's message (which names the field).
export async function validateWithCore(def: Record<string, unknown>): Promise<string | null> {
  const w = await loadWasm();
  if (!w.ok) return null;
  const r = JSON.parse(w.raw.validateProvider(JSON.stringify(def))) as { ok?: unknown; error?: { message: string } };
  return r.error ? r.error.message : '';
}

/// The consent URL the core would build (fresh PKCE S256 and state; nothing stored).
export async function consentPreview(def: Record<string, unknown>, clientIdValue: string, redirectUri: string, scopeList: string[]): Promise<string | null> {
  const w = await loadWasm();
  if (!w.ok) return null;
  const r = JSON.parse(w.raw.buildAuthorization(w.engine, JSON.stringify({
    provider: def, client_id: clientIdValue, redirect_uri: redirectUri, ...(scopeList.length ? { scopes: scopeList } : {}),
  }))) as { ok?: { authorization_url: string }; error?: { message: string } };
  return r.ok ? r.ok.authorization_url : null;
}
