// The API's route handlers, one per (method, pattern) of the table in route_table.cpp, grouped by
// resource in api_*.cpp. handle() (api.cpp) has already matched the route, checked the caller's
// key and role and the Host header as the table asks, and set the response's route label.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api.hpp"
#include "key_throttle.hpp"
#include "keys.hpp"
#include "routes.hpp"
#include "target.hpp"

namespace latchkey::gateway {

/// Everything one handler may use.
struct Call {
  native::Host& host;
  Metrics& metrics;
  KeyThrottle& throttle;
  const ApiConfig& config;
  const ApiRequest& req;
  const Target& target;
  const RouteMatch& match;
  const KeyInfo& caller;  ///< The key's owner; empty principal on Role::none routes.
  ApiResponse* meta;      ///< Where the principal goes when a handler authenticates itself (/metrics).

  /// The route's {name} capture, decoded.
  const std::string& param(std::string_view name) const { return match.capture(name); }
};

/// The caller's key into `caller`, or the answer refusing it: 401 without a key or with an unknown
/// one (which `throttle` counts against the caller's address), 429 while that address is throttled.
std::optional<ApiResponse> authenticate(native::Host& host, Metrics& metrics, KeyThrottle& throttle,
                                        const ApiRequest& req, KeyInfo* caller);

/// <origin>/oauth/callback for the origin browsers reach this gateway at: --public-url when set;
/// else, for a request a trusted proxy carried, its forwarded scheme and host; else the listener's
/// scheme and bound address, or — when bound to every interface — a loopback Host header on the
/// same port (api_oauth.cpp; discovery registers it too).
std::string callback_uri(const ApiConfig& config, const ApiRequest& req);

// api.cpp: the gateway's own routes.
ApiResponse get_healthz(const Call& c);
ApiResponse get_metrics(const Call& c);
ApiResponse get_whoami(const Call& c);
ApiResponse get_info(const Call& c);

// api_keys.cpp: API keys and browser sessions.
ApiResponse list_keys_route(const Call& c);
ApiResponse create_key_route(const Call& c);
ApiResponse revoke_key_route(const Call& c);
ApiResponse rotate_key_route(const Call& c);
ApiResponse create_session_route(const Call& c);
ApiResponse end_session_route(const Call& c);
ApiResponse get_file(const Call& c);
ApiResponse proxy_request(const Call& c);

// api_providers.cpp: providers and their apps.
ApiResponse list_providers(const Call& c);
ApiResponse register_provider(const Call& c);
ApiResponse discover_provider(const Call& c);
ApiResponse get_provider(const Call& c);
ApiResponse update_provider(const Call& c);
ApiResponse remove_provider(const Call& c);
ApiResponse get_app(const Call& c);
ApiResponse put_app(const Call& c);
ApiResponse delete_app(const Call& c);

// api_oauth.cpp: browser sign-in (authorization code, OAuth 1.0a).
ApiResponse authorize(const Call& c);
ApiResponse oauth_callback(const Call& c);
ApiResponse oauth_exchange(const Call& c);

// api_grants.cpp: grants without a browser redirect.
ApiResponse connect_client_credentials(const Call& c);
ApiResponse device_start(const Call& c);
ApiResponse device_poll(const Call& c);

// api_connections.cpp: the caller's connections.
ApiResponse list_connections(const Call& c);
ApiResponse connection_status(const Call& c);
ApiResponse disconnect(const Call& c);
ApiResponse connection_token(const Call& c);
ApiResponse connection_ping(const Call& c);

// api_oauth_providers.cpp: the /oauth-providers contract, over the operations above.
ApiResponse list_oauth_providers(const Call& c);
ApiResponse create_oauth_provider(const Call& c);
ApiResponse get_oauth_provider(const Call& c);
ApiResponse update_oauth_provider(const Call& c);
ApiResponse delete_oauth_provider(const Call& c);
ApiResponse authorize_oauth_provider(const Call& c);
ApiResponse exchange_oauth_code(const Call& c);
ApiResponse oauth_provider_status(const Call& c);
ApiResponse connect_oauth_provider(const Call& c);
ApiResponse oauth_provider_token(const Call& c);
ApiResponse disconnect_oauth_provider(const Call& c);

}  // namespace latchkey::gateway
