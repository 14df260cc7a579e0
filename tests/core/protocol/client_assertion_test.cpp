// private_key_jwt (RFC 7523 §2.2): the assertion's header and claims, its signature checked with
// mbedTLS's public-key verification (RS256 and ES256), and the token requests of apps that use it.
#include <gtest/gtest.h>

#include "authorization.hpp"
#include "client_assertion.hpp"
#include "crypto.hpp"
#include "json.hpp"
#include "steps.hpp"
#include "support/fixtures.hpp"
#include "support/jwt_check.hpp"
#include "support/test_keys.hpp"

namespace latchkey {
namespace {

using detail::json::Object;
using testing::form_fields;

using testing::drbg;
using testing::make_ec_key;
using testing::make_rsa_key;
using testing::TestKey;

using testing::Jwt;

Jwt split(const std::string& jwt) { return testing::split_jwt(jwt); }
bool rs256_verifies(TestKey& key, const Jwt& jwt) { return testing::rs256_verifies(key.pub, jwt); }
bool es256_verifies(TestKey& key, const Jwt& jwt) { return testing::es256_verifies(key.pub, jwt); }
std::string str(const Object& o, const char* name) { return testing::jwt_str(o, name); }
std::int64_t num(const Object& o, const char* name) { return testing::jwt_num(o, name); }

detail::ClientAssertionInput input(const std::string& pem) {
  detail::ClientAssertionInput in;
  in.client_id = "my-client";
  in.audience = "https://as.example.test/token";
  in.key_id = "key-1";
  in.private_key = pem;
  in.now_ms = 1700000000123;
  return in;
}

TEST(ClientAssertion, Rs256HeaderClaimsAndSignature) {
  auto d = drbg();
  TestKey key;
  make_rsa_key(key, *d);
  auto jwt = detail::make_client_assertion(input(key.private_pem), *d);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  Jwt j = split(*jwt);
  EXPECT_EQ(str(j.header, "alg"), "RS256");
  EXPECT_EQ(str(j.header, "typ"), "JWT");
  EXPECT_EQ(str(j.header, "kid"), "key-1");
  EXPECT_EQ(str(j.claims, "iss"), "my-client");
  EXPECT_EQ(str(j.claims, "sub"), "my-client");
  EXPECT_EQ(str(j.claims, "aud"), "https://as.example.test/token");
  EXPECT_EQ(num(j.claims, "iat"), 1700000000);
  EXPECT_EQ(num(j.claims, "exp"), 1700000060);
  EXPECT_EQ(str(j.claims, "jti").size(), 22u);  // 128 bits, base64url
  EXPECT_TRUE(rs256_verifies(key, j));
  // A changed claim no longer verifies: the check above can fail.
  Jwt tampered = j;
  tampered.signing_input.back() ^= 1;
  EXPECT_FALSE(rs256_verifies(key, tampered));
}

TEST(ClientAssertion, Es256WithAP256KeyAndNoKid) {
  auto d = drbg();
  TestKey key;
  make_ec_key(key, *d);
  auto in = input(key.private_pem);
  in.key_id.clear();
  auto jwt = detail::make_client_assertion(in, *d);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  Jwt j = split(*jwt);
  EXPECT_EQ(str(j.header, "alg"), "ES256");
  EXPECT_EQ(j.header.count("kid"), 0u);
  EXPECT_EQ(j.signature.size(), 64u);  // r || s, not DER
  EXPECT_TRUE(es256_verifies(key, j));
  Jwt tampered = j;
  tampered.signing_input.back() ^= 1;
  EXPECT_FALSE(es256_verifies(key, tampered));
}

TEST(ClientAssertion, EveryAssertionHasItsOwnJti) {
  auto d = drbg();
  TestKey key;
  make_ec_key(key, *d);
  auto a = detail::make_client_assertion(input(key.private_pem), *d);
  auto b = detail::make_client_assertion(input(key.private_pem), *d);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(str(split(*a).claims, "jti"), str(split(*b).claims, "jti"));
}

TEST(ClientAssertion, BadKeysAreRefusedWithoutQuotingThem) {
  auto d = drbg();
  const std::string garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
  for (const std::string& pem : {garbage, std::string("hunter2-shared-secret")}) {
    auto jwt = detail::make_client_assertion(input(pem), *d);
    ASSERT_FALSE(jwt.ok());
    EXPECT_EQ(jwt.error().code, ErrorCode::invalid_request);
    EXPECT_NE(jwt.error().message.find("private_key_jwt"), std::string::npos);
    EXPECT_EQ(jwt.error().message.find("c2VjcmV0"), std::string::npos);
    EXPECT_EQ(jwt.error().message.find("hunter2"), std::string::npos);
  }
  auto empty = detail::make_client_assertion(input(""), *d);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_request);
}

TEST(ClientAssertion, AnEcKeyOnAnotherCurveIsRefusedByName) {
  // The wasm builds carry P-256 only (wasm/latchkey_mbedtls_config.h): no P-384 key to make there.
  if (mbedtls_ecp_curve_info_from_grp_id(MBEDTLS_ECP_DP_SECP384R1) == nullptr) {
    GTEST_SKIP() << "this build's mbedTLS has no P-384";
  }
  auto d = drbg();
  TestKey p384;
  make_ec_key(p384, *d, MBEDTLS_ECP_DP_SECP384R1);
  auto other_curve = detail::make_client_assertion(input(p384.private_pem), *d);
  ASSERT_FALSE(other_curve.ok());
  EXPECT_NE(other_curve.error().message.find("P-256"), std::string::npos);
}

TEST(ClientAssertion, TokenRequestSendsTheAssertionAndNeverTheSecret) {
  Provider p;
  p.token_endpoint = "https://as.example.test/token";
  p.token_endpoint_auth_method = ClientAuthMethod::client_secret_basic;
  detail::ClientCredentials c{"cid", "", ClientAuthMethod::private_key_jwt, "h.c.s"};
  auto req = detail::token_request(p, p.token_endpoint, c, {{"grant_type", "client_credentials"}});
  auto f = form_fields(req.body);
  EXPECT_EQ(f["client_id"], "cid");
  EXPECT_EQ(f["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(f["client_assertion"], "h.c.s");
  EXPECT_EQ(f.count("client_secret"), 0u);
  EXPECT_EQ(detail::find_header(req.headers, "authorization"), nullptr);
}

// Through the engine: an app of "acme" (client_secret_basic in its definition) switched to
// private_key_jwt, its PEM key as the client secret.
struct PrivateKeyJwt : testing::AcmeTest {
  TestKey key;
  void use_key(const std::string& pem, const std::string& kid = "k1") {
    AppInput app = testing::app_input("acme", "acme-client", pem, "");
    app.token_endpoint_auth_method = "private_key_jwt";
    app.key_id = kid;
    auto a = host.run(engine->upsert_app(app));
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->token_endpoint_auth_method, "private_key_jwt");
    EXPECT_EQ(a->key_id, kid);
    EXPECT_TRUE(a->has_client_secret);
  }
  void issue_tokens() {
    host.http = [](const HttpRequest&) {
      return testing::respond(200, R"({"access_token":"A1","token_type":"Bearer","expires_in":3600})");
    };
  }
};

TEST_F(PrivateKeyJwt, ClientCredentialsAndRefetchSendFreshSignedAssertions) {
  auto d = drbg();
  make_rsa_key(key, *d);
  use_key(key.private_pem);
  issue_tokens();
  auto c = host.run(engine->connect_client_credentials({"alice", "acme", "default"}, {}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  host.now_ms += 3600 * 1000;  // expired: the grant is repeated
  auto t = host.run(engine->get_token({"alice", "acme", "default"}));
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(host.calls.size(), 2u);
  std::string jtis[2];
  for (int i = 0; i < 2; ++i) {
    const HttpRequest& r = host.calls[i];
    EXPECT_EQ(detail::find_header(r.headers, "authorization"), nullptr);
    EXPECT_EQ(r.body.find("BEGIN"), std::string::npos);  // the key never travels
    auto f = form_fields(r.body);
    EXPECT_EQ(f["grant_type"], "client_credentials");
    EXPECT_EQ(f["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    Jwt j = split(f["client_assertion"]);
    EXPECT_EQ(str(j.header, "kid"), "k1");
    EXPECT_EQ(str(j.claims, "iss"), "acme-client");
    EXPECT_EQ(str(j.claims, "aud"), "https://auth.acme.test/token");
    EXPECT_TRUE(rs256_verifies(key, j));
    jtis[i] = str(j.claims, "jti");
  }
  EXPECT_EQ(num(split(form_fields(host.calls[1].body)["client_assertion"]).claims, "iat"), host.now_ms / 1000);
  EXPECT_NE(jtis[0], jtis[1]);
}

TEST_F(PrivateKeyJwt, ABadKeyFailsBeforeAnyRequestAndIsNotQuoted) {
  use_key("-----BEGIN PRIVATE KEY-----\nbm90LWEta2V5LWF0LWFsbA==\n-----END PRIVATE KEY-----");
  issue_tokens();
  auto c = host.run(engine->connect_client_credentials({"alice", "acme", "default"}, {}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(c.error().message.find("bm90LWEta2V5"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(PrivateKeyJwt, UnknownMethodsAreRefusedAndEmptyGoesBackToTheProviders) {
  AppInput app = testing::app_input("acme", "acme-client", "", "");  // the stored secret is kept
  app.token_endpoint_auth_method = "private_key_jwt_please";
  auto bad = host.run(engine->upsert_app(app));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("token_endpoint_auth_method"), std::string::npos);
  app.token_endpoint_auth_method = "";
  auto back = host.run(engine->upsert_app(app));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->token_endpoint_auth_method, "");
  issue_tokens();
  ASSERT_TRUE(host.run(engine->connect_client_credentials({"alice", "acme", "default"}, {})).ok());
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(form_fields(host.calls[0].body).count("client_assertion"), 0u);
  const std::string* auth = detail::find_header(host.calls[0].headers, "Authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->rfind("Basic ", 0), 0u);
}

}  // namespace
}  // namespace latchkey
