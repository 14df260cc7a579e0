// latchkeyd's HTTP API: routes a parsed request to an engine operation and answers with JSON.
// Transport-free: the server (server.cpp) parses bytes and writes the ApiResponse back.
//
// The routes are one table (route_table.cpp; routes.hpp says how it matches), which carries
// each route's method, pattern, role, metrics label, handler and documentation:
// `latchkeyd routes` prints it. All JSON; errors are {"error":{"code","message"}} with the core's
// error codes. A path no route takes is 404 not_found ("no such route"); a method the path does
// not take is 405 with Allow listing those it does. Every path under /v1 (and under the
// /oauth-providers contract's /api/v1 and /oauth-providers) needs a key first: 401 without one,
// before any 404 or 405.
// Unknown API keys are counted per client address (key_throttle.hpp): past 20 a minute, every
// keyed request from that address gets 429 with Retry-After until the minute ends, a valid key too.
// A connection is addressed by its id ("provider/account", each part percent-encoded) appended
// as-is: two path segments. Another principal's connection is 404, never 403.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "forwarded.hpp"
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
  /// The origin users' browsers see ("https://vault.example.com"), normalized by
  /// check_api_config; empty: the listen address. The OAuth callback is <public_url>/oauth/callback.
  std::string public_url;
  std::string public_host;  ///< Its host[:port], as a Host header names it (set by check_api_config).
  /// Peers whose X-Forwarded-For/-Proto/-Host are believed (forwarded.hpp), as given and parsed.
  std::vector<std::string> trusted_proxies;
  std::vector<Cidr> trusted;
  /// TLS on the listener: requests arrive over https.
  bool tls = false;
};

struct ApiRequest {
  std::string method;
  std::string target;         ///< Path and query as received.
  std::string authorization;  ///< The Authorization header's value (never logged).
  std::string body;
  std::string host;    ///< The Host header.
  std::string accept;  ///< The Accept header.
  std::string listen;  ///< The address the server is bound to ("127.0.0.1:8787").
  std::string client;  ///< Who the key throttle counts this request against (throttle_client of client_address).
  /// Set by resolve_origin (forwarded.hpp): the client's address (the peer's, or what a trusted
  /// proxy forwarded), the scheme it used, and whether a trusted proxy carried the request.
  std::string client_address;
  std::string scheme = "http";
  bool via_proxy = false;
  /// Every request header as received (names as sent); only the proxy route forwards them.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set by the server for routes that stream (only the proxy): the body, still unread (then
  /// `body` is empty), and where a streamed answer goes.
  native::BodySource* body_stream = nullptr;
  native::ResponseSink* response_stream = nullptr;
  /// Proxy only: the upstream already answered 401 to this token (the event loop's cached one).
  std::string refused_access_token;
  /// "X-Latchkey-Advice: cli" (the CLI in managed mode sends it): error messages name CLI commands,
  /// not this API's routes.
  bool cli_advice = false;
};

struct PendingOp;  // pending_op.hpp

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
  /// Set: there is no answer yet. An operation is waiting until a deadline (a wait effect); the
  /// server parks it without a thread, resumes it then, and answers with what its finish makes
  /// (pending_op.hpp). The other members are unset.
  std::shared_ptr<PendingOp> pending;
};

class KeyThrottle;

/// Answers one request using `host` (which the calling thread owns), counts into `metrics`, and
/// counts unknown keys into `throttle` (shared by every thread). The answer may be pending: an
/// operation that must wait first, for the server to resume (pending_op.hpp).
ApiResponse handle(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                   const ApiRequest& request);

/// Whether the server should hand `target`'s body over as a stream instead of reading it first.
bool streams_body(const std::string& target);

/// An error response in the API's JSON shape, e.g. for requests the server refuses while parsing.
ApiResponse error_response(int status, const std::string& code, const std::string& message);

}  // namespace latchkey::gateway
