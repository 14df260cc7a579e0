// private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the app proves
// itself to the token endpoint with a short-lived JWT signed by its private key instead of a
// shared secret. Pure: the key, the clock and the random generator come from the caller.
#pragma once

#include <cstdint>
#include <string>

#include "crypto.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

inline constexpr const char* kJwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long an assertion is valid: long enough for one request, short enough that a captured
/// one is useless soon after (servers also remember each jti until it expires).
inline constexpr std::int64_t kAssertionLifetimeS = 60;

struct ClientAssertionInput {
  std::string client_id;    ///< iss and sub.
  std::string audience;     ///< aud: the token endpoint URL (what RFC 7523 §3 and OIDC Core §9 name).
  std::string key_id;       ///< kid in the header; empty: none (servers then try each key of the client).
  std::string private_key;  ///< PEM, RSA (RS256) or P-256 (ES256).
  std::int64_t now_ms = 0;
};

/// The signed JWT: header {alg, typ: "JWT", kid?}, claims {iss, sub, aud, jti (128 random bits),
/// iat, exp = iat + 60}. invalid_request if the key is not a usable private key.
Result<std::string> make_client_assertion(const ClientAssertionInput& input, Drbg& drbg);

}  // namespace latchkey::detail
