// The caller's connections: /v1/connections[/{provider}/{account}[/token|/ping]]. The principal
// always comes from the key, so another principal's connection is simply not found.
#include "api_handlers.hpp"
#include "pending_op.hpp"
#include "responses.hpp"

#include "host/clock.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

ConnectionRef connection(const Call& c) { return {c.caller.principal, c.param("provider"), c.param("account")}; }

}  // namespace

ApiResponse list_connections(const Call& c) {
  return from_result(c.host.run(c.host.engine().list_connections(c.caller.principal)));
}

ApiResponse connection_status(const Call& c) { return from_result(c.host.run(c.host.engine().status(connection(c)))); }

ApiResponse disconnect(const Call& c) {
  return from_result(c.host.run(c.host.engine().disconnect(connection(c), query_flag(c.target.query, "revoke"))));
}

// Both may wait for a peer's refresh or a retry's backoff: run_or_park lets the thread go meanwhile.
ApiResponse connection_token(const Call& c) {
  Metrics* metrics = &c.metrics;
  return run_or_park<AccessToken>(
      c.host, c.host.engine().get_token(connection(c), query_flag(c.target.query, "force_refresh")),
      [metrics](native::Host&, const Result<AccessToken>& token) {
        if (!token) return from_error(token.error());
        if (token->refreshed) metrics->count_refresh();
        Object o;
        o["access_token"] = Value(token->access_token);
        o["token_type"] = Value(token->token_type);
        o["expires_at"] = token->expires_at_ms ? Value(token->expires_at_ms) : Value();
        ApiResponse r = json_response(200, Value(o));
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
      });
}

/// The provider's declared cheap authenticated call, made with the connection (a 401 refreshes
/// once): {ok, status, ms} and, if the provider could not be reached, error.
ApiResponse connection_ping(const Call& c) {
  const std::int64_t started = native::steady_ms();
  auto info = c.host.run(c.host.engine().get_provider(c.param("provider")));
  if (!info) return from_error(info.error());
  auto req = ping_request(info->provider);
  if (!req) return from_error(req.error());
  return run_or_park<AuthorizedResponse>(
      c.host, c.host.engine().send_authorized(connection(c), std::move(*req)),
      [started, provider = std::move(info->provider)](native::Host&, const Result<AuthorizedResponse>& sent) {
        const std::int64_t ms = native::steady_ms() - started;
        if (!sent) return from_error(sent.error());
        Object o;
        const bool reached = sent->transport_error.empty();
        const PingVerdict verdict = judge_ping(provider, sent->response);
        o["ok"] = Value(reached && verdict.ok);
        o["status"] = reached ? Value(static_cast<std::int64_t>(sent->response.status)) : Value();
        o["ms"] = Value(static_cast<std::int64_t>(ms));
        if (!reached) o["error"] = Value(sent->transport_error);
        else if (!verdict.why.empty()) o["error"] = Value(verdict.why);
        return json_response(200, Value(o));
      });
}
}  // namespace latchkey::gateway
