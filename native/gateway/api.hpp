// latchkeyd's HTTP API: routes a parsed request to an engine operation and answers with JSON.
// Transport-free: the server (server.cpp) parses bytes and writes the ApiResponse back.
//
// Routes (all JSON; errors are {"error":{"code","message"}} with the core's error codes):
//   GET    /healthz                                  no key; 421 unless the Host header names the gateway
//                                                    (host_check.hpp: against DNS rebinding)
//   GET    /metrics                                  no key (an admin key with metrics_key_required),
//                                                    Prometheus text; 421 as /healthz
//   GET    /v1/providers                             any key
//   GET    /v1/providers/{key}                       any key
//   POST   /v1/providers                             admin key: a custom provider definition (catalog schema)
//   POST   /v1/providers/discover                    admin key: {url, key, mcp?, allow_private_network?} →
//                                                    201 provider (+ has_client_secret and
//                                                    client_secret_expires_at_ms, null for never, when an app
//                                                    was registered). Issuer metadata (OpenID / RFC 8414), else
//                                                    — or with mcp — a protected resource (MCP server,
//                                                    RFC 9728) whose authorization server registers latchkey
//                                                    (RFC 7591) with this gateway's /oauth/callback.
//                                                    allow_private_network: loopback/private hosts (and http
//                                                    on loopback); refused (400) without it
//   PUT    /v1/providers/{key}                       admin key: replaces a custom provider
//   DELETE /v1/providers/{key}[?force=true]          admin key
//   GET    /v1/providers/{key}/app                   any key: the app, with has_client_secret (never the secret);
//                                                    a dynamically registered one (RFC 7591) also with
//                                                    has_registration_access_token (never the token),
//                                                    registration_client_uri and client_secret_expires_at_ms
//                                                    (null: never; past it, grants fail with invalid_request)
//   PUT    /v1/providers/{key}/app                   admin key: {client_id, client_secret?, redirect_uri?, scopes?,
//                                                    token_endpoint_auth_method?, key_id?}
//                                                    (client_secret "" clears it; left out keeps it; for
//                                                    private_key_jwt the client_secret is the PEM private key)
//   GET    /v1/providers/{key}/authorize?scopes=a,b&account=&return_to=
//                                                    → {authorization_url, state, expires_at_ms}
//                                                    (redirect_uri: http://<listen address>/oauth/callback).
//                                                    return_to: a URL whose origin is in return_to_origins
//                                                    (else 400); kept under "gwreturn/" (return_records.hpp)
//   POST   /v1/providers/{key}/connect               client credentials: {account?, scopes?} → connection
//   POST   /v1/providers/{key}/device                device grant (RFC 8628): {account?, scopes?} →
//                                                    {handle, user_code, verification_uri,
//                                                    verification_uri_complete, expires_at_ms, interval_ms}
//   POST   /v1/providers/{key}/device/poll           {handle} → 200 connection once the user approved;
//                                                    202 {pending: true, interval_ms, next_poll_at_ms,
//                                                    expires_at_ms} (and Retry-After) while they have not
//                                                    decided; or the core's error (access_denied:
//                                                    provider_error; expired: state_expired; another
//                                                    principal's or provider's handle: invalid_state). Answered
//                                                    at once, never waiting for the user: poll again every
//                                                    interval_ms. The provider is asked at most once per
//                                                    interval however often clients poll (core
//                                                    device_poll_once), so polling early only costs a store read.
//   POST   /v1/oauth/exchange                        {code, state, iss?} → connection (the state's principal only)
//   GET    /oauth/callback                           no key: the browser lands here; HTML page (JSON with
//                                                    Accept: application/json), or for a sign-in started with
//                                                    return_to, 303 there with latchkey_status=connected|error,
//                                                    provider, account or error (never the code or state)
//   GET    /v1/connections                           the caller's principal's connections
//   GET    /v1/connections/{provider}/{account}      status
//   POST   /v1/connections/{provider}/{account}/token[?force_refresh=true]   a valid token (refreshed when
//                                                    due, or always with force_refresh: the CLI's --force-refresh)
//   DELETE /v1/connections/{provider}/{account}[?revoke=true]
//   ANY    /v1/proxy/{provider}/{path...}[?query]    the caller's connection to {provider} (header
//                                                    X-Latchkey-Account picks one of several) signs the
//                                                    request, sent to api_base_url + "/" + path + query
//                                                    (/v1/proxy/{provider} alone: api_base_url + query).
//                                                    Bodies are streamed both ways (proxy.hpp).
//                                                    Upstream 401: one forced refresh and retry.
//                                                    Redirects are returned, never followed.
//   GET|HEAD /*                                      no key: files of web_root (static_files.hpp), when set;
//                                                    /v1, /oauth, /healthz and /metrics are never files
// Unknown API keys are counted per client address (key_throttle.hpp): past 20 a minute, every
// keyed request from that address gets 429 with Retry-After until the minute ends, a valid key too.
// A connection is addressed by its id ("provider/account", each part percent-encoded) appended
// as-is: two path segments. Another principal's connection is 404, never 403.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "host/host.hpp"
#include "metrics.hpp"

namespace latchkey::gateway {

/// Settings of the API that come from flags, the environment or the config file.
struct ApiConfig {
  /// Origins ("https://app.example.com") a sign-in's return_to may redirect the browser to,
  /// normalized by check_api_config (config.hpp) before the server starts.
  std::vector<std::string> return_to_origins;
  /// Directory served at "/" (the vault page's build), empty for none; resolved to an absolute
  /// path by check_api_config.
  std::string web_root;
  /// GET /metrics needs an admin key (401 without one, 403 for a user key).
  bool metrics_key_required = false;
};

struct ApiRequest {
  std::string method;
  std::string target;         ///< Path and query as received.
  std::string authorization;  ///< The Authorization header's value (never logged).
  std::string body;
  std::string host;    ///< The Host header.
  std::string accept;  ///< The Accept header.
  std::string listen;  ///< The address the server is bound to ("127.0.0.1:8787").
  std::string client;  ///< Who the key throttle counts this request against (throttle_client of the peer).
  /// Every request header as received (names as sent); only the proxy route forwards them.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set by the server for routes that stream (only the proxy): the body, still unread (then
  /// `body` is empty), and where a streamed answer goes.
  native::BodySource* body_stream = nullptr;
  native::ResponseSink* response_stream = nullptr;
  /// Proxy only: the upstream already answered 401 to the connection's current token.
  bool refresh_first = false;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "unknown";  ///< Route template for metrics and logs.
  std::string principal;          ///< The authenticated caller, if any (for the access log).
  std::string error_code;         ///< The core's error code when the answer is one of its errors (for metrics).
  /// The answer already went to the request's response_stream: nothing is left to send.
  bool streamed = false;
};

class KeyThrottle;

/// Answers one request using `host` (which the calling thread owns), counts into `metrics`, and
/// counts unknown keys into `throttle` (shared by every thread).
ApiResponse handle(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                   const ApiRequest& request);

/// Whether the server should hand `target`'s body over as a stream instead of reading it first.
bool streams_body(const std::string& target);

/// An error response in the API's JSON shape, e.g. for requests the server refuses while parsing.
ApiResponse error_response(int status, const std::string& code, const std::string& message);

}  // namespace latchkey::gateway
