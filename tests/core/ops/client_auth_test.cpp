// client_auth.hpp: the method a client authenticates with.
#include <gtest/gtest.h>

#include "client_auth.hpp"
#include "crypto.hpp"
#include "steps.hpp"
#include "support/fixtures.hpp"
#include "support/jwt_check.hpp"
#include "support/test_keys.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

// The app's token_endpoint_auth_method overrides the provider's at every endpoint that
// authenticates clients, the pushed authorization request endpoint (RFC 9126 §2.1) included.
struct AppAuthMethod : testing::AcmeTest {
  /// acme with a PAR endpoint and `provider_method`, its app using `app_method`: the request
  /// authorize() pushes.
  HttpRequest pushed(const std::string& provider_method, const std::string& app_method) {
    std::string def = testing::kAcmeProvider;
    const std::string from = R"("token_endpoint_auth_method": "client_secret_basic",)";
    def.replace(def.find(from), from.size(),
                R"("token_endpoint_auth_method": ")" + provider_method +
                    R"(", "pushed_authorization_request_endpoint": "https://auth.acme.test/par",)");
    auto p = host.run(engine->update_provider(def));
    EXPECT_TRUE(p.ok()) << p.error().message;
    AppInput app = testing::app_input("acme", "acme-client", "acme-secret", "http://127.0.0.1:8765/callback");
    app.token_endpoint_auth_method = app_method;
    auto a = host.run(engine->upsert_app(app));
    EXPECT_TRUE(a.ok()) << a.error().message;
    host.http = [](const HttpRequest&) {
      return testing::respond(201, R"({"request_uri":"urn:ietf:params:oauth:request_uri:r1","expires_in":60})");
    };
    host.calls.clear();
    start();
    EXPECT_EQ(host.calls.size(), 1u);
    return host.calls.empty() ? HttpRequest{} : host.calls.front();
  }
};

std::size_t count(const std::string& form, const std::string& name) {
  auto params = detail::decode_form(form);
  EXPECT_TRUE(params.ok());
  std::size_t n = 0;
  if (params) {
    for (const auto& [k, v] : *params) n += k == name;
  }
  return n;
}

TEST_F(AppAuthMethod, PostOverridingBasicSendsTheIdOnceAndNoHeader) {
  HttpRequest req = pushed("client_secret_basic", "client_secret_post");
  EXPECT_EQ(req.url, "https://auth.acme.test/par");
  EXPECT_EQ(count(req.body, "client_id"), 1u);
  EXPECT_EQ(count(req.body, "client_secret"), 1u);
  EXPECT_EQ(testing::form_fields(req.body)["client_secret"], "acme-secret");
  EXPECT_EQ(detail::find_header(req.headers, "authorization"), nullptr);
}

TEST_F(AppAuthMethod, BasicOverridingPostSendsTheHeaderAndTheIdOnce) {
  HttpRequest req = pushed("client_secret_post", "client_secret_basic");
  EXPECT_EQ(req.url, "https://auth.acme.test/par");
  const std::string* auth = detail::find_header(req.headers, "authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(*auth, "Basic " + detail::base64_encode("acme-client:acme-secret"));
  EXPECT_EQ(count(req.body, "client_secret"), 0u);
  // RFC 9126 §2.1's example keeps client_id in the body beside the Basic header: once.
  EXPECT_EQ(count(req.body, "client_id"), 1u);
  EXPECT_EQ(testing::form_fields(req.body)["client_id"], "acme-client");
}

// signed_client_secret: Sign in with Apple's client secret, a JWT the core signs for every
// request that sends the client secret (code exchange, refresh, revocation) from the app's P-256
// key, its key ID and a team ID the app supplies as a template value. The definition follows
// Apple's documented endpoints (hosts renamed to .test).
constexpr const char* kSignedProvider = R"({
  "key": "apple-like",
  "display_name": "Apple-like",
  "authorization_endpoint": "https://appleid.apple.test/auth/authorize",
  "token_endpoint": "https://appleid.apple.test/auth/token",
  "revocation_endpoint": "https://appleid.apple.test/auth/revoke",
  "api_base_url": "https://appleid.apple.test",
  "pkce": "unsupported",
  "token_endpoint_auth_method": "signed_client_secret",
  "signed_client_secret": {"issuer": "{team_id}", "audience": "https://appleid.apple.com", "algorithm": "ES256",
                           "lifetime_seconds": 3600},
  "template_params": {"team_id": {"pattern": "^[A-Z0-9]{10}$", "description": "the Apple Developer Team ID"}}
})";

// What Apple's token endpoint answers a code exchange (tokens, an ID token).
EffectResult apple_token_answer(const HttpRequest&) {
  return testing::respond(200, R"({"access_token":"A1","token_type":"Bearer","expires_in":3600,)"
                               R"("refresh_token":"R1","id_token":"h.c.s"})");
}

struct SignedSecret : ::testing::Test {
  void SetUp() override {
    engine = testing::make_engine();
    auto p = host.run(engine->register_provider(kSignedProvider));
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto d = testing::drbg();
    testing::make_ec_key(key, *d);
  }
  /// The app: the Services ID, the PEM key as its secret, its key ID and the team ID.
  Result<AppInfo> set_app(const std::string& pem, const std::string& kid, std::map<std::string, std::string> values) {
    AppInput app = testing::app_input("apple-like", "com.example.web", pem, "https://app.example.test/oauth/callback");
    app.key_id = kid;
    app.template_values = std::move(values);
    return host.run(engine->upsert_app(app));
  }
  Result<AuthorizationStart> start() {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "apple-like";
    return host.run(engine->authorize(r));
  }
  /// The signed secret a request sent, checked against Apple's rules and this test's key.
  void expect_signed_secret(const HttpRequest& req, std::int64_t now_ms) {
    EXPECT_EQ(detail::find_header(req.headers, "authorization"), nullptr);  // client_secret_post only
    EXPECT_EQ(req.body.find("BEGIN"), std::string::npos);                  // the key never travels
    auto f = testing::form_fields(req.body);
    EXPECT_EQ(f["client_id"], "com.example.web");
    EXPECT_EQ(f.count("client_assertion"), 0u);
    testing::Jwt j = testing::split_jwt(f["client_secret"]);
    EXPECT_EQ(j.header.size(), 2u);
    EXPECT_EQ(testing::jwt_str(j.header, "alg"), "ES256");
    EXPECT_EQ(testing::jwt_str(j.header, "kid"), "KEY1234567");
    EXPECT_EQ(j.claims.size(), 5u);
    EXPECT_EQ(testing::jwt_str(j.claims, "iss"), "ABCDE12345");
    EXPECT_EQ(testing::jwt_str(j.claims, "sub"), "com.example.web");
    EXPECT_EQ(testing::jwt_str(j.claims, "aud"), "https://appleid.apple.com");
    EXPECT_EQ(testing::jwt_num(j.claims, "iat"), now_ms / 1000);
    EXPECT_EQ(testing::jwt_num(j.claims, "exp"), now_ms / 1000 + 3600);
    EXPECT_TRUE(testing::es256_verifies(key.pub, j));
  }

  testing::FakeHost host;
  std::unique_ptr<Engine> engine;
  testing::TestKey key;
  ConnectionRef ref{"alice", "apple-like", "default"};
};

TEST_F(SignedSecret, CodeExchangeRefreshAndRevocationEachSendAFreshSignedSecret) {
  ASSERT_TRUE(set_app(key.private_pem, "KEY1234567", {{"team_id", "ABCDE12345"}}).ok());
  auto s = start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(host.calls.empty());
  EXPECT_EQ(s->authorization_url.find("code_challenge"), std::string::npos);  // Apple documents no PKCE

  host.http = apple_token_answer;
  auto c = host.run(engine->complete_callback(
      {"alice", "https://app.example.test/oauth/callback?code=c0de&state=" + s->state}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(host.calls.size(), 1u);
  const HttpRequest& exchange = host.calls[0];
  EXPECT_EQ(exchange.url, "https://appleid.apple.test/auth/token");
  auto f = testing::form_fields(exchange.body);
  EXPECT_EQ(f.size(), 5u);  // grant_type, code, redirect_uri, client_id, client_secret
  EXPECT_EQ(f["grant_type"], "authorization_code");
  EXPECT_EQ(f["code"], "c0de");
  EXPECT_EQ(f["redirect_uri"], "https://app.example.test/oauth/callback");
  expect_signed_secret(exchange, host.now_ms);

  host.now_ms += 7200 * 1000;  // the access token has expired: refresh, with a secret signed now
  host.http = [](const HttpRequest&) {
    return testing::respond(200, R"({"access_token":"A2","token_type":"Bearer","expires_in":3600})");
  };
  auto t = host.run(engine->get_token(ref));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "A2");
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(testing::form_fields(host.calls[1].body)["grant_type"], "refresh_token");
  EXPECT_EQ(testing::form_fields(host.calls[1].body)["refresh_token"], "R1");
  expect_signed_secret(host.calls[1], host.now_ms);

  host.now_ms += 60 * 1000;
  host.calls.clear();
  host.http = [](const HttpRequest&) { return testing::respond(200, ""); };
  auto d = host.run(engine->disconnect(ref, true));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  ASSERT_FALSE(host.calls.empty());
  for (const HttpRequest& revoke : host.calls) {
    EXPECT_EQ(revoke.url, "https://appleid.apple.test/auth/revoke");
    expect_signed_secret(revoke, host.now_ms);
  }
  EXPECT_EQ(testing::form_fields(host.calls[0].body)["token"], "R1");
}

TEST_F(SignedSecret, AMissingTeamIdFailsBeforeConsentAndSaysWhatToSupply) {
  ASSERT_TRUE(set_app(key.private_pem, "KEY1234567", {}).ok());
  auto s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_NE(s.error().message.find("team_id is required"), std::string::npos) << s.error().message;
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(SignedSecret, ANonP256KeyOrNoKeyIdFailsBeforeConsentAndIsNotQuoted) {
  auto d = testing::drbg();
  testing::TestKey rsa;
  testing::make_rsa_key(rsa, *d);
  ASSERT_TRUE(set_app(rsa.private_pem, "KEY1234567", {{"team_id", "ABCDE12345"}}).ok());
  auto s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_NE(s.error().message.find("P-256"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--client-secret-file"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(rsa.private_pem.substr(40, 20)), std::string::npos);

  ASSERT_TRUE(set_app(key.private_pem, "", {{"team_id", "ABCDE12345"}}).ok());
  s = start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_NE(s.error().message.find("--key-id"), std::string::npos) << s.error().message;
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(SignedSecret, TheMethodNeedsItsRulesInTheProviderAndTheApp) {
  const std::string def = R"({"key": "no-rules", "display_name": "No rules",
    "authorization_endpoint": "https://appleid.apple.test/auth/authorize",
    "token_endpoint": "https://appleid.apple.test/auth/token", "api_base_url": "https://appleid.apple.test",
    "token_endpoint_auth_method": "signed_client_secret"})";
  auto p = host.run(engine->register_provider(def));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::invalid_request);
  EXPECT_NE(p.error().message.find("needs signed_client_secret"), std::string::npos) << p.error().message;

  // An app of a provider that says nothing about signing cannot choose the method.
  ASSERT_TRUE(host.run(engine->register_provider(testing::kAcmeProvider)).ok());
  AppInput app = testing::app_input("acme", "acme-client", key.private_pem, "http://127.0.0.1:8765/callback");
  app.token_endpoint_auth_method = "signed_client_secret";
  auto a = host.run(engine->upsert_app(app));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::invalid_request);
  EXPECT_NE(a.error().message.find("signed_client_secret"), std::string::npos) << a.error().message;
}

TEST_F(SignedSecret, ALifetimeOverSixMonthsOrALearnedIssuerIsRefused) {
  std::string def = kSignedProvider;
  def.replace(def.find("3600"), 4, "15777001");
  def.replace(def.find(R"("key": "apple-like")"), 19, R"("key": "too-long")");
  auto p = host.run(engine->register_provider(def));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("lifetime_seconds"), std::string::npos) << p.error().message;

  def = kSignedProvider;
  def.replace(def.find(R"("key": "apple-like")"), 19, R"("key": "learned")");
  def.replace(def.find(R"("description")"), 0, R"("from": "callback.team", )");
  p = host.run(engine->register_provider(def));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("signed_client_secret.issuer uses {team_id}"), std::string::npos)
      << p.error().message;
}

TEST_F(SignedSecret, TheDefinitionRoundTripsAndOthersKeepTheirForm) {
  auto p = provider_from_json(kSignedProvider);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->signed_client_secret.has_value());
  EXPECT_EQ(p->signed_client_secret->issuer, "{team_id}");
  EXPECT_EQ(p->signed_client_secret->audience, "https://appleid.apple.com");
  EXPECT_EQ(p->signed_client_secret->algorithm, "ES256");
  EXPECT_EQ(p->signed_client_secret->lifetime_seconds, 3600);
  auto again = provider_from_json(provider_to_json(*p));
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(again->signed_client_secret.has_value());
  EXPECT_EQ(again->signed_client_secret->issuer, "{team_id}");
  EXPECT_EQ(again->signed_client_secret->lifetime_seconds, 3600);
  auto acme = provider_from_json(testing::kAcmeProvider);
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(provider_to_json(*acme).find("signed_client_secret"), std::string::npos);
}

// The catalog's own "apple" entry, as Apple documents Sign in with Apple: the consent URL asks for
// no scope (name and email need response_mode=form_post, which latchkey's callbacks do not take)
// and no PKCE; the code exchange sends the signed secret to appleid.apple.com.
TEST(SignedSecretCatalog, AppleEntryExchangesTheCodeWithASecretSignedAsAppleSays) {
  testing::FakeHost host;
  auto engine = testing::make_engine();
  auto d = testing::drbg();
  testing::TestKey key;
  testing::make_ec_key(key, *d);
  AppInput app = testing::app_input("apple", "com.example.web", key.private_pem, "https://app.example.test/oauth/callback");
  app.key_id = "KEY1234567";
  app.template_values = {{"team_id", "ABCDE12345"}};
  auto a = host.run(engine->upsert_app(app));
  ASSERT_TRUE(a.ok()) << a.error().message;
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "apple";
  auto s = host.run(engine->authorize(r));
  ASSERT_TRUE(s.ok()) << s.error().message;
  const std::string& url = s->authorization_url;
  EXPECT_EQ(url.rfind("https://appleid.apple.com/auth/authorize?", 0), 0u) << url;
  EXPECT_NE(url.find("response_type=code"), std::string::npos) << url;
  EXPECT_NE(url.find("client_id=com.example.web"), std::string::npos) << url;
  EXPECT_EQ(url.find("scope="), std::string::npos) << url;
  EXPECT_EQ(url.find("code_challenge"), std::string::npos) << url;

  host.http = apple_token_answer;
  auto c = host.run(engine->complete_callback(
      {"alice", "https://app.example.test/oauth/callback?code=c0de&state=" + s->state}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(host.calls[0].url, "https://appleid.apple.com/auth/token");
  EXPECT_EQ(detail::find_header(host.calls[0].headers, "authorization"), nullptr);
  auto f = testing::form_fields(host.calls[0].body);
  EXPECT_EQ(f["grant_type"], "authorization_code");
  EXPECT_EQ(f["client_id"], "com.example.web");
  testing::Jwt j = testing::split_jwt(f["client_secret"]);
  EXPECT_EQ(testing::jwt_str(j.header, "alg"), "ES256");
  EXPECT_EQ(testing::jwt_str(j.header, "kid"), "KEY1234567");
  EXPECT_EQ(testing::jwt_str(j.claims, "iss"), "ABCDE12345");
  EXPECT_EQ(testing::jwt_str(j.claims, "aud"), "https://appleid.apple.com");
  EXPECT_EQ(testing::jwt_str(j.claims, "sub"), "com.example.web");
  const std::int64_t lifetime = testing::jwt_num(j.claims, "exp") - testing::jwt_num(j.claims, "iat");
  EXPECT_GT(lifetime, 0);
  EXPECT_LE(lifetime, 15777000);  // Apple: at most six months
  EXPECT_TRUE(testing::es256_verifies(key.pub, j));
}

}  // namespace
}  // namespace latchkey
