// Shared set-up for operation tests: a custom provider "acme" with an app, on a FakeHost.
#pragma once

#include <gtest/gtest.h>

#include "records.hpp"
#include "support/fake_host.hpp"

namespace latchkey::testing {

constexpr const char* kAcmeProvider = R"({
  "key": "acme",
  "display_name": "Acme",
  "authorization_endpoint": "https://auth.acme.test/authorize",
  "token_endpoint": "https://auth.acme.test/token",
  "revocation_endpoint": "https://auth.acme.test/revoke",
  "issuer": "https://auth.acme.test",
  "api_base_url": "https://api.acme.test",
  "default_scopes": ["read"],
  "pkce": "required",
  "token_endpoint_auth_method": "client_secret_basic",
  "injection": {"hosts": ["api.acme.test", "*.files.acme.test"], "header": "Authorization", "prefix": "Bearer ", "query_param": null}
})";

struct AcmeTest : ::testing::Test {
  void SetUp() override {
    engine = make_engine();
    auto p = host.run(engine->register_provider(kAcmeProvider));
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto a =
        host.run(engine->upsert_app(app_input("acme", "acme-client", "acme-secret", "http://127.0.0.1:8765/callback")));
    ASSERT_TRUE(a.ok()) << a.error().message;
  }

  /// Starts an authorization as `principal`; returns its state.
  AuthorizationStart start(const std::string& principal = "alice", const std::string& account = "default") {
    AuthorizeRequest r;
    r.principal = principal;
    r.provider = "acme";
    r.account = account;
    auto s = host.run(engine->authorize(r));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? *s : AuthorizationStart{};
  }

  /// A token endpoint that issues `access`/`refresh` and records what it was sent.
  void token_endpoint(const std::string& access, const std::string& refresh, int expires_in = 3600) {
    host.http = [access, refresh, expires_in](const HttpRequest&) {
      std::string body = "{\"access_token\":\"" + access + "\",\"token_type\":\"Bearer\",\"expires_in\":" +
                         std::to_string(expires_in) + (refresh.empty() ? "" : ",\"refresh_token\":\"" + refresh + "\"") +
                         ",\"scope\":\"read\"}";
      return respond(200, body);
    };
  }

  /// Connects alice's default account with tokens A1/R1.
  ConnectionInfo connect(const std::string& principal = "alice", const std::string& account = "default") {
    auto s = start(principal, account);
    token_endpoint("A1", "R1");
    auto c = host.run(engine->complete_callback(
        {principal, "http://127.0.0.1:8765/callback?code=abc&state=" + s.state + "&iss=https%3A%2F%2Fauth.acme.test"}));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? *c : ConnectionInfo{};
  }

  /// `ref`'s connection record as stored (empty, the test failed, when it does not parse).
  detail::ConnectionRecord record() {
    auto r = detail::connection_from_json(host.store.records.at(detail::connection_key(ref)).value);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : detail::ConnectionRecord{};
  }

  FakeHost host;
  std::unique_ptr<Engine> engine;
  ConnectionRef ref{"alice", "acme", "default"};  ///< The connection connect() makes.
};

}  // namespace latchkey::testing
