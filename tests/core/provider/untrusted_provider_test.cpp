// What a provider sends is hostile until checked: discovery metadata that points endpoints into the
// host's network, error descriptions that echo the credentials latchkey sent, and scopes carrying
// terminal escapes — driven by scripted effects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "latchkey/token_set.hpp"
#include "records.hpp"
#include "redaction.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::form_fields;
using testing::respond;

// ---- Issuer discovery: one address policy for the issuer and every endpoint it saves ----

struct IssuerDiscovery : AcmeTest {
  static constexpr const char* kIssuer = "https://id.example.test";

  /// Serves an OpenID document for kIssuer whose `field` is `url` (the rest public).
  void serve_with(const std::string& field, const std::string& url) {
    host.http = [field, url](const HttpRequest& req) {
      if (req.url != std::string(kIssuer) + "/.well-known/openid-configuration") return respond(404, "");
      std::string doc = R"({"issuer": "https://id.example.test",
        "authorization_endpoint": "https://id.example.test/auth",
        "token_endpoint": "https://id.example.test/token",
        "require_pushed_authorization_requests": true,
        "pushed_authorization_request_endpoint": "https://id.example.test/par")";
      // A later duplicate member wins in picojson, so the field under test overrides the public one.
      doc += ",\"" + field + "\": \"" + url + "\"}";
      return respond(200, doc);
    };
  }
};

TEST_F(IssuerDiscovery, EveryDiscoveredEndpointOnAPrivateAddressIsRefusedUnlessAllowed) {
  const std::vector<std::string> fields = {"token_endpoint", "authorization_endpoint", "revocation_endpoint",
                                           "userinfo_endpoint", "device_authorization_endpoint",
                                           "pushed_authorization_request_endpoint"};
  const std::vector<std::string> hosts = {"127.0.0.1", "10.1.2.3", "192.168.0.7", "169.254.169.254",
                                          "240.0.0.1", "[::1]", "[fe80::1]", "[fd00::5]", "localhost"};
  int n = 0;
  for (const auto& field : fields) {
    for (const auto& h : hosts) {
      const std::string url = "https://" + h + "/x";
      serve_with(field, url);
      const std::string key = "id" + std::to_string(n++);
      auto refused = host.run(engine->discover_provider(key, kIssuer));
      ASSERT_FALSE(refused.ok()) << field << " at " << url;
      EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
      EXPECT_NE(refused.error().message.find(field), std::string::npos) << refused.error().message;
      EXPECT_NE(refused.error().message.find("--allow-private-network"), std::string::npos) << refused.error().message;
      EXPECT_EQ(host.run(engine->get_provider(key)).error().code, ErrorCode::not_found);  // nothing saved

      auto allowed = host.run(engine->discover_provider(key, kIssuer, true));
      ASSERT_TRUE(allowed.ok()) << field << " at " << url << ": " << allowed.error().message;
    }
  }
}

TEST_F(IssuerDiscovery, PublicEndpointsPass) {
  serve_with("revocation_endpoint", "https://id.example.test/revoke");
  auto p = host.run(engine->discover_provider("pub", kIssuer));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->provider.revocation_endpoint, "https://id.example.test/revoke");
  EXPECT_EQ(p->provider.pushed_authorization_request_endpoint, "https://id.example.test/par");
}

TEST_F(IssuerDiscovery, APrivateIssuerIsRefusedBeforeAnyRequest) {
  for (const char* issuer : {"https://127.0.0.1:8443/issuer", "http://127.0.0.1:8080", "https://10.0.0.8",
                             "https://[::ffff:169.254.169.254]"}) {
    auto r = host.run(engine->discover_provider("loop", issuer));
    ASSERT_FALSE(r.ok()) << issuer;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    EXPECT_NE(r.error().message.find("issuer"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("--allow-private-network"), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(host.calls.empty());

  host.http = [](const HttpRequest& req) {
    if (req.url != "https://127.0.0.1:8443/issuer/.well-known/openid-configuration") return respond(404, "");
    return respond(200, R"({"issuer": "https://127.0.0.1:8443/issuer",
      "authorization_endpoint": "https://127.0.0.1:8443/issuer/auth", "token_endpoint": "https://127.0.0.1:8443/issuer/token"})");
  };
  auto allowed = host.run(engine->discover_provider("loop", "https://127.0.0.1:8443/issuer", true));
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(allowed->provider.token_endpoint, "https://127.0.0.1:8443/issuer/token");
}

// The CLI and the gateway discover through discover_resource with issuer_first: the issuer tried
// first gets the same policy, and the flag reaches it.
TEST_F(IssuerDiscovery, IssuerFirstDiscoveryHoldsTheIssuerToThePolicy) {
  serve_with("token_endpoint", "https://169.254.169.254/latest/meta-data");
  ResourceDiscoveryRequest r;
  r.key = "first";
  r.resource_url = kIssuer;
  r.redirect_uri = "http://127.0.0.1/oauth/callback";
  r.issuer_first = true;
  auto refused = host.run(engine->discover_resource(r));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
  EXPECT_NE(refused.error().message.find("token_endpoint"), std::string::npos) << refused.error().message;
  r.allow_private_network = true;
  auto allowed = host.run(engine->discover_resource(r));
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(allowed->provider.token_endpoint, "https://169.254.169.254/latest/meta-data");
}

// ---- Provider text that echoes the credentials latchkey sent ----

// The app's secret has a '/' and a space, so its raw, percent- and form-encoded forms all differ.
constexpr const char* kSecret = "s3cr3t/XYZ 9";
constexpr const char* kSecretPercent = "s3cr3t%2FXYZ%209";
constexpr const char* kSecretForm = "s3cr3t%2FXYZ+9";
// base64("acme-client:s3cr3t%2FXYZ+9"), computed apart (Python's base64 and urllib.parse.quote_plus).
constexpr const char* kBasic = "YWNtZS1jbGllbnQ6czNjcjN0JTJGWFlaKzk=";
constexpr const char* kRefresh = "rt-L0ng/refresh+tok";
constexpr const char* kRefreshPercent = "rt-L0ng%2Frefresh%2Btok";

const std::vector<std::string>& leaked_forms() {
  static const std::vector<std::string> forms = {kSecret, kSecretPercent, kSecretForm, kBasic, kRefresh, kRefreshPercent};
  return forms;
}

/// A JSON error body whose description quotes every form of the app's credentials.
std::string echoing_error(const std::string& code) {
  return R"({"error":")" + code + R"(","error_description":"bad secret )" + std::string(kSecret) + " (" + kSecretPercent +
         ", " + kSecretForm + ") for Basic " + kBasic + " refreshing " + kRefresh + " aka " + kRefreshPercent + R"("})";
}

struct EchoingProvider : AcmeTest {
  void SetUp() override {
    AcmeTest::SetUp();
    auto a = host.run(engine->upsert_app(testing::app_input("acme", "acme-client", kSecret, "http://127.0.0.1:8765/callback")));
    ASSERT_TRUE(a.ok()) << a.error().message;
    auto s = start();
    token_endpoint("A1", kRefresh);
    auto c = host.run(engine->complete_callback(
        {"alice", "http://127.0.0.1:8765/callback?code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test"}));
    ASSERT_TRUE(c.ok()) << c.error().message;
  }

  static void expect_clean(const std::string& text, const std::string& where) {
    for (const auto& secret : leaked_forms()) {
      EXPECT_EQ(text.find(secret), std::string::npos) << where << " leaks " << secret << ": " << text;
    }
  }
};

TEST_F(EchoingProvider, ARefreshErrorEchoingTheCredentialsIsRedactedEverywhere) {
  host.now_ms += 3601 * 1000;  // expired: the refresh error surfaces
  bool basic_sent = false;
  host.http = [&](const HttpRequest& req) {
    for (const auto& [k, v] : req.headers) basic_sent = basic_sent || v == std::string("Basic ") + kBasic;
    return respond(401, echoing_error("invalid_client"));
  };
  auto t = host.run(engine->get_token(ref, false));
  ASSERT_TRUE(basic_sent);  // the literal above is what latchkey really sent
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::provider_error);
  EXPECT_EQ(t.error().provider_code, "invalid_client");
  expect_clean(t.error().message, "the message");
  expect_clean(t.error().provider_description, "provider_description");
  EXPECT_NE(t.error().message.find("[redacted]"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("bad secret"), std::string::npos);  // the rest of what it said stays
  const auto rec = record();
  ASSERT_FALSE(rec.last_error.empty());
  expect_clean(rec.last_error, "last_error");
  auto list = host.run(engine->list_connections("alice"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  ASSERT_FALSE(list->front().last_error.empty());  // else there was nothing to clean
  expect_clean(list->front().last_error, "the listed last_error");
  // The stored connection is intact: a good answer refreshes it again.
  host.http = [](const HttpRequest&) { return respond(200, R"({"access_token":"A2","expires_in":3600})"); };
  auto again = host.run(engine->get_token(ref, false));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->access_token, "A2");
}

TEST_F(EchoingProvider, AnInvalidGrantEchoingTheRefreshTokenIsRedactedInTheStoredReason) {
  host.now_ms += 3601 * 1000;
  host.http = [](const HttpRequest&) { return respond(400, echoing_error("invalid_grant")); };
  auto t = host.run(engine->get_token(ref, false));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::needs_reauth);
  expect_clean(t.error().message, "the message");
  expect_clean(t.error().provider_description, "provider_description");
  const auto rec = record();
  EXPECT_EQ(rec.status, "needs_reauth");
  expect_clean(rec.last_error, "last_error");
  // And what later calls say, from the stored reason.
  auto later = host.run(engine->get_token(ref, false));
  ASSERT_FALSE(later.ok());
  expect_clean(later.error().message, "a later message");
}

TEST_F(EchoingProvider, ACodeExchangeErrorEchoingTheCodeAndVerifierIsRedacted) {
  auto s = start();
  std::string verifier;
  host.http = [&](const HttpRequest& req) {
    auto form = form_fields(req.body);
    verifier = form["code_verifier"];
    return respond(400, R"({"error":"invalid_request","error_description":"code code-0123456789abcdef with verifier )" +
                            verifier + " and secret " + kSecretForm + R"("})");
  };
  auto c = host.run(engine->complete_callback(
      {"alice", "http://127.0.0.1:8765/callback?code=code-0123456789abcdef&state=" + s.state +
                    "&iss=https%3A%2F%2Fauth.acme.test"}));
  ASSERT_FALSE(c.ok());
  ASSERT_GE(verifier.size(), 43u);
  for (const std::string& text : {c.error().message, c.error().provider_description}) {
    EXPECT_EQ(text.find("code-0123456789abcdef"), std::string::npos) << text;
    EXPECT_EQ(text.find(verifier), std::string::npos) << text;
    EXPECT_EQ(text.find(kSecretForm), std::string::npos) << text;
  }
}

TEST(SentSecrets, ASecretCutByTheCapIsRedactedToo) {
  HttpRequest req;
  req.body = "grant_type=refresh_token&refresh_token=rt-0123456789abcdefghij";
  auto sent = detail::SentSecrets::of(req);
  // clean() caps provider text and ends it with "...", possibly inside the secret.
  EXPECT_EQ(sent.redact("the token rt-0123456789ab..."), "the token [redacted]...");
  EXPECT_EQ(sent.redact("x rt-0123456789abcdefghij y"), "x [redacted] y");
  EXPECT_EQ(sent.redact("short rt-0 stays"), "short rt-0 stays");  // four characters are no secret
}

TEST(SentSecrets, AnOAuth1HeaderYieldsItsSignatureHalvesVerifierAndToken) {
  HttpRequest req;
  // PLAINTEXT: oauth_signature = enc(enc("cs/S3cret+key") "&" enc("ts/T0ken+secret")), computed apart.
  req.headers = {{"Authorization",
                  R"(OAuth oauth_consumer_key="consumer-key", oauth_token="T1-token", oauth_verifier="V1-verifier", )"
                  R"(oauth_signature_method="PLAINTEXT", oauth_signature="cs%252FS3cret%252Bkey%26ts%252FT0ken%252Bsecret")"}};
  auto sent = detail::SentSecrets::of(req);
  EXPECT_EQ(sent.redact("a cs/S3cret+key b cs%2FS3cret%2Bkey c cs%2fS3cret%2bkey"),
            "a [redacted] b [redacted] c [redacted]");
  EXPECT_EQ(sent.redact("a ts/T0ken+secret b ts%2FT0ken%2Bsecret"), "a [redacted] b [redacted]");
  EXPECT_EQ(sent.redact("sig cs%2FS3cret%2Bkey&ts%2FT0ken%2Bsecret"), "sig [redacted]");
  EXPECT_EQ(sent.redact("hdr cs%252FS3cret%252Bkey%26ts%252FT0ken%252Bsecret"), "hdr [redacted]");
  EXPECT_EQ(sent.redact("verifier V1-verifier token T1-token"), "verifier [redacted] token [redacted]");
  EXPECT_EQ(sent.redact("consumer consumer-key stays"), "consumer consumer-key stays");  // the consumer key is public
}

// ---- Scopes with control characters are never stored ----

TEST(ScopeControls, AScopeWithControlCharactersIsRefused) {
  for (const char* body : {R"({"access_token":"A","token_type":"Bearer","scope":"read \u001b[31mred"})",
                           R"({"access_token":"A","token_type":"Bearer","scope":"read\u0085write"})",
                           R"({"access_token":"A","token_type":"Bearer","scope":["read","x\u009by"]})",
                           R"({"access_token":"A","token_type":"Bearer","scope":"read\twrite"})",
                           "{\"access_token\":\"A\",\"token_type\":\"Bearer\",\"scope\":\"read\x85write\"}",
                           "access_token=A&token_type=bearer&scope=read%1B%5B31m"}) {
    TokenHttpResponse r;
    r.status = 200;
    r.content_type = body[0] == '{' ? "application/json" : "application/x-www-form-urlencoded";
    r.body = body;
    auto t = parse_token_response(r, {}, 0, "read");
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.error().code, ErrorCode::malformed_response) << body;
  }
  TokenHttpResponse fine;
  fine.status = 200;
  fine.content_type = "application/json";
  fine.body = R"({"access_token":"A","token_type":"Bearer","scope":"read write,admin \u00e9t\u00e9"})";
  auto ok = parse_token_response(fine, {}, 0, "read");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
}

TEST_F(EchoingProvider, ARefreshAnsweringAnEscapeInTheScopeLeavesTheConnectionAsItWas) {
  const auto before = record();
  host.now_ms += 3601 * 1000;
  host.http = [](const HttpRequest&) {
    return respond(200, R"({"access_token":"A2","expires_in":3600,"scope":"read \u001b]0;pwned\u0007"})");
  };
  auto t = host.run(engine->get_token(ref, false));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::malformed_response);
  EXPECT_NE(t.error().message.find("control characters"), std::string::npos) << t.error().message;
  const auto after = record();
  EXPECT_EQ(after.scope, before.scope);
  EXPECT_EQ(after.access_token_sealed, before.access_token_sealed);
  EXPECT_EQ(after.refresh_token_sealed, before.refresh_token_sealed);
}

}  // namespace
}  // namespace latchkey
