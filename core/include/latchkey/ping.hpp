// A connection's liveness check: the provider's declared cheap authenticated call, and how to
// read its answer. The CLI, latchkeyd and any host ask the same question the same way.
#pragma once

#include <string>

#include "latchkey/effects.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

/// The provider's ping as a request to send with a connection's token (Engine::send_authorized
/// signs it). invalid_request when the provider declares no ping.
Result<HttpRequest> ping_request(const Provider& provider);

struct PingVerdict {
  bool ok = false;
  /// When not ok and the status was 2xx: what the body said instead ("ok is not true: invalid_auth").
  std::string why;
  /// Not ok because the provider refused the token: HTTP 401, or a body whose error says so
  /// (invalid_auth, token_revoked, token_expired, not_authed, account_inactive, invalid_token).
  /// The connection must be authorized again.
  bool token_refused = false;
};

/// A 2xx answer, and, when the provider names ping.ok_path, that member of its JSON body true
/// (Slack answers HTTP 200 {"ok": false, "error": "invalid_auth"} for a revoked token). Never
/// fails; `why` quotes only the provider's short error code, cleaned.
PingVerdict judge_ping(const Provider& provider, const HttpResponse& response);

}  // namespace latchkey
