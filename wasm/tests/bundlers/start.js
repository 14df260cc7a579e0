// Shared by the bundled apps: what a page does first with @latchkey/wasm — a broker, a provider
// of its own, its app, and the start of an authorization. Nothing here touches the network:
// the consent URL is built by the core, so the dummy https endpoints are never fetched.
import { createBroker } from '@latchkey/wasm';

export async function startAuthorization(options) {
  const broker = await createBroker(options);
  await broker.providers.register({
    key: 'example',
    display_name: 'Example',
    auth_mode: 'oauth2',
    authorization_endpoint: 'https://auth.example.com/authorize',
    token_endpoint: 'https://auth.example.com/token',
    api_base_url: 'https://api.example.com',
    default_scopes: ['read'],
    pkce: 'required',
    token_endpoint_auth_method: 'none',
    injection: { hosts: ['api.example.com'], header: 'Authorization', prefix: 'Bearer ', query_param: null },
  });
  await broker.apps.upsert({ provider: 'example', clientId: 'bundled-app', redirectUri: `${location.origin}/callback` });
  const { url } = await broker.authorize('example');
  broker.close();
  return url;
}

/// The outcome, where the test reads it: window.outcome, then the title 'done'.
export function report(run) {
  run.then(
    (url) => { window.outcome = { ok: true, url }; },
    (e) => { window.outcome = { ok: false, name: e?.name, code: e?.code, message: String(e?.message ?? e) }; },
  ).finally(() => { document.title = 'done'; });
}
