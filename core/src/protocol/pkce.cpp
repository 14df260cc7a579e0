#include "latchkey/pkce.hpp"

#include "crypto.hpp"

namespace latchkey {

std::string pkce_challenge_s256(std::string_view verifier) {
  return detail::base64url_encode(detail::sha256(verifier));
}

Status check_pkce_verifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) {
    return make_error(ErrorCode::invalid_request, "a PKCE code verifier must be 43 to 128 characters long");
  }
  for (unsigned char c : verifier) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~';
    if (!ok) return make_error(ErrorCode::invalid_request, "a PKCE code verifier may only use A-Z a-z 0-9 - . _ ~");
  }
  return Ok{};
}

Result<std::string> pkce_verifier_from_random(std::string_view random_bytes) {
  if (random_bytes.size() < 32) {
    return make_error(ErrorCode::invalid_request, "a PKCE verifier needs at least 32 random bytes (256 bits)");
  }
  // 96 bytes encode to exactly 128 characters, the longest verifier allowed.
  return detail::base64url_encode(random_bytes.substr(0, 96));
}

}  // namespace latchkey
