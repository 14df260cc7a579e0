// latchkeyd's routes. Order matters where patterns overlap: the first route whose pattern and
// method match wins, and a 405's Allow lists the methods of every route matching the path.
// All JSON; errors are {"error":{"code","message"}} with the core's error codes.
#include "api_handlers.hpp"
#include "proxy.hpp"
#include "routes.hpp"

namespace latchkey::gateway {
namespace {

bool serves_files(const ApiConfig& config) { return !config.web_root.empty(); }

constexpr Role kNone = Role::none, kKey = Role::key, kAdmin = Role::admin;

}  // namespace

const std::vector<Route>& api_routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/healthz", kNone, "/healthz", "", true, nullptr, get_healthz,
       "{ok: true}. The Host check is against DNS rebinding (host_check.hpp)."},
      {"GET", "/metrics", kNone, "/metrics", "", true, nullptr, get_metrics,
       "Prometheus text. With metrics_key_required (--metrics-key-required) it needs an admin key:\n"
       "401 without one, 403 forbidden for a user key."},
      {"GET", "/oauth/callback", kNone, "/oauth/callback", "", false, nullptr, oauth_callback,
       "The browser lands here after consent: an HTML page (JSON with Accept: application/json), or\n"
       "for a sign-in started with return_to, 303 there with latchkey_status=connected|error,\n"
       "provider, account or error (never the code or state). The sign-in completes for the principal\n"
       "that started it (its pending record names it: the state is the proof)."},

      {"GET", "/v1/whoami", kKey, "/v1/whoami", "", false, nullptr, get_whoami,
       "{principal, role, key_id, expires_at_ms (null: never), session} of the caller's key or session."},
      {"GET", "/v1/keys", kAdmin, "/v1/keys", "managing API keys", false, nullptr, list_keys_route,
       "{keys: [{id, label, principal, role, created_at_ms, expires_at_ms, last_used_at_ms}]} (null: never;\n"
       "last use is kept to the minute). Never a secret; browser sessions are not listed."},
      {"POST", "/v1/keys", kAdmin, "/v1/keys", "managing API keys", false, nullptr, create_key_route,
       "{principal, role? (user), label?, expires_in_s? | expires_at_ms?} → 201 the key with its secret\n"
       "in \"key\": shown this once (only its hash is stored)."},
      {"DELETE", "/v1/keys/{id}", kAdmin, "/v1/keys/{id}", "managing API keys", false, nullptr, revoke_key_route,
       "{revoked: key}. The key and its browser sessions are refused from now on, by every loop and\n"
       "process on this store. 404 not_found for an unknown id."},
      {"POST", "/v1/keys/{id}/rotate", kAdmin, "/v1/keys/{id}/rotate", "managing API keys", false, nullptr,
       rotate_key_route,
       "The key (same id, label, principal, role, expiry) with a new secret in \"key\"; the old secret\n"
       "and the key's sessions stop working at once."},
      {"POST", "/v1/sessions", kKey, "/v1/sessions", "", false, nullptr, create_session_route,
       "{ttl_s?} (default 43200, at most 86400) → 201 {token, id, expires_at_ms, principal, role}: a\n"
       "key for a browser page, with the caller's principal and role, ending at the caller key's expiry\n"
       "at the latest and revoked with it. A session cannot make another (400)."},
      {"DELETE", "/v1/sessions/current", kKey, "/v1/sessions/current", "", false, nullptr, end_session_route,
       "Ends the calling session (sign out): {ended: true}. 400 when called with a key."},
      {"GET", "/v1/info", kKey, "/v1/info", "", false, nullptr, get_info,
       "{version, public_url (null unless --public-url), callback_url}: the redirect URI to register\n"
       "with providers for this gateway's sign-ins."},

      {"GET", "/v1/providers", kKey, "/v1/providers", "", false, nullptr, list_providers,
       "Every provider (catalog and custom)."},
      {"POST", "/v1/providers", kAdmin, "/v1/providers", "registering providers", false, nullptr, register_provider,
       "A custom provider definition (catalog schema) → 201 provider."},
      {"GET", "/v1/providers/{key}", kKey, "/v1/providers/{key}", "", false, nullptr, get_provider,
       "One provider."},
      {"PUT", "/v1/providers/{key}", kAdmin, "/v1/providers/{key}", "changing providers", false, nullptr,
       update_provider, "Updates a custom provider: the members the body names replace the stored ones (null removes one); a \"key\" in the body must be the path's."},
      {"DELETE", "/v1/providers/{key}", kAdmin, "/v1/providers/{key}", "changing providers", false, nullptr,
       remove_provider, "[?force=true] Removes a custom provider."},
      // After /v1/providers/{key}: a provider named "discover" keeps its GET, PUT and DELETE.
      {"POST", "/v1/providers/discover", kAdmin, "/v1/providers/discover", "registering providers", false, nullptr,
       discover_provider,
       "{url, key, mcp?, allow_private_network?} → 201 provider (+ has_client_secret and\n"
       "client_secret_expires_at_ms, null for never, when an app was registered). Issuer metadata\n"
       "(OpenID / RFC 8414), else — or with mcp — a protected resource (MCP server, RFC 9728) whose\n"
       "authorization server registers latchkey (RFC 7591) with this gateway's /oauth/callback.\n"
       "allow_private_network: loopback/private hosts (and http on loopback); refused (400) without it."},
      {"GET", "/v1/providers/{key}/app", kKey, "/v1/providers/{key}/app", "", false, nullptr, get_app,
       "The app, with has_client_secret (never the secret); a dynamically registered one (RFC 7591)\n"
       "also with has_registration_access_token (never the token), registration_client_uri and\n"
       "client_secret_expires_at_ms (null: never; past it, grants fail with invalid_request)."},
      {"PUT", "/v1/providers/{key}/app", kAdmin, "/v1/providers/{key}/app", "changing app credentials", false,
       nullptr, put_app,
       "{client_id, client_secret?, redirect_uri?, scopes?, template_values?, token_endpoint_auth_method?,\n"
       "key_id?} (client_secret \"\" clears it; left out keeps it; for private_key_jwt the client_secret\n"
       "is the PEM private key)."},
      {"DELETE", "/v1/providers/{key}/app", kAdmin, "/v1/providers/{key}/app", "changing app credentials", false,
       nullptr, delete_app, "Removes the app's credentials."},
      {"GET", "/v1/providers/{key}/authorize", kKey, "/v1/providers/{key}/authorize", "", false, nullptr, authorize,
       "?scopes=a,b&account=&return_to= → {authorization_url, state, expires_at_ms}\n"
       "(redirect_uri: http://<listen address>/oauth/callback). return_to: a URL whose origin is in\n"
       "return_to_origins or the gateway's own (else 400); kept under \"gwreturn/\" (return_records.hpp)."},
      {"POST", "/v1/providers/{key}/connect", kKey, "/v1/providers/{key}/connect", "", false, nullptr,
       connect_client_credentials, "Client credentials: {account?, scopes?} → connection."},
      {"POST", "/v1/providers/{key}/device", kKey, "/v1/providers/{key}/device", "", false, nullptr, device_start,
       "Device grant (RFC 8628): {account?, scopes?, timeout_ms?} → {handle, user_code,\n"
       "verification_uri, verification_uri_complete, expires_at_ms, interval_ms}. timeout_ms (1 to\n"
       "3600000) ends the sign-in sooner than the code's own lifetime."},
      {"POST", "/v1/providers/{key}/device/poll", kKey, "/v1/providers/{key}/device/poll", "", false, nullptr,
       device_poll,
       "{handle} → 200 connection once the user approved; 202 {pending: true, interval_ms,\n"
       "next_poll_at_ms, expires_at_ms} (and Retry-After) while they have not decided; or the core's\n"
       "error (access_denied: provider_error; expired: state_expired; another principal's or provider's\n"
       "handle: invalid_state). Answered at once, never waiting for the user: poll again every\n"
       "interval_ms. The provider is asked at most once per interval however often clients poll (core\n"
       "device_poll_once), so polling early only costs a store read."},

      {"POST", "/v1/oauth/exchange", kKey, "/v1/oauth/exchange", "", false, nullptr, oauth_exchange,
       "{code, state, iss?} → connection (the state's principal only)."},

      // A connection is addressed by its id ("provider/account", each part percent-encoded)
      // appended as-is: two path segments. The principal always comes from the key, so another
      // principal's connection is 404, never 403.
      {"GET", "/v1/connections", kKey, "/v1/connections", "", false, nullptr, list_connections,
       "The caller's principal's connections."},
      {"GET", "/v1/connections/{provider}/{account}", kKey, "/v1/connections/{id}", "", false, nullptr,
       connection_status, "The connection's status."},
      {"DELETE", "/v1/connections/{provider}/{account}", kKey, "/v1/connections/{id}", "", false, nullptr,
       disconnect, "[?revoke=true] Removes the connection (revoking its tokens at the provider first)."},
      {"POST", "/v1/connections/{provider}/{account}/token", kKey, "/v1/connections/{id}/token", "", false, nullptr,
       connection_token,
       "[?force_refresh=true] {access_token, token_type, expires_at}: a valid token (refreshed when\n"
       "due, or always with force_refresh: the CLI's --force-refresh)."},
      {"POST", "/v1/connections/{provider}/{account}/ping", kKey, "/v1/connections/{id}/ping", "", false, nullptr,
       connection_ping,
       "The provider's declared cheap authenticated call, made with the connection (a 401 refreshes\n"
       "once): {ok, status, ms} and, if the provider could not be reached, error."},

      {"*", "/v1/proxy/{provider}/*", kKey, kProxyRoute, "", false, nullptr, proxy_request,
       "/v1/proxy/{provider}/{path...}[?query]: the caller's connection to {provider} (header\n"
       "X-Latchkey-Account picks one of several) signs the request, sent to api_base_url + \"/\" + path\n"
       "+ query (/v1/proxy/{provider} alone: api_base_url + query). Bodies are streamed both ways\n"
       "(proxy.hpp). Upstream 401: one forced refresh and retry. Redirects are returned, never followed."},

      // The /oauth-providers contract (api_oauth_providers.cpp, docs/oauth_providers_api.md): the same
      // rows under each prefix its users' clients know. {id} is the provider's key; the objects are
      // OAuthProvider {id, name, display_name, project, grant_type, authorization_endpoint,
      // token_endpoint, client_id, has_client_secret, default_scopes, use_pkce, revocation_endpoint,
      // created_at, updated_at}, never the secret. The routes run /v1's operations.
#define LK_OAUTH_PROVIDER_ROUTES(P)                                                                            \
  {"GET", P, kKey, P, "", false, nullptr, list_oauth_providers,                                                \
   "[OAuthProvider] of the providers made here, by name (catalog and /v1 providers stay /v1's)."},             \
  {"POST", P, kAdmin, P, "creating OAuth providers", false, nullptr, create_oauth_provider,                    \
   "{name (kebab-case, unique), display_name, client_id, token_endpoint, grant_type? (authorization_code,\n"   \
   "the default, | client_credentials), authorization_endpoint (authorization_code), client_secret?,\n"         \
   "default_scopes?, use_pkce? (true), revocation_endpoint?} → 201 OAuthProvider: a custom provider keyed\n"    \
   "by the id, and its app. 409 conflict for a name in use."},                                                 \
  {"GET", P "/{id}", kKey, P "/{id}", "", false, nullptr, get_oauth_provider, "One OAuthProvider."},            \
  {"PUT", P "/{id}", kAdmin, P "/{id}", "changing OAuth providers", false, nullptr, update_oauth_provider,      \
   "The create body's members, each optional: only those named change (client_secret \"\" clears it; an\n"    \
   "endpoint null or \"\" removes it) → OAuthProvider, updated_at moved."},                                     \
  {"DELETE", P "/{id}", kAdmin, P "/{id}", "deleting OAuth providers", false, nullptr, delete_oauth_provider,    \
   "Removes the provider, its app and every connection made with it → {success: true}."},                      \
  {"POST", P "/exchange", kKey, P "/exchange", "", false, nullptr, exchange_oauth_code,                         \
   "{code, state} → {success: true}: completes the sign-in the state names, for the principal that\n"          \
   "started it (as POST /v1/oauth/exchange); a state works once."},                                            \
  {"GET", P "/{id}/authorize", kKey, P "/{id}/authorize", "", false, nullptr, authorize_oauth_provider,         \
   "→ {authorization_url, state}: a sign-in for the caller (account \"default\") whose redirect_uri is the\n"  \
   "gateway's /oauth/callback; the browser lands there, or a page posts the code to .../exchange."},           \
  {"GET", P "/{id}/status", kKey, P "/{id}/status", "", false, nullptr, oauth_provider_status,                  \
   "→ {oauth_provider_id, oauth_provider_name, authenticated, expires_at (ISO 8601; null: none), scope}\n"      \
   "of the caller's connection (client_credentials: the project's)."},                                         \
  {"POST", P "/{id}/connect", kAdmin, P "/{id}/connect", "connecting OAuth providers", false, nullptr,          \
   connect_oauth_provider, "client_credentials only: fetches the project's token → {success: true}."},          \
  {"POST", P "/{id}/token", kKey, P "/{id}/token", "", false, nullptr, oauth_provider_token,                    \
   "→ {access_token}, valid: the caller's connection's (client_credentials: the project's), refreshed or\n"     \
   "fetched again when due."},                                                                                 \
  {"DELETE", P "/{id}/disconnect", kKey, P "/{id}/disconnect", "", false, nullptr, disconnect_oauth_provider,   \
   "Deletes the caller's tokens (client_credentials: the project's), revoked first where the provider\n"        \
   "has a revocation_endpoint → {success: true}."}
      LK_OAUTH_PROVIDER_ROUTES("/api/v1/oauth-providers"),
      LK_OAUTH_PROVIDER_ROUTES("/oauth-providers"),
#undef LK_OAUTH_PROVIDER_ROUTES

      // Last: every path no route above begins.
      {"GET", "/*", kNone, "/*", "", false, serves_files, get_file,
       "Files of web_root (static_files.hpp), when set; /v1, /oauth, /healthz, /metrics, /api and\n"
       "/oauth-providers are never files."},
      {"HEAD", "/*", kNone, "/*", "", false, serves_files, get_file, "As GET, without the body."},
  };
  return kRoutes;
}

}  // namespace latchkey::gateway
