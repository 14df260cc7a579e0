// Grants without a browser redirect: client credentials and the device grant (RFC 8628).
#include "api_body.hpp"
#include "api_handlers.hpp"
#include "responses.hpp"

#include <algorithm>

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

Result<AccountScopes> parse_account_scopes(const std::string& body) {
  auto o = parse_fields(body, {"account", "scopes"}, true);
  if (!o) return o.error();
  return account_scopes(*o);
}

}  // namespace

ApiResponse connect_client_credentials(const Call& c) {
  auto in = parse_account_scopes(c.req.body);
  if (!in) return from_error(in.error());
  ConnectionRef ref{c.caller.principal, c.param("key"), in->account.value_or("default")};
  return from_result(c.host.run(c.host.engine().connect_client_credentials(std::move(ref), std::move(in->scopes))));
}

/// POST /v1/providers/{key}/device: asks the provider for a user code for the caller. An
/// optional "timeout_ms" (1 to 3600000) ends the sign-in sooner than the code's own lifetime: polls
/// after it answer state_expired, as for an expired code.
ApiResponse device_start(const Call& c) {
  auto o = parse_fields(c.req.body, {"account", "scopes", "timeout_ms"}, true);
  if (!o) return from_error(o.error());
  std::int64_t timeout_ms = 0;
  if (o->count("timeout_ms")) {
    const Value& t = o->at("timeout_ms");
    if (!t.is<std::int64_t>() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > 3600000) {
      return error_response(400, "invalid_request", "timeout_ms must be a whole number of milliseconds, 1 to 3600000");
    }
    timeout_ms = t.get<std::int64_t>();
  }
  auto in = account_scopes(*o);
  if (!in) return from_error(in.error());
  DeviceRequest d;
  d.timeout_ms = timeout_ms;
  d.principal = c.caller.principal;
  d.provider = c.param("key");
  d.account = in->account.value_or("");
  d.scopes = std::move(in->scopes);
  return from_result(c.host.run(c.host.engine().device_authorize(std::move(d))));
}

/// POST /v1/providers/{key}/device/poll: one poll, answered at once — 200 with the connection,
/// 202 while the user has not decided, or the core's error. It never waits for the user: the
/// Host this request borrowed goes back to the pool, so a few devices waiting for their users
/// cannot starve every other request (see --engines). The core asks the provider at most once
/// per interval however often clients poll. The handle only works for the principal that
/// started it and the provider in the path.
ApiResponse device_poll(const Call& c) {
  auto o = parse_fields(c.req.body, {"handle"});
  if (!o) return from_error(o.error());
  const std::string* handle = json_string(*o, "handle");
  if (!handle || handle->empty()) return error_response(400, "invalid_request", "handle (a string) is required");
  DevicePollRequest p;
  p.principal = c.caller.principal;  // never empty here: the key names the principal, so the handle alone is not enough
  p.provider = c.param("key");
  p.handle = *handle;
  auto polled = c.host.run(c.host.engine().device_poll_once(std::move(p)));
  if (!polled) return from_error(polled.error());
  if (!polled->pending) return json_response(200, json_form(polled->connection));
  Object pending;
  pending["pending"] = Value(true);
  pending["interval_ms"] = Value(polled->interval_ms);
  pending["next_poll_at_ms"] = Value(polled->next_poll_at_ms);
  pending["expires_at_ms"] = Value(polled->expires_at_ms);
  ApiResponse r = json_response(202, Value(pending));
  // RFC 9110 §10.2.3 in whole seconds, at least 1: when asking again can change the answer.
  const std::int64_t wait_ms = std::max<std::int64_t>(polled->next_poll_at_ms - native::Host::now_ms(), 0);
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>((wait_ms + 999) / 1000, 1)));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace latchkey::gateway
