#include "api.hpp"

#include "host/clock.hpp"

#include "api_handlers.hpp"
#include "pending_op.hpp"
#include "host_check.hpp"
#include "latchkey/json.hpp"
#include "latchkey/latchkey.h"
#include "proxy.hpp"
#include "responses.hpp"
#include "static_files.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

/// 421 unless the Host header names this gateway (host_check.hpp): for the routes without a key
/// that a page in a browser could otherwise read through DNS rebinding.
std::optional<ApiResponse> misdirected(const ApiConfig& config, const ApiRequest& req) {
  if (host_names_gateway(req.host, req.listen, config.public_host)) {
    return std::nullopt;
  }
  return error_response(421, "invalid_request",
                        "the Host header does not name this gateway; use its address, " +
                            (config.public_url.empty() ? req.scheme + "://" + req.listen : config.public_url) +
                            (req.via_proxy ? " (behind a proxy: set --public-url to the origin browsers use)" : ""));
}

/// The table's answer to one request: the caller's key first on keyed paths (refused: labelled
/// "/v1/*"), then 404, 405, the Host check, the role, and the route's handler.
ApiResponse route(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                  const ApiRequest& req, const Target& t, ApiResponse* meta) {
  const RouteMatch m = match_route(api_routes(), config, req.method, t.segments);
  KeyInfo caller;
  if (m.keyed) {
    if (auto refused = authenticate(host, metrics, throttle, req, &caller)) {
      meta->route = "/v1/*";
      return *refused;
    }
    meta->principal = caller.principal;
  }
  if (!m.path_route) return error_response(404, "not_found", "no such route");
  meta->route = m.path_route->label;
  if (!m.route) return method_not_allowed(m.allow);
  const Route& r = *m.route;
  meta->route = r.label;
  if (r.host_checked) {
    if (auto refused = misdirected(config, req)) return *refused;
  }
  if (r.role == Role::admin && caller.role != "admin") {
    return error_response(403, "forbidden", std::string(r.admin_for) + " needs an admin key");
  }
  return r.handler(Call{host, metrics, throttle, config, req, t, m, caller, meta});
}

}  // namespace

std::optional<ApiResponse> authenticate(native::Host& host, Metrics& metrics, KeyThrottle& throttle,
                                        const ApiRequest& req, KeyInfo* caller) {
  const auto api_key = bearer_key(req.authorization);
  if (!api_key) {
    ApiResponse r = error_response(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::int64_t now = native::steady_ms();
  if (const std::int64_t wait_ms = throttle.blocked_for_ms(req.client, now); wait_ms > 0) {
    metrics.count_key_throttled();
    const std::int64_t seconds = (wait_ms + 999) / 1000;
    ApiResponse r = error_response(429, "rate_limited",
                                   "too many unknown API keys from this address; try again in " +
                                       std::to_string(seconds) + " s with a valid key");
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return r;
  }
  auto key = lookup_key(host, std::string(*api_key));
  if (!key) return from_error(key.error());
  if (!*key) {
    throttle.failed(req.client, now);
    metrics.count_key_failure();
    ApiResponse r = error_response(401, "unauthorized", "the API key is not valid");
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  if (key_expired(**key, native::Host::now_ms())) {
    const bool session = !(*key)->session_of.empty();
    ApiResponse r = error_response(401, "unauthorized",
                                   session ? "the session has expired; sign in to the page again with your API key"
                                           : "the API key '" + (*key)->id + "' has expired; ask an admin to rotate it "
                                             "(POST /v1/keys/{id}/rotate) or to create a new one");
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  *caller = std::move(**key);
  return std::nullopt;
}

ApiResponse get_healthz(const Call&) { return json_response(200, Value(Object{{"ok", Value(true)}})); }

ApiResponse get_metrics(const Call& c) {
  if (c.config.metrics_key_required) {
    KeyInfo caller;
    if (auto refused = authenticate(c.host, c.metrics, c.throttle, c.req, &caller)) return *refused;
    c.meta->principal = caller.principal;
    if (caller.role != "admin") return error_response(403, "forbidden", "reading /metrics needs an admin key");
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = c.metrics.render();
  return r;
}

ApiResponse get_whoami(const Call& c) {
  Object o{{"principal", Value(c.caller.principal)}, {"role", Value(c.caller.role)}, {"key_id", Value(c.caller.id)}};
  o["expires_at_ms"] = c.caller.expires_at_ms ? Value(c.caller.expires_at_ms) : Value();
  o["session"] = Value(!c.caller.session_of.empty());
  return json_response(200, Value(o));
}

ApiResponse get_info(const Call& c) {
  Object o;
  o["version"] = Value(std::string(lk_version()));
  o["public_url"] = c.config.public_url.empty() ? Value() : Value(c.config.public_url);
  o["callback_url"] = Value(callback_uri(c.config, c.req));
  return json_response(200, Value(o));
}

ApiResponse get_file(const Call& c) { return serve_static(c.config.web_root, c.req.method, c.target.segments); }

ApiResponse proxy_request(const Call& c) { return proxy(c.host, c.metrics, c.req, c.target, c.caller.principal); }

bool streams_body(const std::string& target) { return target.rfind("/v1/proxy/", 0) == 0; }

ApiResponse handle(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                   const ApiRequest& request) {
  Target t;
  if (!split_target(request.target, &t)) {
    ApiResponse r = error_response(400, "invalid_request", "the request path is malformed");
    return r;
  }
  ApiResponse meta;
  ApiResponse answer = route(host, metrics, throttle, config, request, t, &meta);  // fills meta first
  return then(host, std::move(answer), [meta](native::Host&, ApiResponse r) {
    r.route = meta.route;
    r.principal = meta.principal;
    return r;
  });
}

}  // namespace latchkey::gateway
