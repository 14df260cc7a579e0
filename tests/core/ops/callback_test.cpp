// Completing an authorization from its callback: the happy path and every rejection.
#include <gtest/gtest.h>

#include "authorization.hpp"
#include "steps.hpp"
#include "latchkey/pkce.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::form_fields;
using testing::query_fields;
using testing::respond;

struct Callback : AcmeTest {
  Result<ConnectionInfo> complete(const std::string& query, const std::string& principal = "alice") {
    return host.run(engine->complete_callback({principal, "http://127.0.0.1:8765/callback?" + query}));
  }
  std::size_t stored(const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& [k, v] : host.store.records) n += k.rfind(prefix, 0) == 0;
    return n;
  }
};

// The redirect URI: the request's, else the app's, else the host's own default (latchkeyd's
// public callback, which an operator overrides by giving the app its own redirect_uri).
TEST_F(Callback, RedirectUriComesFromRequestThenAppThenHostDefault) {
  const auto redirect_of = [&](const std::string& asked, const std::string& fallback) {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "acme";
    r.redirect_uri = asked;
    r.default_redirect_uri = fallback;
    auto s = host.run(engine->authorize(r));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? query_fields(s->authorization_url)["redirect_uri"] : std::string();
  };
  EXPECT_EQ(redirect_of("http://127.0.0.1:9/cb", "https://gw.example/oauth/callback"), "http://127.0.0.1:9/cb");
  EXPECT_EQ(redirect_of("", "https://gw.example/oauth/callback"), "http://127.0.0.1:8765/callback") << "the app's wins";
  // An app without a redirect URI of its own: the host's default.
  ASSERT_TRUE(host.run(engine->delete_app("acme")).ok());
  auto none = host.run(engine->upsert_app(testing::app_input("acme", "acme-client", "acme-secret", "")));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(redirect_of("", "https://gw.example/oauth/callback"), "https://gw.example/oauth/callback");
}

TEST_F(Callback, HappyPathExchangesCodeWithVerifierAndStoresSealedTokens) {
  auto s = start();
  auto url_fields = query_fields(s.authorization_url);
  ASSERT_EQ(url_fields["code_challenge_method"], "S256");
  ASSERT_GE(s.state.size(), 22u);  // ≥ 128 bits in base64url
  token_endpoint("access-xyz", "refresh-xyz");
  auto c = complete("code=the-code&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->provider, "acme");
  EXPECT_EQ(c->principal, "alice");
  EXPECT_EQ(c->status, "connected");
  EXPECT_EQ(c->scope, "read");
  EXPECT_TRUE(c->has_refresh_token);
  EXPECT_EQ(c->expires_at_ms, host.now_ms + 3600 * 1000);

  ASSERT_EQ(host.calls.size(), 1u);
  const HttpRequest& req = host.calls[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://auth.acme.test/token");
  auto body = form_fields(req.body);
  EXPECT_EQ(body["grant_type"], "authorization_code");
  EXPECT_EQ(body["code"], "the-code");
  EXPECT_EQ(body["redirect_uri"], "http://127.0.0.1:8765/callback");  // identical to the one authorized
  // The verifier sent is the one whose S256 challenge went into the consent URL.
  EXPECT_EQ(pkce_challenge_s256(body["code_verifier"]), url_fields["code_challenge"]);
  EXPECT_EQ(body.count("code_challenge_method"), 0u);
  EXPECT_EQ(body.count("client_secret"), 0u);  // basic auth
  ASSERT_NE(detail::find_header(req.headers, "authorization"), nullptr);

  // Nothing secret is stored in clear.
  for (const auto& [key, rec] : host.store.records) {
    for (const char* secret : {"access-xyz", "refresh-xyz", "acme-secret", body["code_verifier"].c_str()}) {
      EXPECT_EQ(rec.value.find(secret), std::string::npos) << key << " holds " << secret;
    }
  }
}

TEST_F(Callback, MissingState) {
  auto r = complete("code=abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Callback, UnknownState) {
  start();
  auto r = complete("code=abc&state=not-a-state-we-issued");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  EXPECT_NE(r.error().message.find("start the connection again"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Callback, ExpiredState) {
  auto s = start();
  host.now_ms += 10 * 60 * 1000;  // the default 10-minute lifetime
  token_endpoint("A", "R");
  auto r = complete("code=abc&state=" + s.state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::state_expired);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Callback, ReplayedStateIsRejectedAndConnectionKept) {
  auto s = start();
  token_endpoint("A1", "R1");
  ASSERT_TRUE(complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test").ok());
  auto before = host.store.records;
  token_endpoint("A2", "R2");
  auto r = complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::state_reused);
  EXPECT_EQ(host.calls.size(), 1u);  // no second exchange
  for (const auto& [k, v] : before) EXPECT_EQ(host.store.records.at(k).value, v.value) << k;
}

TEST_F(Callback, StateFromAnotherPrincipal) {
  auto s = start("alice");
  auto r = complete("code=abc&state=" + s.state, "mallory");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  EXPECT_TRUE(host.calls.empty());
  // Alice can still finish her own sign-in.
  token_endpoint("A", "R");
  EXPECT_TRUE(complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test").ok());
}

TEST_F(Callback, WithoutAPrincipalTheStarterIsUsed) {
  auto s = start("alice");
  token_endpoint("A", "R");
  auto c = complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->principal, "alice");
  EXPECT_EQ(complete("code=abc&state=" + s.state, "").error().code, ErrorCode::state_reused);
}

TEST_F(Callback, WrongIssuerIsAMixUp) {
  auto s = start();
  auto r = complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fevil.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  EXPECT_NE(r.error().message.find("mix-up"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
}

TEST_F(Callback, IssuerIsComparedExactly) {
  auto s = start();
  auto r = complete("code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test%2F");  // trailing slash
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
}

TEST_F(Callback, MissingIssIsRefusedWhenTheServerAdvertisesIt) {
  std::string def = testing::kAcmeProvider;
  def.insert(def.rfind('}'), ", \"authorization_response_iss_parameter_supported\": true");
  ASSERT_TRUE(host.run(engine->update_provider(def)).ok());
  auto s = start();
  auto r = complete("code=abc&state=" + s.state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_state);
  EXPECT_NE(r.error().message.find("RFC 9207"), std::string::npos);
}

TEST_F(Callback, MissingIssIsAcceptedWhenNotAdvertised) {
  auto s = start();
  token_endpoint("A", "R");
  EXPECT_TRUE(complete("code=abc&state=" + s.state).ok());
}

TEST_F(Callback, AccessDeniedIsAProviderErrorAndConsumesTheState) {
  auto s = start();
  auto r = complete("error=access_denied&error_description=The+user+said+no&state=" + s.state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::provider_error);
  EXPECT_EQ(r.error().provider_code, "access_denied");
  EXPECT_EQ(r.error().provider_description, "The user said no");
  EXPECT_NE(r.error().message.find("denied"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
  EXPECT_EQ(complete("code=abc&state=" + s.state).error().code, ErrorCode::state_reused);
}

TEST_F(Callback, DuplicateStateParameterIsRefused) {
  auto s = start();
  auto r = complete("code=abc&state=" + s.state + "&state=other");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

TEST_F(Callback, RejectedCodeLeavesExistingConnectionIntact) {
  connect();
  auto before = host.store.records;
  auto s = start();
  host.http = [](const HttpRequest&) {
    return respond(400, R"({"error":"invalid_grant","error_description":"code expired"})");
  };
  auto r = complete("code=stale&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_grant);
  EXPECT_NE(r.error().message.find("start the connection again"), std::string::npos);
  for (const auto& [k, v] : before) {
    if (k.rfind("conn/", 0) == 0) EXPECT_EQ(host.store.records.at(k).value, v.value);
  }
}

TEST_F(Callback, HtmlErrorPageFromTokenEndpoint) {
  auto s = start();
  host.http = [](const HttpRequest&) {
    return respond(502, "<html><body>Bad Gateway</body></html>", "text/html");
  };
  auto r = complete("code=abc&state=" + s.state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(stored("conn/"), 0u);
}

TEST_F(Callback, DeadServer) {
  auto s = start();
  host.http = [](const HttpRequest&) { return testing::transport_failure("connection refused"); };
  auto r = complete("code=abc&state=" + s.state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::transport);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos);
}

TEST_F(Callback, SeveralAccountsOfOneProvider) {
  auto work = connect("alice", "work");
  auto home = connect("alice", "home");
  EXPECT_NE(work.id, home.id);
  auto list = host.run(engine->list_connections("alice"));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(host.run(engine->list_connections("bob"))->empty());
}

TEST_F(Callback, UnnamedAccountIsNamedByTheIdentityEndpoint) {
  std::string def = testing::kAcmeProvider;
  def.insert(def.rfind('}'), R"(, "identity": {"url": "https://api.acme.test/me", "account_path": "user.email", "headers": {}})");
  ASSERT_TRUE(host.run(engine->update_provider(def)).ok());
  auto named = [&](const std::string& email) {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = "acme";
    auto s = host.run(engine->authorize(r));
    EXPECT_TRUE(s.ok());
    host.http = [email](const HttpRequest& req) {
      if (req.url == "https://api.acme.test/me") {
        EXPECT_EQ(*detail::find_header(req.headers, "authorization"), "Bearer tok-" + email);
        return respond(200, R"({"user": {"email": ")" + email + R"("}})");
      }
      return respond(200, R"({"access_token": "tok-)" + email + R"(", "refresh_token": "r", "expires_in": 3600})");
    };
    return complete("code=c&state=" + s->state);
  };
  auto a = named("a@example.com");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->account, "a@example.com");
  // With one connection, no account needs to be named.
  auto only = host.run(engine->get_token({"alice", "acme", ""}));
  ASSERT_TRUE(only.ok()) << only.error().message;
  EXPECT_EQ(only->access_token, "tok-a@example.com");
  auto b = named("b@example.com");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->account, "b@example.com");
  // With two, the caller must choose, and is told the choices.
  auto ambiguous = host.run(engine->get_token({"alice", "acme", ""}));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::invalid_request);
  EXPECT_NE(ambiguous.error().message.find("a@example.com"), std::string::npos);
  EXPECT_NE(ambiguous.error().message.find("--account"), std::string::npos);
  EXPECT_EQ(host.run(engine->get_token({"alice", "acme", "b@example.com"}))->access_token, "tok-b@example.com");
}

TEST_F(Callback, IdentityFailureFallsBackToDefault) {
  std::string def = testing::kAcmeProvider;
  def.insert(def.rfind('}'), R"(, "identity": {"url": "https://api.acme.test/me", "account_path": "email", "headers": {}})");
  ASSERT_TRUE(host.run(engine->update_provider(def)).ok());
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = "acme";
  auto s = host.run(engine->authorize(r));
  host.http = [](const HttpRequest& req) {
    if (req.url == "https://api.acme.test/me") return respond(500, "<html>oops</html>", "text/html");
    return respond(200, R"({"access_token": "t", "expires_in": 3600})");
  };
  auto c = complete("code=c&state=" + s->state);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->account, "default");
}

// RFC 8707: a resource-bound token is shown to an identity endpoint only on the resource's own
// origin, even when the injection rules would let it go elsewhere; otherwise the account is
// named after the resource's host.
TEST_F(Callback, AResourceBoundTokenGoesOnlyToAnIdentityEndpointOnTheResourcesOrigin) {
  struct Case {
    const char* identity_url;
    const char* account;
    bool asked;
  } const cases[] = {
      {"https://api.acme.test/me", "from-identity", true},           // the resource's origin
      {"https://x.files.acme.test/me", "api.acme.test", false},      // allowed by *.files.acme.test, not the resource
      {"https://api.acme.test:8443/me", "api.acme.test", false},     // the resource's host, another port
  };
  for (const auto& c : cases) {
    std::string def = testing::kAcmeProvider;
    def.insert(def.rfind('}'), std::string(R"(, "resource": "https://api.acme.test/v1", "identity": {"url": ")") +
                                   c.identity_url + R"(", "account_path": "id", "headers": {}})");
    // The port case needs its origin among the injection hosts, so only the resource rule refuses it.
    const std::string hosts = R"("hosts": ["api.acme.test", "*.files.acme.test"])";
    def.replace(def.find(hosts), hosts.size(), R"("hosts": ["api.acme.test", "*.files.acme.test", "https://api.acme.test:8443"])");
    auto updated = host.run(engine->update_provider(def));
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    AuthorizeRequest r;  // no account: the connection is named
    r.principal = "alice";
    r.provider = "acme";
    auto s = host.run(engine->authorize(r));
    ASSERT_TRUE(s.ok()) << s.error().message;
    bool asked = false;
    host.http = [&asked, &c](const HttpRequest& req) {
      if (req.url == c.identity_url) {
        asked = true;
        return respond(200, R"({"id": "from-identity"})");
      }
      return respond(200, R"({"access_token": "t", "expires_in": 3600})");
    };
    auto done = complete("code=c&state=" + s->state);
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->account, c.account) << c.identity_url;
    EXPECT_EQ(asked, c.asked) << c.identity_url;
    ASSERT_TRUE(host.run(engine->disconnect({"alice", "acme", done->account}, false)).ok());
  }
}

TEST(CallbackParams, ParsesUrlOrBareQuery) {
  auto a = detail::parse_callback("https://x.test/cb?code=c%20d&state=s#frag");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->code, "c d");
  EXPECT_EQ(a->state, "s");
  EXPECT_FALSE(a->has_iss);
  auto b = detail::parse_callback("?state=s&error=access_denied");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->has_error);
  EXPECT_FALSE(detail::parse_callback("code=%zz").ok());
}

}  // namespace
}  // namespace latchkey
