// Reading a compact JWS in tests: its header and claims decoded, and its signature checked with
// mbedTLS's own verification against a public key the test holds (never with the core's signer).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>

#include "crypto.hpp"
#include "json.hpp"

namespace latchkey::testing {

struct Jwt {
  detail::json::Object header, claims;
  std::string signing_input, signature;
};

/// The three parts of `jwt`; fails the running test if they do not decode.
inline Jwt split_jwt(const std::string& jwt) {
  Jwt out;
  auto a = jwt.find('.'), b = jwt.rfind('.');
  EXPECT_NE(a, b) << "not a compact JWS";
  if (a == std::string::npos || a == b) return out;
  out.signing_input = jwt.substr(0, b);
  auto header = detail::base64url_decode(jwt.substr(0, a));
  auto claims = detail::base64url_decode(jwt.substr(a + 1, b - a - 1));
  auto sig = detail::base64url_decode(jwt.substr(b + 1));
  EXPECT_TRUE(header.ok() && claims.ok() && sig.ok());
  if (!header || !claims || !sig) return out;
  auto h = detail::json::parse(*header, "header");
  auto c = detail::json::parse(*claims, "claims");
  EXPECT_TRUE(h && h->is<detail::json::Object>() && c && c->is<detail::json::Object>());
  if (!h || !h->is<detail::json::Object>() || !c || !c->is<detail::json::Object>()) return out;
  out.header = h->get<detail::json::Object>();
  out.claims = c->get<detail::json::Object>();
  out.signature = *sig;
  return out;
}

inline std::string jwt_str(const detail::json::Object& o, const char* name) {
  const std::string* s = detail::json::get_string(o, name);
  return s ? *s : "<absent>";
}

inline std::int64_t jwt_num(const detail::json::Object& o, const char* name) {
  std::int64_t n = -1;
  detail::json::get_int(o, name, &n);
  return n;
}

/// ES256 (RFC 7518 §3.4): the 64-byte r || s over SHA-256 of the signing input, under `pub`.
inline bool es256_verifies(const mbedtls_pk_context& pub, const Jwt& jwt) {
  if (jwt.signature.size() != 64 || mbedtls_pk_get_type(&pub) != MBEDTLS_PK_ECKEY) return false;
  std::string digest = detail::sha256(jwt.signing_input);
  const auto* s = reinterpret_cast<const unsigned char*>(jwt.signature.data());
  mbedtls_mpi r, ss;
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&ss);
  mbedtls_mpi_read_binary(&r, s, 32);
  mbedtls_mpi_read_binary(&ss, s + 32, 32);
  mbedtls_ecp_keypair* ec = mbedtls_pk_ec(pub);
  int rc = mbedtls_ecdsa_verify(&ec->grp, reinterpret_cast<const unsigned char*>(digest.data()), digest.size(), &ec->Q,
                                &r, &ss);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&ss);
  return rc == 0;
}

/// RS256 (RFC 7518 §3.3) under `pub`.
inline bool rs256_verifies(mbedtls_pk_context& pub, const Jwt& jwt) {
  std::string digest = detail::sha256(jwt.signing_input);
  return mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>(digest.data()),
                           digest.size(), reinterpret_cast<const unsigned char*>(jwt.signature.data()),
                           jwt.signature.size()) == 0;
}

}  // namespace latchkey::testing
