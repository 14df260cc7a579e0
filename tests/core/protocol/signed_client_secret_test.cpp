// A client secret the client signs itself (Sign in with Apple's "Creating a client secret"): the
// JWT's header and claims checked against literals, its signature checked with mbedTLS against a
// public key that openssl derived (not the code under test), the lifetime and its six-month
// bound, and the errors that say what to supply.
#include "signed_client_secret.hpp"

#include <gtest/gtest.h>

#include <mbedtls/pk.h>

#include "crypto.hpp"
#include "json.hpp"
#include "support/jwt_check.hpp"
#include "support/test_keys.hpp"

namespace latchkey {
namespace {

using detail::json::Object;
using testing::drbg;
using testing::es256_verifies;
using testing::Jwt;
using testing::rs256_verifies;
using testing::TestKey;

// A P-256 key in the PKCS#8 form Apple's .p8 files have, made for this test only with
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`, and its public half from
// `openssl pkey -pubout`.
const char* const kP8 =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmq3j9W0bSS/WSC8c\n"
    "pbtFWjaE0HMQItyzJZ0lAwh+f/ShRANCAARzIMNeCyxGrBQtFQKd+7RPDs0Z9t9p\n"
    "VGUMHC8H+fjGSPOk1RqyeZYFFRtjuGVovaJwKcJ8VLeG6eWgV+Q0QYlc\n"
    "-----END PRIVATE KEY-----\n";
const char* const kP8Public =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcyDDXgssRqwULRUCnfu0Tw7NGfbf\n"
    "aVRlDBwvB/n4xkjzpNUasnmWBRUbY7hlaL2icCnCfFS3hunloFfkNEGJXA==\n"
    "-----END PUBLIC KEY-----\n";

struct PublicKey {
  mbedtls_pk_context pk;
  explicit PublicKey(const char* pem) {
    mbedtls_pk_init(&pk);
    std::string text(pem);
    EXPECT_EQ(mbedtls_pk_parse_public_key(&pk, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1), 0);
  }
  ~PublicKey() { mbedtls_pk_free(&pk); }
};

std::string str(const Object& o, const char* name) { return testing::jwt_str(o, name); }
std::int64_t num(const Object& o, const char* name) { return testing::jwt_num(o, name); }

detail::SignedClientSecretInput apple(const std::string& pem, std::int64_t lifetime = 15777000) {
  detail::SignedClientSecretInput in;
  in.rules.issuer = "ABCDE12345";
  in.rules.audience = "https://appleid.apple.com";
  in.rules.algorithm = "ES256";
  in.rules.lifetime_seconds = lifetime;
  in.client_id = "com.example.web";
  in.key_id = "KEY1234567";
  in.private_key = pem;
  in.now_ms = 1700000000123;
  return in;
}

TEST(SignedClientSecret, ApplesHeaderAndClaimsSignedEs256WithAP8Key) {
  auto d = drbg();
  auto jwt = detail::make_signed_client_secret(apple(kP8), *d);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  Jwt j = testing::split_jwt(*jwt);
  // Apple: header {alg: ES256, kid}; claims {iss: team ID, iat, exp, aud, sub: the Services ID}.
  EXPECT_EQ(j.header.size(), 2u);
  EXPECT_EQ(str(j.header, "alg"), "ES256");
  EXPECT_EQ(str(j.header, "kid"), "KEY1234567");
  EXPECT_EQ(j.claims.size(), 5u);
  EXPECT_EQ(str(j.claims, "iss"), "ABCDE12345");
  EXPECT_EQ(str(j.claims, "sub"), "com.example.web");
  EXPECT_EQ(str(j.claims, "aud"), "https://appleid.apple.com");
  EXPECT_EQ(num(j.claims, "iat"), 1700000000);
  EXPECT_EQ(num(j.claims, "exp"), 1715777000);  // six months (15777000 s) later: Apple's limit, not over it
  EXPECT_EQ(j.signature.size(), 64u);            // r || s, not DER
  PublicKey pub(kP8Public);
  EXPECT_TRUE(es256_verifies(pub.pk, j));
  Jwt tampered = j;
  tampered.signing_input.back() ^= 1;
  EXPECT_FALSE(es256_verifies(pub.pk, tampered));  // the check above can fail
}

TEST(SignedClientSecret, ExpIsIatPlusTheDeclaredLifetime) {
  auto d = drbg();
  TestKey key;
  testing::make_ec_key(key, *d);  // a SEC1 PEM ("EC PRIVATE KEY") works too
  for (std::int64_t lifetime : {60, 300, 86400}) {
    auto in = apple(key.private_pem, lifetime);
    in.now_ms = 1800000000999;
    auto jwt = detail::make_signed_client_secret(in, *d);
    ASSERT_TRUE(jwt.ok()) << jwt.error().message;
    Jwt j = testing::split_jwt(*jwt);
    EXPECT_EQ(num(j.claims, "iat"), 1800000000);
    EXPECT_EQ(num(j.claims, "exp") - num(j.claims, "iat"), lifetime);
    EXPECT_TRUE(es256_verifies(key.pub, j));
  }
}

TEST(SignedClientSecret, ALifetimeOverSixMonthsOrUnderAMinuteIsRefused) {
  auto d = drbg();
  for (std::int64_t lifetime : {15777001, 59, 0, -1}) {
    auto jwt = detail::make_signed_client_secret(apple(kP8, lifetime), *d);
    ASSERT_FALSE(jwt.ok()) << lifetime;
    EXPECT_EQ(jwt.error().code, ErrorCode::invalid_request);
    EXPECT_NE(jwt.error().message.find("15777000"), std::string::npos) << jwt.error().message;
  }
}

TEST(SignedClientSecret, Rs256WhenTheProviderDeclaresIt) {
  auto d = drbg();
  TestKey key;
  testing::make_rsa_key(key, *d);
  auto in = apple(key.private_pem, 600);
  in.rules.algorithm = "RS256";
  auto jwt = detail::make_signed_client_secret(in, *d);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  Jwt j = testing::split_jwt(*jwt);
  EXPECT_EQ(str(j.header, "alg"), "RS256");
  EXPECT_TRUE(rs256_verifies(key.pub, j));
}

TEST(SignedClientSecret, AKeyOfAnotherKindSaysWhichKeyToSupply) {
  auto d = drbg();
  TestKey rsa;
  testing::make_rsa_key(rsa, *d);
  const std::string garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  for (const std::string& pem : {rsa.private_pem, garbage, std::string("hunter2-shared-secret")}) {
    auto jwt = detail::make_signed_client_secret(apple(pem), *d);
    ASSERT_FALSE(jwt.ok());
    EXPECT_EQ(jwt.error().code, ErrorCode::invalid_request);
    const std::string& m = jwt.error().message;
    EXPECT_NE(m.find("P-256"), std::string::npos) << m;
    EXPECT_NE(m.find("--client-secret-file key.p8"), std::string::npos) << m;
    EXPECT_EQ(m.find("private_key_jwt"), std::string::npos) << m;  // not the other method's words
    EXPECT_EQ(m.find("c2VjcmV0"), std::string::npos);
    EXPECT_EQ(m.find("hunter2"), std::string::npos);
    EXPECT_EQ(m.find(rsa.private_pem.substr(40, 20)), std::string::npos);
  }
}

TEST(SignedClientSecret, AP384KeyIsRefusedForEs256) {
  if (mbedtls_ecp_curve_info_from_grp_id(MBEDTLS_ECP_DP_SECP384R1) == nullptr) {
    GTEST_SKIP() << "this build's mbedTLS has no P-384";  // the wasm builds carry P-256 only
  }
  auto d = drbg();
  TestKey p384;
  testing::make_ec_key(p384, *d, MBEDTLS_ECP_DP_SECP384R1);
  auto jwt = detail::make_signed_client_secret(apple(p384.private_pem), *d);
  ASSERT_FALSE(jwt.ok());
  EXPECT_EQ(jwt.error().code, ErrorCode::invalid_request);
  EXPECT_NE(jwt.error().message.find("P-256"), std::string::npos) << jwt.error().message;
}

TEST(SignedClientSecret, MissingPiecesSayWhatToSupply) {
  auto d = drbg();
  struct Case {
    void (*clear)(detail::SignedClientSecretInput&);
    const char* says;
  };
  const Case cases[] = {
      {[](detail::SignedClientSecretInput& in) { in.key_id.clear(); }, "--key-id"},
      {[](detail::SignedClientSecretInput& in) { in.private_key.clear(); }, "--client-secret-file"},
      {[](detail::SignedClientSecretInput& in) { in.client_id.clear(); }, "client ID"},
      {[](detail::SignedClientSecretInput& in) { in.rules.issuer.clear(); }, "issuer"},
      {[](detail::SignedClientSecretInput& in) { in.rules.audience.clear(); }, "audience"},
      {[](detail::SignedClientSecretInput& in) { in.rules.algorithm = "HS256"; }, "ES256"},
  };
  for (const auto& c : cases) {
    auto in = apple(kP8);
    c.clear(in);
    auto jwt = detail::make_signed_client_secret(in, *d);
    ASSERT_FALSE(jwt.ok()) << c.says;
    EXPECT_EQ(jwt.error().code, ErrorCode::invalid_request);
    EXPECT_NE(jwt.error().message.find(c.says), std::string::npos) << jwt.error().message;
  }
}

}  // namespace
}  // namespace latchkey
