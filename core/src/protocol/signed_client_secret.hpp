// A client secret the client signs itself (provider member signed_client_secret): a JWT signed
// with the app's private key, sent where a shared secret would go. Sign in with Apple requires it
// ("Creating a client secret": ES256 with the developer's .p8 key, header {alg, kid}, claims
// {iss: team ID, iat, exp, aud: https://appleid.apple.com, sub: the Services ID}). Unlike an RFC
// 7523 assertion it has no jti and may live for months; latchkey signs a fresh one per request,
// so a captured one stops working after the declared lifetime. Pure: the key, the clock and the
// random generator come from the caller.
#pragma once

#include <cstdint>
#include <string>

#include "crypto.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

struct SignedClientSecretInput {
  SignedClientSecret rules;  ///< issuer and audience resolved (no {template} left), lifetime, algorithm.
  std::string client_id;     ///< sub.
  std::string key_id;        ///< kid in the header; required.
  std::string private_key;   ///< PEM: P-256 for ES256, RSA for RS256.
  std::int64_t now_ms = 0;
};

/// The signed JWT: header {alg, kid}, claims {iss, iat, exp = iat + rules.lifetime_seconds, aud,
/// sub}. invalid_request, saying what to supply and never quoting the key, when the client ID,
/// key ID, issuer or audience is empty, the lifetime is outside 60..15777000 s, or the key is not
/// a usable private key of the kind rules.algorithm needs; crypto if signing fails.
Result<std::string> make_signed_client_secret(const SignedClientSecretInput& input, Drbg& drbg);

}  // namespace latchkey::detail
