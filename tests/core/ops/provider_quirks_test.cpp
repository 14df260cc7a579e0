// Providers as they really behave, said in the schema: per-grant parameters and answer roots,
// long-lived exchanges and access-token refreshes, headers on token and API requests,
// revocation styles, and the provider's own code when it refuses a code in a 200.
#include <gtest/gtest.h>

#include "headers.hpp"
#include "json.hpp"
#include "latchkey/url.hpp"
#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::FakeHost;
using testing::respond;

std::string form_value(const std::string& form, const std::string& name) {
  auto parsed = decode_form(form);
  if (!parsed) return "<no form>";
  for (const auto& [k, v] : *parsed) {
    if (k == name) return v;
  }
  return "<absent>";
}

std::string query_of(const std::string& url) {
  auto q = url.find('?');
  return q == std::string::npos ? "" : url.substr(q + 1);
}

std::string header(const HttpRequest& r, const char* name) {
  const std::string* v = detail::find_header(r.headers, name);
  return v ? *v : "<absent>";
}

struct Quirks : ::testing::Test {
  void use(const std::string& definition, const std::string& auth = "client_secret_post",
           std::map<std::string, std::string> values = {}) {
    engine = testing::make_engine();
    auto p = host.run(engine->register_provider(definition));
    ASSERT_TRUE(p.ok()) << p.error().message;
    key = p->provider.key;
    auto in = testing::app_input(key, "cid", "csecret", "http://127.0.0.1:8765/callback");
    in.token_endpoint_auth_method = auth;
    in.template_values = std::move(values);
    auto a = host.run(engine->upsert_app(in));
    ASSERT_TRUE(a.ok()) << a.error().message;
  }
  /// Runs the code flow with the token endpoint answering `answers` in turn (the last repeats).
  Result<ConnectionInfo> connect(std::vector<std::string> answers) {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = key;
    auto s = host.run(engine->authorize(r));
    if (!s) return s.error();
    script(std::move(answers));
    return host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=C0DE&state=" + s->state}));
  }
  void script(std::vector<std::string> answers) {
    auto i = std::make_shared<std::size_t>(0);
    host.http = [answers, i](const HttpRequest&) {
      const std::string& a = answers[std::min(*i, answers.size() - 1)];
      ++*i;
      if (a.rfind("HTTP ", 0) == 0) return respond(std::stoi(a.substr(5, 3)), a.substr(9));
      return respond(200, a);
    };
    host.calls.clear();
  }
  Result<AccessToken> refresh() { return host.run(engine->get_token(ref(), true)); }
  ConnectionRef ref() const { return {"alice", key, "default"}; }

  FakeHost host;
  std::unique_ptr<Engine> engine;
  std::string key;
};

// Slack: with user scopes, the code exchange's user token is under authed_user; with token
// rotation, a refresh answers at the top level (api.slack.com/authentication/rotation).
constexpr const char* kSlack = R"({
  "key": "slackish", "display_name": "Slackish",
  "authorization_endpoint": "https://slack.test/oauth/v2/authorize",
  "token_endpoint": "https://slack.test/api/oauth.v2.access",
  "api_base_url": "https://slack.test/api",
  "token_response": {"root": "authed_user", "keep": [], "expires_in_unit": "seconds"},
  "refresh": {"root": ""}
})";

TEST_F(Quirks, ARefreshAnswersTokensWhereTheRefreshRootSaysNotWhereTheCodesWere) {
  use(kSlack);
  auto c = connect({R"({"ok":true,"authed_user":{"id":"U1","access_token":"xoxe.xoxp-1","refresh_token":"xoxe-1-R1","expires_in":43200,"token_type":"user"}})"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  script({R"({"ok":true,"access_token":"xoxe.xoxp-2","refresh_token":"xoxe-1-R2","expires_in":43200,"token_type":"user"})"});
  auto t = refresh();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "xoxe.xoxp-2");
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(form_value(host.calls[0].body, "refresh_token"), "xoxe-1-R1");
  // The rotated refresh token is the one the next refresh sends.
  script({R"({"ok":true,"access_token":"xoxe.xoxp-3","refresh_token":"xoxe-1-R3","expires_in":43200})"});
  ASSERT_TRUE(refresh().ok());
  EXPECT_EQ(form_value(host.calls[0].body, "refresh_token"), "xoxe-1-R2");
}

// Shopify: expiring=1 asks for an expiring offline token on the code exchange only
// (shopify.dev/docs/apps/build/authentication-authorization/access-token-types/offline-access-tokens).
constexpr const char* kShopify = R"({
  "key": "shopish", "display_name": "Shopish",
  "authorization_endpoint": "https://shop.test/admin/oauth/authorize",
  "token_endpoint": "https://shop.test/admin/oauth/access_token",
  "api_base_url": "https://shop.test/admin/api",
  "token_params": {"every": "1"},
  "exchange_params": {"expiring": "1"},
  "refresh": {"params": {"only_refresh": "yes"}}
})";

TEST_F(Quirks, ParametersGoOnTheirOwnGrantOnly) {
  use(kShopify);
  auto c = connect({R"({"access_token":"shpat_1","refresh_token":"shprt_1","expires_in":3600})"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string exchange = host.calls.back().body;
  EXPECT_EQ(form_value(exchange, "expiring"), "1");
  EXPECT_EQ(form_value(exchange, "every"), "1");
  EXPECT_EQ(form_value(exchange, "only_refresh"), "<absent>");
  script({R"({"access_token":"shpat_2","refresh_token":"shprt_2","expires_in":3600})"});
  ASSERT_TRUE(refresh().ok());
  const std::string refresh_body = host.calls[0].body;
  EXPECT_EQ(form_value(refresh_body, "grant_type"), "refresh_token");
  EXPECT_EQ(form_value(refresh_body, "expiring"), "<absent>");
  EXPECT_EQ(form_value(refresh_body, "every"), "1");
  EXPECT_EQ(form_value(refresh_body, "only_refresh"), "yes");
}

// Instagram API with Instagram Login: the short-lived token is traded with ig_exchange_token,
// and the long-lived one refreshed with ig_refresh_token, both GETs carrying the access token
// (developers.facebook.com/docs/instagram-platform/reference/access_token, /refresh_access_token).
constexpr const char* kInstagram = R"({
  "key": "instaish", "display_name": "Instaish",
  "authorization_endpoint": "https://insta.test/oauth/authorize",
  "token_endpoint": "https://api.insta.test/oauth/access_token",
  "api_base_url": "https://graph.insta.test",
  "long_lived_exchange": {"url": "https://graph.insta.test/access_token", "method": "GET",
                          "grant_type": "ig_exchange_token", "token": "access_token", "token_param": "access_token"},
  "refresh": {"url": "https://graph.insta.test/refresh_access_token", "method": "GET", "grant_type": "ig_refresh_token",
              "token": "access_token", "token_param": "access_token", "client_auth": false}
})";

TEST_F(Quirks, ALongLivedExchangeReplacesTheShortLivedTokenAndAnAccessTokenRefreshNeedsNoRefreshToken) {
  use(kInstagram);
  auto c = connect({R"({"access_token":"IGshort","user_id":17841})",
                    R"({"access_token":"IGlong1","token_type":"bearer","expires_in":5183944})"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(host.calls.size(), 2u);
  const HttpRequest& ex = host.calls[1];
  EXPECT_EQ(ex.method, "GET");
  EXPECT_EQ(ex.url.substr(0, ex.url.find('?')), "https://graph.insta.test/access_token");
  EXPECT_EQ(form_value(query_of(ex.url), "grant_type"), "ig_exchange_token");
  EXPECT_EQ(form_value(query_of(ex.url), "access_token"), "IGshort");
  EXPECT_EQ(form_value(query_of(ex.url), "client_secret"), "csecret");
  EXPECT_TRUE(ex.body.empty());

  auto t = host.run(engine->get_token(ref()));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "IGlong1");

  script({R"({"access_token":"IGlong2","token_type":"bearer","expires_in":5183944})"});
  auto r = refresh();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->access_token, "IGlong2");
  ASSERT_EQ(host.calls.size(), 1u);
  const HttpRequest& rf = host.calls[0];
  EXPECT_EQ(rf.method, "GET");
  EXPECT_EQ(rf.url, "https://graph.insta.test/refresh_access_token?grant_type=ig_refresh_token&access_token=IGlong1");
  EXPECT_EQ(header(rf, "authorization"), "<absent>");
}

// An expired Instagram token cannot be traded: connect again, without a doomed request; and a
// Graph refusal of the traded token (OAuthException code 190) means the same.
TEST_F(Quirks, AnExpiredOrRefusedTradedTokenNeedsAuthorizingAgain) {
  use(kInstagram);
  ASSERT_TRUE(connect({R"({"access_token":"IGshort"})", R"({"access_token":"IGlong1","expires_in":5183944})"}).ok());
  host.now_ms += 5183945LL * 1000;
  host.calls.clear();
  auto t = host.run(engine->get_token(ref()));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::needs_reauth);
  EXPECT_TRUE(host.calls.empty());

  ASSERT_TRUE(connect({R"({"access_token":"IGshort"})", R"({"access_token":"IGlong1","expires_in":5183944})"}).ok());
  script({R"(HTTP 400 {"error":{"message":"Error validating access token","type":"OAuthException","code":190}})"});
  auto r = refresh();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::needs_reauth) << r.error().message;
  auto status = host.run(engine->status(ref()));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status, "needs_reauth");
}

// A client-credentials connection's refetch reads its answer as the token endpoint's, not under
// a refresh style's own root.
TEST_F(Quirks, AClientCredentialsRefetchIgnoresTheRefreshStylesRoot) {
  use(R"({"key": "ccroot", "display_name": "CC", "auth_mode": "client_credentials",
          "authorization_endpoint": null, "token_endpoint": "https://cc.test/token",
          "api_base_url": "https://api.cc.test", "pkce": "unsupported",
          "token_response": {"root": "data", "keep": [], "expires_in_unit": "seconds"},
          "refresh": {"root": ""}})");
  script({R"({"data":{"access_token":"c1","expires_in":3600}})"});
  auto c = host.run(engine->connect_client_credentials({"alice", key, "default"}, {}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  script({R"({"data":{"access_token":"c2","expires_in":3600}})"});
  auto t = host.run(engine->get_token({"alice", key, c->account}, true));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "c2");
}

TEST_F(Quirks, AFailedLongLivedExchangeFailsTheConnectStoresNothingAndNeverEchoesTheToken) {
  use(kInstagram);
  auto c = connect({R"({"access_token":"IGshort-secret-value"})",
                    R"(HTTP 400 {"error":{"message":"Invalid token IGshort-secret-value","type":"OAuthException","code":190}})"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("long-lived token exchange failed"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.find("IGshort-secret-value"), std::string::npos) << c.error().message;
  for (const auto& [k, v] : host.store.records) EXPECT_EQ(k.rfind(detail::connection_prefix("alice"), 0), std::string::npos) << k;
}

// Headers a provider requires: on token requests (e.g. a User-Agent) and on every API request
// (Notion-Version: developers.notion.com/reference/versioning), where the caller's own win.
constexpr const char* kNotion = R"({
  "key": "notionish", "display_name": "Notionish",
  "authorization_endpoint": "https://api.notion.test/v1/oauth/authorize",
  "token_endpoint": "https://api.notion.test/v1/oauth/token",
  "revocation_endpoint": "https://api.notion.test/v1/oauth/revoke",
  "api_base_url": "https://api.notion.test/v1",
  "token_request_headers": {"User-Agent": "latchkey-test"},
  "api_headers": {"Notion-Version": "2022-06-28"},
  "identity": {"url": "https://api.notion.test/v1/users/me", "account_path": "name", "headers": {}}
})";

TEST_F(Quirks, HeadersGoOnTokenRequestsAndOnEveryApiRequestUnlessTheCallerGaveTheirOwn) {
  use(kNotion);
  auto s = host.run(engine->authorize([&] {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = key;
    return r;
  }()));
  ASSERT_TRUE(s.ok());
  host.http = [](const HttpRequest& r) {
    if (r.url.find("/users/me") != std::string::npos) return respond(200, R"({"name":"Ada"})");
    return respond(200, R"({"access_token":"ntn_1","token_type":"bearer"})");
  };
  auto c = host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=C&state=" + s->state}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->account, "Ada");
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(header(host.calls[0], "user-agent"), "latchkey-test");
  EXPECT_EQ(header(host.calls[0], "notion-version"), "<absent>");
  EXPECT_EQ(header(host.calls[1], "notion-version"), "2022-06-28");  // identity

  HttpRequest plain;
  plain.url = "/pages";
  auto signed_req = host.run(engine->sign_request({"alice", key, "Ada"}, plain));
  ASSERT_TRUE(signed_req.ok()) << signed_req.error().message;
  EXPECT_EQ(header(*signed_req, "notion-version"), "2022-06-28");
  EXPECT_EQ(header(*signed_req, "authorization"), "Bearer ntn_1");

  HttpRequest own = plain;
  own.headers.emplace_back("notion-version", "2025-09-03");
  auto kept = host.run(engine->sign_request({"alice", key, "Ada"}, own));
  ASSERT_TRUE(kept.ok());
  int n = 0;
  for (const auto& h : kept->headers) n += h.first == "notion-version" || h.first == "Notion-Version";
  EXPECT_EQ(n, 1);
  EXPECT_EQ(header(*kept, "notion-version"), "2025-09-03");

  script({"{}"});
  auto d = host.run(engine->disconnect({"alice", key, "Ada"}, true));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(header(host.calls[0], "user-agent"), "latchkey-test");
}

// Dropbox: /2/auth/token/revoke takes the token as its Bearer credential and no body, and
// revokes the refresh token with it (dropbox.com/developers/documentation/http/documentation#auth-token-revoke).
constexpr const char* kDropbox = R"({
  "key": "dropish", "display_name": "Dropish",
  "authorization_endpoint": "https://www.drop.test/oauth2/authorize",
  "token_endpoint": "https://api.drop.test/oauth2/token",
  "revocation_endpoint": "https://api.drop.test/2/auth/token/revoke",
  "revocation_style": "bearer",
  "api_base_url": "https://api.drop.test/2"
})";

TEST_F(Quirks, ABearerRevocationSendsTheAccessTokenAsItsCredentialOnce) {
  use(kDropbox);
  ASSERT_TRUE(connect({R"({"access_token":"sl.A1","refresh_token":"R1","expires_in":14400})"}).ok());
  script({"null"});
  auto d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  EXPECT_TRUE(d->deleted);
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(host.calls[0].method, "POST");
  EXPECT_EQ(host.calls[0].url, "https://api.drop.test/2/auth/token/revoke");
  EXPECT_EQ(header(host.calls[0], "authorization"), "Bearer sl.A1");
  EXPECT_TRUE(host.calls[0].body.empty());
}

// Dropbox access tokens last 4 hours: revoking with an expired one would be refused and leave the
// refresh token live at Dropbox. The token is refreshed first, and the new one revokes both.
TEST_F(Quirks, ABearerRevocationRefreshesAnExpiredTokenFirst) {
  use(kDropbox);
  ASSERT_TRUE(connect({R"({"access_token":"sl.A1","refresh_token":"R1","expires_in":14400})"}).ok());
  host.now_ms += 14401 * 1000;
  script({R"({"access_token":"sl.A2","expires_in":14400})", "null"});
  auto d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(form_value(host.calls[0].body, "refresh_token"), "R1");
  EXPECT_EQ(header(host.calls[1], "authorization"), "Bearer sl.A2");
  // An invalid_token answer does not count as revoked here: the token was just checked valid.
  ASSERT_TRUE(connect({R"({"access_token":"sl.B1","refresh_token":"R2","expires_in":14400})"}).ok());
  script({R"(HTTP 401 {"error":"invalid_token"})"});
  d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->revoked);
  EXPECT_TRUE(d->deleted);
}

// Intuit: the revoke endpoint takes a JSON body {"token"} with Basic client authentication
// (developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect).
constexpr const char* kIntuit = R"({
  "key": "intuitish", "display_name": "Intuitish",
  "authorization_endpoint": "https://appcenter.intuit.test/connect/oauth2",
  "token_endpoint": "https://oauth.intuit.test/oauth2/v1/tokens/bearer",
  "revocation_endpoint": "https://developer.intuit.test/v2/oauth2/tokens/revoke",
  "revocation_style": "json",
  "api_base_url": "https://quickbooks.intuit.test"
})";

TEST_F(Quirks, AJsonRevocationSendsTheTokenInAJsonBody) {
  use(kIntuit, "client_secret_basic");
  ASSERT_TRUE(connect({R"({"access_token":"eyJA1","refresh_token":"AB11R1","expires_in":3600})"}).ok());
  script({"{}"});
  auto d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  ASSERT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(header(host.calls[0], "content-type"), "application/json");
  EXPECT_EQ(host.calls[0].body, R"({"token":"AB11R1"})");
  EXPECT_EQ(header(host.calls[0], "authorization").rfind("Basic ", 0), 0u);
}

// Salesforce answers HTTP 400 invalid_token when asked to revoke an access token that revoking
// its refresh token already took (help.salesforce.com: "Revoke OAuth Tokens").
TEST_F(Quirks, ARevocationAnsweredInvalidTokenCountsAsRevoked) {
  use(kIntuit);
  ASSERT_TRUE(connect({R"({"access_token":"A1","refresh_token":"R1","expires_in":3600})"}).ok());
  script({"{}", R"(HTTP 400 {"error":"invalid_token","error_description":"invalid token"})"});
  auto d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->revoked) << d->revocation_error;
  // Any other refusal is still reported.
  ASSERT_TRUE(connect({R"({"access_token":"A1","refresh_token":"R1","expires_in":3600})"}).ok());
  script({"{}", R"(HTTP 400 {"error":"unsupported_token_type"})"});
  d = host.run(engine->disconnect(ref(), true));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->revoked);
  EXPECT_NE(d->revocation_error.find("HTTP 400"), std::string::npos) << d->revocation_error;
}

// GitHub answers a bad code with HTTP 200 {"error":"bad_verification_code"}
// (docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors).
TEST_F(Quirks, ACodeRefusedInA200IsReportedWithTheProvidersOwnCode) {
  use(testing::kAcmeProvider);
  auto c = connect({R"({"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."})"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::invalid_grant);
  EXPECT_NE(c.error().message.find("bad_verification_code"), std::string::npos) << c.error().message;
}

// Zoom Server-to-Server OAuth: grant_type=account_credentials&account_id=… with Basic client
// authentication (developers.zoom.us/docs/internal-apps/s2s-oauth/).
TEST_F(Quirks, AClientCredentialsGrantUnderTheProvidersOwnGrantType) {
  use(R"({"key": "zoomish", "display_name": "Zoomish", "auth_mode": "client_credentials",
          "authorization_endpoint": null, "token_endpoint": "https://zoom.test/oauth/token",
          "api_base_url": "https://api.zoom.test/v2", "pkce": "unsupported",
          "token_params": {"account_id": "{account_id}"},
          "template_params": {"account_id": {"pattern": "^[A-Za-z0-9_-]{8,64}$", "description": "Account ID"}},
          "client_credentials_grant_type": "account_credentials"})", "client_secret_basic",
      {{"account_id", "AbCdEf123456"}});
  script({R"({"access_token":"zm1","token_type":"bearer","expires_in":3599,"scope":"user:read:admin"})"});
  auto c = host.run(engine->connect_client_credentials({"alice", key, "default"}, {}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(form_value(host.calls[0].body, "grant_type"), "account_credentials");
  EXPECT_EQ(form_value(host.calls[0].body, "account_id"), "AbCdEf123456");
  EXPECT_EQ(header(host.calls[0], "authorization").rfind("Basic ", 0), 0u);
  // Its token is fetched again the same way when it expires.
  host.now_ms += 3600 * 1000;
  script({R"({"access_token":"zm2","token_type":"bearer","expires_in":3599})"});
  auto t = host.run(engine->get_token({"alice", key, c->account}));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "zm2");
  EXPECT_EQ(form_value(host.calls[0].body, "grant_type"), "account_credentials");
}

}  // namespace
}  // namespace latchkey
