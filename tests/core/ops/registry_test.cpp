// Custom providers, discovery, modes and app credentials through the engine.
#include <gtest/gtest.h>

#include "latchkey/json_forms.hpp"
#include "support/fixtures.hpp"

namespace latchkey {
namespace {

using testing::AcmeTest;
using testing::respond;

struct Registry : AcmeTest {};

TEST_F(Registry, ListMergesCatalogAndCustomProviders) {
  auto all = host.run(engine->list_providers({}));
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->size(), 51u);
  auto acme = std::find_if(all->begin(), all->end(), [](const auto& p) { return p.provider.key == "acme"; });
  ASSERT_NE(acme, all->end());
  EXPECT_FALSE(acme->provider.builtin);
  EXPECT_TRUE(acme->has_app);
  auto filtered = host.run(engine->list_providers({{"GIT", "acme"}, false}));
  ASSERT_TRUE(filtered.ok());
  std::vector<std::string> keys;
  for (const auto& p : *filtered) keys.push_back(p.provider.key);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "github"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "gitlab"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "acme"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "google"), keys.end());
  auto managed = host.run(engine->list_providers({{}, true}));
  ASSERT_TRUE(managed.ok());
  EXPECT_TRUE(managed->empty());  // no built-in has a managed app configured
}

TEST_F(Registry, DuplicateAndBuiltinKeysAreRefused) {
  auto again = host.run(engine->register_provider(testing::kAcmeProvider));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  std::string github = testing::kAcmeProvider;
  github.replace(github.find("\"acme\""), 6, "\"github\"");
  auto builtin = host.run(engine->register_provider(github));
  ASSERT_FALSE(builtin.ok());
  EXPECT_EQ(builtin.error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(host.run(engine->remove_provider("github", true)).ok());
}

// `providers get --json` (json_form) goes back in as it is; an update names only what changes.
TEST_F(Registry, GetsJsonFormRoundTripsAndAnUpdateChangesOnlyWhatItNames) {
  auto got = host.run(engine->get_provider("acme"));
  ASSERT_TRUE(got.ok());
  const std::string form = json_form(*got).serialize();
  ASSERT_NE(form.find("\"has_app\":true"), std::string::npos) << form;  // what get adds is in it
  auto same = host.run(engine->update_provider(form));
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(provider_to_json(same->provider), provider_to_json(got->provider));

  auto renamed = host.run(engine->update_provider(R"({"key": "acme", "display_name": "Acme Two"})"));
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  EXPECT_EQ(renamed->provider.display_name, "Acme Two");
  EXPECT_EQ(renamed->provider.token_endpoint, "https://auth.acme.test/token");
  EXPECT_EQ(renamed->provider.default_scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(renamed->provider.pkce, PkceSupport::required);
  auto again = host.run(engine->get_provider("acme"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->provider.display_name, "Acme Two");

  // A member given as null is removed; an unknown one is still an error, and nothing changes.
  auto cleared = host.run(engine->update_provider(R"({"key": "acme", "revocation_endpoint": null})"));
  ASSERT_TRUE(cleared.ok()) << cleared.error().message;
  EXPECT_TRUE(cleared->provider.revocation_endpoint.empty());
  auto bad = host.run(engine->update_provider(R"({"key": "acme", "display_nam": "typo"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_request);
  EXPECT_NE(bad.error().message.find("display_nam"), std::string::npos) << bad.error().message;
  auto unbroken = host.run(engine->update_provider(R"({"key": "acme", "token_endpoint": "http://evil.example/token"})"));
  ASSERT_FALSE(unbroken.ok());
  EXPECT_EQ(host.run(engine->get_provider("acme"))->provider.token_endpoint, "https://auth.acme.test/token");

  // The same form registers a copy under another key.
  std::string copy = form;
  copy.replace(copy.find("\"key\":\"acme\""), 12, "\"key\":\"acme2\"");
  auto registered = host.run(engine->register_provider(copy));
  ASSERT_TRUE(registered.ok()) << registered.error().message;
  EXPECT_EQ(registered->provider.token_endpoint, "https://auth.acme.test/token");
}

TEST_F(Registry, InvalidDefinitionIsRefusedAndNothingStored) {
  auto before = host.store.records.size();
  std::string http = testing::kAcmeProvider;
  http.replace(http.find("https://auth.acme.test/token"), 28, "http://auth.acme.test/token");
  std::string def = http;
  def.replace(def.find("\"acme\""), 6, "\"acme-two\"");
  auto r = host.run(engine->register_provider(def));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("token_endpoint"), std::string::npos);
  EXPECT_EQ(host.store.records.size(), before);
}

TEST_F(Registry, RemoveNeedsForceWhileConnectionsExist) {
  connect();
  auto r = host.run(engine->remove_provider("acme", false));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_NE(r.error().message.find("--force"), std::string::npos);
  auto forced = host.run(engine->remove_provider("acme", true));
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->connections_removed, 1);
  EXPECT_EQ(host.run(engine->get_provider("acme")).error().code, ErrorCode::not_found);
  EXPECT_EQ(host.run(engine->get_app("acme")).error().code, ErrorCode::not_found);
}

TEST_F(Registry, AppSecretIsWriteOnly) {
  auto app = host.run(engine->get_app("acme"));
  ASSERT_TRUE(app.ok());
  EXPECT_TRUE(app->has_client_secret);
  // Updating without a secret keeps it; an empty one clears it.
  AppInput keep;
  keep.provider = "acme";
  keep.client_id = "new-id";
  EXPECT_TRUE(host.run(engine->upsert_app(keep))->has_client_secret);
  keep.client_secret = "";
  EXPECT_FALSE(host.run(engine->upsert_app(keep))->has_client_secret);
}

TEST_F(Registry, AppTemplateValuesAreValidated) {
  AppInput app = testing::app_input("microsoft", "id", "", "");
  app.template_values = {{"tenant", "evil.com/x"}};
  auto r = host.run(engine->upsert_app(app));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

TEST_F(Registry, ManagedModeNeedsAManagedApp) {
  auto r = host.run(engine->set_mode("github", Mode::managed));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  auto own = host.run(engine->set_mode("github", Mode::your_own));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->mode, Mode::your_own);
}

TEST_F(Registry, DiscoveryRegistersFromOpenIdConfiguration) {
  host.http = [](const HttpRequest& req) {
    if (req.url == "https://id.example.test/.well-known/openid-configuration") {
      return respond(200, R"({
        "issuer": "https://id.example.test",
        "authorization_endpoint": "https://id.example.test/auth",
        "token_endpoint": "https://id.example.test/token",
        "revocation_endpoint": "https://id.example.test/revoke",
        "scopes_supported": ["openid", "email"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "authorization_response_iss_parameter_supported": true
      })");
    }
    return respond(404, "");
  };
  auto p = host.run(engine->discover_provider("example-id", "https://id.example.test"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->provider.token_endpoint, "https://id.example.test/token");
  EXPECT_EQ(p->provider.issuer, "https://id.example.test");
  EXPECT_TRUE(p->provider.authorization_response_iss_parameter_supported);
  EXPECT_EQ(p->provider.token_endpoint_auth_method, ClientAuthMethod::client_secret_basic);
  EXPECT_TRUE(host.run(engine->get_provider("example-id")).ok());
}

TEST_F(Registry, DiscoveryFallsBackToRfc8414AndChecksTheIssuer) {
  host.http = [](const HttpRequest& req) {
    if (req.url == "https://as.example.test/.well-known/oauth-authorization-server/tenant1") {
      return respond(200, R"({"issuer": "https://as.example.test/tenant1/",
        "authorization_endpoint": "https://as.example.test/a", "token_endpoint": "https://as.example.test/t"})");
    }
    return respond(404, "");
  };
  auto p = host.run(engine->discover_provider("as", "https://as.example.test/tenant1"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::invalid_request);  // issuer has a trailing slash: not identical
  EXPECT_EQ(host.calls.size(), 2u);
  EXPECT_EQ(host.run(engine->get_provider("as")).error().code, ErrorCode::not_found);
}

TEST_F(Registry, DiscoveryRefusesPlainHttpIssuers) {
  auto p = host.run(engine->discover_provider("x2", "http://id.example.test"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::invalid_request);
  EXPECT_TRUE(host.calls.empty());
}

}  // namespace
}  // namespace latchkey
