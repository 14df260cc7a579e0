// A deterministic Drbg for tests, and private keys made with mbedTLS (seeded from one), as PEM,
// with their public half parsed back from PEM as a verifier would: for checking RSA-SHA1 and JWS
// signatures.
#pragma once

#include <memory>
#include <string>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "crypto.hpp"

namespace latchkey::testing {

struct TestKey {
  std::string private_pem;
  mbedtls_pk_context pub;
  TestKey() { mbedtls_pk_init(&pub); }
  ~TestKey() { mbedtls_pk_free(&pub); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;
};

/// A Drbg with a fixed seed: the same bytes, keys and nonces on every run.
std::unique_ptr<detail::Drbg> drbg();

/// A 1024-bit RSA key (small: these are tests). Fails the running test on error.
void make_rsa_key(TestKey& key, detail::Drbg& drbg);
/// An EC key on `curve`. Fails the running test on error.
void make_ec_key(TestKey& key, detail::Drbg& drbg, mbedtls_ecp_group_id curve = MBEDTLS_ECP_DP_SECP256R1);

}  // namespace latchkey::testing
