#include "support/test_keys.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include <mbedtls/rsa.h>

namespace latchkey::testing {
namespace {

int test_rng(void* p, unsigned char* out, std::size_t n) {
  std::string r = static_cast<detail::Drbg*>(p)->bytes(n);
  std::memcpy(out, r.data(), n);
  return 0;
}

void finish_key(mbedtls_pk_context& pk, TestKey& key) {
  unsigned char buf[4096];
  ASSERT_EQ(mbedtls_pk_write_key_pem(&pk, buf, sizeof buf), 0);
  key.private_pem = reinterpret_cast<char*>(buf);
  ASSERT_EQ(mbedtls_pk_write_pubkey_pem(&pk, buf, sizeof buf), 0);
  std::string pub = reinterpret_cast<char*>(buf);
  ASSERT_EQ(mbedtls_pk_parse_public_key(&key.pub, reinterpret_cast<const unsigned char*>(pub.c_str()), pub.size() + 1), 0);
}

}  // namespace

std::unique_ptr<detail::Drbg> drbg() {
  auto d = detail::Drbg::create(std::string(48, '\x11'));
  if (!d) std::abort();
  return std::move(*d);
}

void make_rsa_key(TestKey& key, detail::Drbg& drbg) {
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  EXPECT_EQ(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
  EXPECT_EQ(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), test_rng, &drbg, 1024, 65537), 0);
  finish_key(pk, key);
  mbedtls_pk_free(&pk);
}

void make_ec_key(TestKey& key, detail::Drbg& drbg, mbedtls_ecp_group_id curve) {
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  EXPECT_EQ(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
  EXPECT_EQ(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(pk), test_rng, &drbg), 0);
  finish_key(pk, key);
  mbedtls_pk_free(&pk);
}

}  // namespace latchkey::testing
