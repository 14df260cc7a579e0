// What a token endpoint gave us, normalised across providers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

struct TokenSet {
  std::string access_token;
  std::string refresh_token;  ///< Empty when none was issued.
  std::string token_type = "Bearer";
  std::int64_t expires_at_ms = 0;  ///< 0 = no expiry was given.
  /// When the response was received (the `now_ms` expires_at_ms counts from): with it, the token's
  /// lifetime caps the refresh buffer. 0 = not known.
  std::int64_t issued_at_ms = 0;
  std::string scope;          ///< Granted scope (the requested one when the provider omits it).
  std::string id_token;
  /// OAuth 1.0a token credentials: access_token is oauth_token, this is oauth_token_secret.
  std::string token_secret;
  Params extras;              ///< Provider fields kept by TokenResponseRules::keep, as JSON text.
};

/// The token endpoint's answer as the host received it.
struct TokenHttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// Largest token response body accepted (1 MiB).
constexpr std::size_t kMaxTokenResponseBytes = 1 << 20;

/// Parses a token endpoint response (RFC 6749 §5.1/§5.2) with the provider's quirks.
///  - JSON, or the form-encoded shape legacy providers send (GitHub without Accept: json);
///  - 200 and 201 are success unless the body carries an `error` member (GitHub, Slack `ok:false`);
///  - `expires_in` as number or numeric string; absent → no expiry; computed from `now_ms`, which
///    is also the issue time (issued_at_ms);
///  - a missing `scope` falls back to `requested_scope`; unknown members ignored;
///  - `token_type` must be Bearer (any case; Slack's `bot`/`user` too) or absent (Bearer assumed),
///    else malformed_response.
/// Errors: invalid_grant (`invalid_grant`, or a provider's name for it such as GitHub's
/// `bad_refresh_token` or Slack's `invalid_code`), provider_error (any other error body), malformed_response
/// (not JSON/form, HTML error page, too large, wrong member types, no access_token).
Result<TokenSet> parse_token_response(const TokenHttpResponse& response, const TokenResponseRules& rules,
                                      std::int64_t now_ms, const std::string& requested_scope);

}  // namespace latchkey
