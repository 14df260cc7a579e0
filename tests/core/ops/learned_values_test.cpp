// Template values learned at connect time (template_params.*.from): from the token answer, the
// callback's query and a metadata request; checked by their pattern, stored on the connection,
// and used for the API base URL and the hosts a token may go to.
#include <gtest/gtest.h>

#include "headers.hpp"
#include "records.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using StringMap = std::map<std::string, std::string>;
using testing::FakeHost;
using testing::respond;

// Salesforce-like: the API host is the token answer's instance_url.
constexpr const char* kInstance = R"({
  "key": "sf", "display_name": "SF",
  "authorization_endpoint": "https://login.sf.test/authorize",
  "token_endpoint": "https://login.sf.test/token",
  "api_base_url": "https://{instance}/services/data",
  "template_params": {"instance": {"pattern": "^[a-z0-9-]+\\.my\\.sf\\.test$", "description": "The org's host",
                                   "from": "token_response.instance_url", "take": "host"}},
  "injection": {"hosts": ["https://{instance}"]}
})";

// QuickBooks-like: the company id comes in the callback's query.
constexpr const char* kRealm = R"({
  "key": "qb", "display_name": "QB",
  "authorization_endpoint": "https://auth.qb.test/authorize",
  "token_endpoint": "https://auth.qb.test/token",
  "api_base_url": "https://api.qb.test/v3/company/{realm}",
  "template_params": {"realm": {"pattern": "^[0-9]{1,20}$", "description": "The company id", "from": "callback.realmId"}},
  "injection": {"hosts": ["https://api.qb.test"]}
})";

// Zoho-like: the accounts server (callback, with a default) takes the code; the API domain comes
// from the token answer, either of two members.
constexpr const char* kZoho = R"({
  "key": "zo", "display_name": "ZO",
  "authorization_endpoint": "https://accounts.zo.test/oauth/v2/auth",
  "token_endpoint": "https://{accounts}/oauth/v2/token",
  "api_base_url": "https://{api}",
  "template_params": {
    "accounts": {"pattern": "^accounts\\.zo\\.(test|eu)$", "default": "accounts.zo.test", "description": "Accounts server",
                 "from": "callback.accounts-server", "take": "host"},
    "api": {"pattern": "^www\\.zoapis\\.(test|eu)$", "description": "API domain",
            "from": "token_response.api_domain || token_response.api.domain", "take": "host"}},
  "injection": {"hosts": ["https://{api}"]}
})";

// Mailchimp-like: the data centre comes from a metadata request made with the new token.
constexpr const char* kMetadata = R"({
  "key": "mc", "display_name": "MC",
  "authorization_endpoint": "https://login.mc.test/oauth2/authorize",
  "token_endpoint": "https://login.mc.test/oauth2/token",
  "api_base_url": "https://{dc}.api.mc.test/3.0",
  "metadata": {"url": "https://login.mc.test/oauth2/metadata", "headers": {}},
  "template_params": {"dc": {"pattern": "^[a-z]{2}[0-9]{1,3}$", "description": "Data centre", "from": "metadata.dc"}},
  "injection": {"hosts": ["https://login.mc.test", "https://{dc}.api.mc.test"], "header": "Authorization", "prefix": "OAuth "}
})";

struct Learned : ::testing::Test {
  void use(const char* definition) {
    engine = testing::make_engine();
    auto p = host.run(engine->register_provider(definition));
    ASSERT_TRUE(p.ok()) << p.error().message;
    key = p->provider.key;
    auto a = host.run(engine->upsert_app(testing::app_input(key, "cid", "secret", "http://127.0.0.1:8765/callback")));
    ASSERT_TRUE(a.ok()) << a.error().message;
  }
  std::string start(StringMap values = {}) {
    AuthorizeRequest r;
    r.principal = "alice";
    r.provider = key;
    r.template_values = std::move(values);
    auto s = host.run(engine->authorize(r));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? s->state : "";
  }
  /// Starts, answers the token request with `answer`, completes with `extra` in the query.
  Result<ConnectionInfo> connect(const std::string& answer, const std::string& extra = "") {
    std::string state = start();
    host.http = [answer](const HttpRequest&) { return respond(200, answer); };
    return host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=c&state=" + state + extra}));
  }
  Result<HttpRequest> sign(const std::string& url) {
    HttpRequest req;
    req.url = url;
    return host.run(engine->sign_request({"alice", key, "default"}, req));
  }
  std::size_t connections() {
    std::size_t n = 0;
    for (const auto& [k, v] : host.store.records) n += k.rfind(detail::connection_prefix("alice"), 0) == 0;
    return n;
  }
  StringMap stored_values() {
    auto r = detail::connection_from_json(host.store.records.at(detail::connection_key({"alice", key, "default"})).value);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->template_values : StringMap{};
  }

  FakeHost host;
  std::unique_ptr<Engine> engine;
  std::string key;
};

TEST_F(Learned, TheTokenAnswersInstanceUrlIsTheApiHostAndTheOnlyHostTheTokenGoesTo) {
  use(kInstance);
  auto c = connect(R"({"access_token": "A1", "instance_url": "https://na1.my.sf.test", "token_type": "Bearer"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(stored_values(), (StringMap{{"instance", "na1.my.sf.test"}}));
  auto s = sign("/sobjects");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://na1.my.sf.test/services/data/sobjects");
  EXPECT_EQ(*detail::find_header(s->headers, "authorization"), "Bearer A1");
  // Another org's host is not where this token goes.
  auto other = sign("https://na2.my.sf.test/services/data/sobjects");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::invalid_request);
}

TEST_F(Learned, AHostileInstanceUrlFailsTheConnectAndStoresNothing) {
  use(kInstance);
  for (const char* hostile : {"https://evil.test", "https://na1.my.sf.test.evil.test", "https://na1.my.sf.test/x",
                              "http://na1.my.sf.test", "https://na1.my.sf.test?x=1", "na1.my.sf.test"}) {
    auto c = connect(std::string(R"({"access_token": "A1", "instance_url": ")") + hostile + "\"}");
    ASSERT_FALSE(c.ok()) << hostile;
    EXPECT_EQ(c.error().code, ErrorCode::malformed_response) << hostile;
    EXPECT_NE(c.error().message.find("instance"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("nothing was stored"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("A1"), std::string::npos) << c.error().message;
    EXPECT_EQ(connections(), 0u) << hostile;
  }
}

TEST_F(Learned, AMissingValueWithoutDefaultFailsTheConnect) {
  use(kInstance);
  auto c = connect(R"({"access_token": "A1"})");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::malformed_response);
  EXPECT_NE(c.error().message.find("token_response.instance_url"), std::string::npos) << c.error().message;
  EXPECT_EQ(connections(), 0u);
}

TEST_F(Learned, ALearnedValueIsNeverGivenByWhoeverStartsTheConnect) {
  use(kInstance);
  AuthorizeRequest r;
  r.principal = "alice";
  r.provider = key;
  r.template_values = {{"instance", "evil.my.sf.test"}};
  auto s = host.run(engine->authorize(r));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
  EXPECT_NE(s.error().message.find("learned"), std::string::npos) << s.error().message;
}

TEST_F(Learned, TheCallbacksRealmIdIsKeptAndUsedInTheApiBase) {
  use(kRealm);
  auto c = connect(R"({"access_token": "A1", "refresh_token": "R1", "expires_in": 3600})", "&realmId=4620816365");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(stored_values(), (StringMap{{"realm", "4620816365"}}));
  auto s = sign("/query");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://api.qb.test/v3/company/4620816365/query");
}

TEST_F(Learned, ACallbackValueGivenTwiceOrOffPatternIsRefused) {
  use(kRealm);
  auto twice = connect(R"({"access_token": "A1"})", "&realmId=1&realmId=2");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::malformed_response);
  auto path = connect(R"({"access_token": "A1"})", "&realmId=1%2F..%2F2");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(connections(), 0u);
}

TEST_F(Learned, TheCallbacksAccountsServerTakesTheCodeAndAFallbackNamesTheApi) {
  use(kZoho);
  std::string state = start();
  std::vector<std::string> urls;
  host.http = [&](const HttpRequest& req) {
    urls.push_back(req.url);
    return respond(200, R"({"access_token": "A1", "api": {"domain": "https://www.zoapis.eu"}})");
  };
  auto c = host.run(engine->complete_callback(
      {"alice", "http://127.0.0.1:8765/callback?code=c&state=" + state + "&accounts-server=https%3A%2F%2Faccounts.zo.eu"}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(urls, (std::vector<std::string>{"https://accounts.zo.eu/oauth/v2/token"}));
  EXPECT_EQ(stored_values(), (StringMap{{"accounts", "accounts.zo.eu"}, {"api", "www.zoapis.eu"}}));
  auto s = sign("/crm/v2/Leads");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://www.zoapis.eu/crm/v2/Leads");
}

TEST_F(Learned, WithoutTheCallbackValueTheDefaultTakesTheCode) {
  use(kZoho);
  std::string state = start();
  std::vector<std::string> urls;
  host.http = [&](const HttpRequest& req) {
    urls.push_back(req.url);
    return respond(200, R"({"access_token": "A1", "api_domain": "https://www.zoapis.test"})");
  };
  auto c = host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=c&state=" + state}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(urls, (std::vector<std::string>{"https://accounts.zo.test/oauth/v2/token"}));
  EXPECT_EQ(stored_values(), (StringMap{{"accounts", "accounts.zo.test"}, {"api", "www.zoapis.test"}}));
}

TEST_F(Learned, TheMetadataRequestNamesTheDataCentre) {
  use(kMetadata);
  std::string state = start();
  std::vector<HttpRequest> calls;
  host.http = [&](const HttpRequest& req) {
    calls.push_back(req);
    if (req.url == "https://login.mc.test/oauth2/metadata") return respond(200, R"({"dc": "us6", "login": {}})");
    return respond(200, R"({"access_token": "A1"})");
  };
  auto c = host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=c&state=" + state}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].url, "https://login.mc.test/oauth2/metadata");
  EXPECT_EQ(*detail::find_header(calls[1].headers, "authorization"), "OAuth A1");
  EXPECT_EQ(stored_values(), (StringMap{{"dc", "us6"}}));
  auto s = sign("/ping");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://us6.api.mc.test/3.0/ping");
}

TEST_F(Learned, AFailedMetadataRequestFailsTheConnect) {
  use(kMetadata);
  std::string state = start();
  host.http = [&](const HttpRequest& req) {
    if (req.url == "https://login.mc.test/oauth2/metadata") return respond(401, R"({"error": "invalid_token"})");
    return respond(200, R"({"access_token": "A1"})");
  };
  auto c = host.run(engine->complete_callback({"alice", "http://127.0.0.1:8765/callback?code=c&state=" + state}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::provider_error);
  EXPECT_EQ(connections(), 0u);
}

}  // namespace
}  // namespace latchkey
