// The consent URL and the token endpoint request, for catalog providers and edge cases.
#include <gtest/gtest.h>

#include "authorization.hpp"
#include "steps.hpp"
#include "latchkey/catalog.hpp"
#include "latchkey/pkce.hpp"
#include "support/fake_host.hpp"

namespace latchkey {
namespace {

using detail::AuthorizationUrlInput;
using testing::query_fields;
using Fields = std::map<std::string, std::string>;

Provider catalog(const std::string& key, std::map<std::string, std::string> values = {}) {
  const Provider* p = find_builtin(key);
  if (!p) ADD_FAILURE() << "no catalog provider " << key;
  auto r = resolve_provider(*p, values);
  if (!r) ADD_FAILURE() << r.error().message;
  return *r;
}

AuthorizationUrlInput input() {
  AuthorizationUrlInput in;
  in.client_id = "client-123";
  in.redirect_uri = "http://127.0.0.1:8765/callback";
  in.state = "st";
  in.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  return in;
}

TEST(AuthorizationUrl, GoogleExactParameters) {
  Provider google = catalog("google");
  auto in = input();
  in.scope = detail::join_scopes(google, {"openid", "email"});
  auto url = detail::build_authorization_url(google, in);
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->rfind("https://accounts.google.com/o/oauth2/v2/auth?", 0), 0u);
  EXPECT_EQ(query_fields(*url), (Fields{{"response_type", "code"},
                                        {"client_id", "client-123"},
                                        {"redirect_uri", "http://127.0.0.1:8765/callback"},
                                        {"scope", "openid email"},
                                        {"state", "st"},
                                        {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                                        {"code_challenge_method", "S256"},
                                        {"access_type", "offline"},
                                        {"prompt", "consent"}}));
  // Spaces in the scope are form-encoded, the redirect URI percent-encoded.
  EXPECT_NE(url->find("scope=openid+email"), std::string::npos);
  EXPECT_NE(url->find("redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"), std::string::npos);
}

TEST(AuthorizationUrl, MicrosoftTenantDefaultsToCommon) {
  auto url = detail::build_authorization_url(catalog("microsoft"), input());
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->rfind("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?", 0), 0u);
  auto contoso = detail::build_authorization_url(catalog("microsoft", {{"tenant", "contoso.onmicrosoft.com"}}), input());
  ASSERT_TRUE(contoso.ok());
  EXPECT_EQ(contoso->rfind("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?", 0), 0u);
}

TEST(AuthorizationUrl, SlackUsesUserScopeAndCommas) {
  Provider slack = catalog("slack");
  auto in = input();
  in.code_challenge.clear();  // Slack does not do PKCE
  in.scope = detail::join_scopes(slack, {"users:read", "chat:write", "users:read"});
  auto url = detail::build_authorization_url(slack, in);
  ASSERT_TRUE(url.ok());
  Fields f = query_fields(*url);
  EXPECT_EQ(f.count("scope"), 0u);
  EXPECT_EQ(f["user_scope"], "users:read,chat:write");  // duplicates dropped, order kept
  EXPECT_EQ(f.count("code_challenge"), 0u);
  EXPECT_EQ(f.count("code_challenge_method"), 0u);
}

TEST(AuthorizationUrl, GithubHasNoExtraParameters) {
  auto url = detail::build_authorization_url(catalog("github"), input());
  ASSERT_TRUE(url.ok());
  Fields f = query_fields(*url);
  EXPECT_EQ(f.size(), 6u);  // response_type client_id redirect_uri state code_challenge code_challenge_method
  EXPECT_EQ(f.count("scope"), 0u);  // an empty scope is left out, not sent empty
}

TEST(AuthorizationUrl, CallerParamsCannotOverrideSecurityParameters) {
  Provider google = catalog("google");
  for (const char* name : {"state", "client_id", "redirect_uri", "response_type", "code_challenge",
                           "code_challenge_method", "scope"}) {
    auto in = input();
    in.extra_params = {{name, "evil"}};
    auto url = detail::build_authorization_url(google, in);
    ASSERT_FALSE(url.ok()) << name;
    EXPECT_EQ(url.error().code, ErrorCode::invalid_request);
    EXPECT_NE(url.error().message.find(name), std::string::npos);
  }
}

TEST(AuthorizationUrl, CallerParamsOverrideProviderParams) {
  auto in = input();
  in.extra_params = {{"prompt", "select_account"}, {"login_hint", "a@b.c"}};
  auto url = detail::build_authorization_url(catalog("google"), in);
  ASSERT_TRUE(url.ok());
  Fields f = query_fields(*url);
  EXPECT_EQ(f["prompt"], "select_account");
  EXPECT_EQ(f["login_hint"], "a@b.c");
  EXPECT_EQ(f["access_type"], "offline");
}

TEST(AuthorizationUrl, RedirectUriMustBeHttpsOrLoopback) {
  auto in = input();
  in.redirect_uri = "http://example.com/cb";
  EXPECT_FALSE(detail::build_authorization_url(catalog("google"), in).ok());
  in.redirect_uri = "https://app.example.com/cb";
  EXPECT_TRUE(detail::build_authorization_url(catalog("google"), in).ok());
}

TEST(TokenRequest, ClientSecretBasicRfc6749Example) {
  // RFC 6749 §2.3.1 example credentials → the header printed in §4.1.3.
  Provider p = catalog("notion");  // client_secret_basic in the catalog
  auto req = detail::token_request(p, p.token_endpoint,
                                   {"s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", p.token_endpoint_auth_method},
                                   {{"grant_type", "authorization_code"}});
  const std::string* auth = detail::find_header(req.headers, "authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(*auth, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
  EXPECT_EQ(req.body.find("7Fjfp0ZBr1KtDRbnfVdmIw"), std::string::npos);
  EXPECT_FALSE(req.follow_redirects);
}

TEST(TokenRequest, ClientSecretBasicFormEncodesBeforeBase64) {
  Provider p = catalog("reddit");
  ASSERT_EQ(p.token_endpoint_auth_method, ClientAuthMethod::client_secret_basic);
  // "a b:c" → "a+b%3Ac" before base64 (RFC 6749 §2.3.1 / Appendix B).
  auto req = detail::token_request(p, p.token_endpoint, {"id:1", "a b:c", p.token_endpoint_auth_method}, {});
  EXPECT_EQ(*detail::find_header(req.headers, "Authorization"), "Basic aWQlM0ExOmErYiUzQWM=");
}

TEST(TokenRequest, ClientSecretPostPutsCredentialsInTheBody) {
  Provider p = catalog("google");
  auto req = detail::token_request(p, p.token_endpoint, {"cid", "csecret", p.token_endpoint_auth_method},
                                   {{"grant_type", "authorization_code"}, {"code", "c0de"}});
  EXPECT_EQ(detail::find_header(req.headers, "authorization"), nullptr);
  EXPECT_EQ(testing::form_fields(req.body), (Fields{{"grant_type", "authorization_code"},
                                                     {"code", "c0de"},
                                                     {"client_id", "cid"},
                                                     {"client_secret", "csecret"}}));
  EXPECT_EQ(*detail::find_header(req.headers, "content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(*detail::find_header(req.headers, "accept"), "application/json");
}

TEST(TokenRequest, PublicClientSendsOnlyClientId) {
  Provider p = catalog("google");
  p.token_endpoint_auth_method = ClientAuthMethod::none;
  auto req = detail::token_request(p, p.token_endpoint, {"cid", "", p.token_endpoint_auth_method},
                                   {{"grant_type", "refresh_token"}});
  Fields f = testing::form_fields(req.body);
  EXPECT_EQ(f["client_id"], "cid");
  EXPECT_EQ(f.count("client_secret"), 0u);
}

TEST(TokenRequest, JsonBodyFormat) {
  Provider p = catalog("google");
  p.token_exchange_body_format = BodyFormat::json;
  auto req = detail::token_request(p, p.token_endpoint, {"cid", "s", p.token_endpoint_auth_method}, {{"grant_type", "authorization_code"}});
  EXPECT_EQ(*detail::find_header(req.headers, "content-type"), "application/json");
  EXPECT_EQ(req.body.front(), '{');
  EXPECT_NE(req.body.find("\"grant_type\":\"authorization_code\""), std::string::npos);
}

}  // namespace
}  // namespace latchkey
