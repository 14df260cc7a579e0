// PKCE (RFC 7636) with S256 only: latchkey never sends or falls back to `plain`.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/result.hpp"

namespace latchkey {

/// BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2).
std::string pkce_challenge_s256(std::string_view verifier);

/// RFC 7636 §4.1: 43–128 characters from [A-Za-z0-9-._~]. invalid_request otherwise.
Status check_pkce_verifier(std::string_view verifier);

/// A fresh verifier from `random_bytes` (≥ 32 bytes of CSPRNG output; 32 → 43 characters).
Result<std::string> pkce_verifier_from_random(std::string_view random_bytes);

}  // namespace latchkey
