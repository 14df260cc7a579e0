// client_id_param: a provider's own name for the client identifier (TikTok's client_key) in every
// request latchkey makes for it: authorization, code exchange, refresh and revocation.
#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::form_fields;
using testing::query_fields;
using testing::respond;

struct ClientIdParam : testing::AcmeTest {
  void SetUp() override {
    AcmeTest::SetUp();
    std::string def = testing::kAcmeProvider;
    const std::string from = R"("token_endpoint_auth_method": "client_secret_basic",)";
    def.replace(def.find(from), from.size(),
                R"("token_endpoint_auth_method": "client_secret_post", "client_id_param": "client_key",)");
    auto p = host.run(engine->update_provider(def));
    ASSERT_TRUE(p.ok()) << p.error().message;
  }
};

TEST_F(ClientIdParam, EveryRequestNamesTheClientAsTheProviderDoes) {
  auto s = start();
  auto consent = query_fields(s.authorization_url);
  EXPECT_EQ(consent["client_key"], "acme-client");
  EXPECT_EQ(consent.count("client_id"), 0u);

  std::vector<HttpRequest> sent;
  host.http = [&](const HttpRequest& req) {
    sent.push_back(req);
    if (req.url == "https://auth.acme.test/revoke") return respond(200, "");
    return respond(200, R"({"access_token": "A", "refresh_token": "R", "expires_in": 3600})");
  };
  auto c = host.run(engine->complete_callback(
      {"alice", "http://127.0.0.1:8765/callback?code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test"}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(host.run(engine->get_token(ref, true)).ok());
  ASSERT_TRUE(host.run(engine->disconnect(ref, true)).ok());
  ASSERT_GE(sent.size(), 3u);
  for (const auto& req : sent) {
    auto body = form_fields(req.body);
    EXPECT_EQ(body["client_key"], "acme-client") << req.url << " " << req.body;
    EXPECT_EQ(body["client_secret"], "acme-secret") << req.url;
    EXPECT_EQ(body.count("client_id"), 0u) << req.url << " " << req.body;
  }
  EXPECT_EQ(form_fields(sent[0].body)["grant_type"], "authorization_code");
  EXPECT_EQ(form_fields(sent[1].body)["grant_type"], "refresh_token");
  EXPECT_EQ(sent.back().url, "https://auth.acme.test/revoke");
}

TEST_F(ClientIdParam, TheRenamedParameterIsLatchkeysOwn) {
  std::string def = testing::kAcmeProvider;
  def.insert(def.rfind('}'), R"(, "client_id_param": "client_key", "authorization_params": {"client_key": "x"})");
  auto p = host.run(engine->update_provider(def));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::invalid_request);
  EXPECT_NE(p.error().message.find("authorization_params.client_key is set by latchkey"), std::string::npos)
      << p.error().message;
  def = testing::kAcmeProvider;
  def.insert(def.rfind('}'), R"(, "client_id_param": "client key")");
  EXPECT_FALSE(host.run(engine->update_provider(def)).ok());
}

}  // namespace
}  // namespace latchkey
