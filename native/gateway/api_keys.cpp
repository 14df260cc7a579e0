// /v1/keys (admin): list, create, revoke and rotate API keys; /v1/sessions: the vault page trades
// the key someone pasted for a short-lived session token, so the long-lived key is not what the
// page keeps (keys.hpp).
#include "api_body.hpp"
#include "api_handlers.hpp"
#include "keys.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

constexpr std::int64_t kDefaultSessionMs = 12 * 3600 * 1000LL;

/// The key with its secret, as creation and rotation answer (the only answers that carry one).
ApiResponse issued_response(int status, const IssuedKey& issued) {
  ApiResponse r = json_response(status, issued_json(issued));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

ApiResponse list_keys_route(const Call& c) {
  auto keys = list_keys(c.host);
  if (!keys) return from_error(keys.error());
  return json_response(200, keys_json(*keys));
}

ApiResponse create_key_route(const Call& c) {
  auto o = parse_fields(c.req.body, {"principal", "role", "label", "expires_in_s", "expires_at_ms"});
  if (!o) return from_error(o.error());
  NewKey k;
  const std::string* principal = json_string(*o, "principal");
  if (!principal) return error_response(400, "invalid_request", "principal is required: whose connections the key acts on");
  k.principal = *principal;
  if (o->count("role")) {
    const std::string* role = json_string(*o, "role");
    if (!role) return error_response(400, "invalid_request", "role must be \"admin\" or \"user\"");
    k.role = *role;
  }
  if (o->count("label")) {
    const std::string* label = json_string(*o, "label");
    if (!label) return error_response(400, "invalid_request", "label must be a string");
    k.label = *label;
  }
  std::int64_t n = 0;
  if (o->count("expires_in_s") && o->count("expires_at_ms")) {
    return error_response(400, "invalid_request", "give expires_in_s or expires_at_ms, not both");
  }
  if (o->count("expires_in_s")) {
    // Only as far as the sum cannot overflow: the lifetime cap is create_key's.
    if (!json_int(*o, "expires_in_s", &n) || n <= 0 || n > kMaxKeyLifetimeMs / 1000) {
      return error_response(400, "invalid_request", "expires_in_s must be a positive number of seconds (at most 100 years)");
    }
    k.expires_at_ms = native::Host::now_ms() + n * 1000;
  } else if (o->count("expires_at_ms")) {
    if (!json_int(*o, "expires_at_ms", &n) || n <= 0) {
      return error_response(400, "invalid_request", "expires_at_ms must be a time in milliseconds since 1970");
    }
    k.expires_at_ms = n;
  }
  auto issued = create_key(c.host, k);
  if (!issued) return from_error(issued.error());
  return issued_response(201, *issued);
}

ApiResponse revoke_key_route(const Call& c) {
  auto revoked = revoke_key(c.host, c.param("id"));
  if (!revoked) return from_error(revoked.error());
  return json_response(200, Value(Object{{"revoked", key_json(*revoked)}}));
}

ApiResponse rotate_key_route(const Call& c) {
  auto issued = rotate_key(c.host, c.param("id"));
  if (!issued) return from_error(issued.error());
  return issued_response(200, *issued);
}

ApiResponse create_session_route(const Call& c) {
  auto o = parse_fields(c.req.body, {"ttl_s"}, true);
  if (!o) return from_error(o.error());
  std::int64_t ttl_ms = kDefaultSessionMs, ttl_s = 0;
  if (o->count("ttl_s")) {
    if (!json_int(*o, "ttl_s", &ttl_s)) return error_response(400, "invalid_request", "ttl_s must be a number of seconds");
    ttl_ms = ttl_s * 1000;
  }
  auto issued = create_session(c.host, c.caller, ttl_ms);
  if (!issued) return from_error(issued.error());
  ApiResponse r = json_response(201, Value(Object{{"token", Value(issued->secret)},
                                                  {"id", Value(issued->info.id)},
                                                  {"expires_at_ms", Value(issued->info.expires_at_ms)},
                                                  {"principal", Value(issued->info.principal)},
                                                  {"role", Value(issued->info.role)}}));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse end_session_route(const Call& c) {
  if (auto ended = end_session(c.host, c.caller); !ended) return from_error(ended.error());
  return json_response(200, Value(Object{{"ended", Value(true)}}));
}

}  // namespace latchkey::gateway
