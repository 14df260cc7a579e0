// latchkeyd's API (native/gateway/api.cpp) without a server: handle() on the real native host and
// SQLite store with real API keys. The order of its answers — 401 before 404 or 405 under /v1,
// 405 before the Host check and the role — and the route labels and principals metrics and the
// access log get. Bodies and headers are the literal bytes a client sees (picojson writes "/" as "\/").
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "api.hpp"
#include "host/host.hpp"
#include "key_throttle.hpp"
#include "keys.hpp"
#include "metrics.hpp"

namespace latchkey::gateway {
namespace {

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "(none)";
}

struct GatewayApi : ::testing::Test {
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    native::HostOptions options;
    options.store_path = dir + "/store.db";
    auto h = native::Host::open(options);
    ASSERT_TRUE(h.ok()) << h.error().message;
    host = std::move(*h);
    auto a = create_key(*host, {"alice", "user"});
    ASSERT_TRUE(a.ok());
    alice = a->secret;
    auto r = create_key(*host, {"root", "admin"});
    ASSERT_TRUE(r.ok());
    admin = r->secret;
  }
  void TearDown() override {
    host.reset();
    std::filesystem::remove_all(dir);
  }

  ApiResponse call(const std::string& method, const std::string& target, const std::string& key = "",
                   const std::string& body = "", const std::string& host_header = "127.0.0.1:8787") {
    ApiRequest req;
    req.method = method;
    req.target = target;
    if (!key.empty()) req.authorization = "Bearer " + key;
    req.body = body;
    req.host = host_header;
    req.listen = "127.0.0.1:8787";
    req.client = "127.0.0.1";
    return handle(*host, metrics, throttle, config, req);
  }

  std::string dir;
  std::unique_ptr<native::Host> host;
  Metrics metrics;
  KeyThrottle throttle;
  ApiConfig config;
  std::string alice, admin;
};

TEST_F(GatewayApi, UnderV1TheKeyComesFirst) {
  for (const auto& [method, target] : {std::pair{"GET", "/v1/nothing"}, std::pair{"PATCH", "/v1/providers"},
                                       std::pair{"GET", "/v1/connections"}, std::pair{"PUT", "/v1/providers/x/app"}}) {
    const ApiResponse r = call(method, target);
    EXPECT_EQ(r.status, 401) << method << " " << target;
    EXPECT_EQ(r.body, R"({"error":{"code":"unauthorized","message":"send an API key as 'Authorization: Bearer <key>'"}})");
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
    EXPECT_EQ(r.route, "/v1/*");
    EXPECT_EQ(r.principal, "");
  }
  const ApiResponse bad = call("GET", "/v1/whoami", "lk_not-a-key");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body, R"({"error":{"code":"unauthorized","message":"the API key is not valid"}})");
  EXPECT_EQ(header(bad, "WWW-Authenticate"), "Bearer error=\"invalid_token\"");
  EXPECT_EQ(bad.route, "/v1/*");
}

TEST_F(GatewayApi, NoSuchRouteIs404) {
  ApiResponse r = call("GET", "/v1/nothing", alice);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such route"}})");
  EXPECT_EQ(r.route, "unknown");
  EXPECT_EQ(r.principal, "alice");
  r = call("GET", "/v2/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such route"}})");
  EXPECT_EQ(r.route, "unknown");
  r = call("GET", "/");  // no web root
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "unknown");
}

TEST_F(GatewayApi, AWrongMethodIs405WithAllow) {
  ApiResponse r = call("DELETE", "/v1/providers", alice);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, R"j({"error":{"code":"invalid_request","message":"method not allowed here (allowed: GET, POST)"}})j");
  EXPECT_EQ(header(r, "Allow"), "GET, POST");
  EXPECT_EQ(r.route, "/v1/providers");
  EXPECT_EQ(r.principal, "alice");
  // Before the role: a user key learns the method is wrong, not that it is not an admin.
  r = call("POST", "/v1/providers/gwas/app", alice);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, PUT, DELETE");
  EXPECT_EQ(r.route, "/v1/providers/{key}/app");
  // Before the Host check.
  r = call("POST", "/healthz", "", "", "evil.example:8787");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, R"j({"error":{"code":"invalid_request","message":"method not allowed here (allowed: GET)"}})j");
  EXPECT_EQ(header(r, "Allow"), "GET");
  EXPECT_EQ(r.route, "/healthz");
  // Allow names every method the path takes: "discover" is a {key} too (before the route table,
  // this answer left out discover's POST).
  r = call("PATCH", "/v1/providers/discover", alice);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, PUT, DELETE, POST");
  EXPECT_EQ(r.route, "/v1/providers/{key}");
  r = call("HEAD", "/v1/connections/gh/alice/token", alice);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "POST");
  EXPECT_EQ(r.route, "/v1/connections/{id}/token");
}

TEST_F(GatewayApi, HealthzAndTheHostCheck) {
  ApiResponse r = call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ok":true})");
  EXPECT_EQ(r.route, "/healthz");
  r = call("GET", "/healthz", "", "", "attacker.example:8787");
  EXPECT_EQ(r.status, 421);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"invalid_request","message":"the Host header does not name this gateway; use its address, http:\/\/127.0.0.1:8787"}})");
  EXPECT_EQ(r.route, "/healthz");
  r = call("GET", "/metrics", "", "", "attacker.example:8787");
  EXPECT_EQ(r.status, 421);
  EXPECT_EQ(r.route, "/metrics");
  // The callback is reached by the browser under whatever name the user typed: no Host check.
  r = call("GET", "/oauth/callback?error=access_denied", "", "", "attacker.example:8787");
  EXPECT_NE(r.status, 421);
  EXPECT_EQ(r.route, "/oauth/callback");
}

TEST_F(GatewayApi, AdminRoutesRefuseUserKeysWithWhatTheyNeed) {
  const std::pair<const char*, const char*> cases[][2] = {
      {{"POST", "/v1/providers"}, {"registering providers needs an admin key", "/v1/providers"}},
      {{"POST", "/v1/providers/discover"}, {"registering providers needs an admin key", "/v1/providers/discover"}},
      {{"PUT", "/v1/providers/acme"}, {"changing providers needs an admin key", "/v1/providers/{key}"}},
      {{"DELETE", "/v1/providers/acme"}, {"changing providers needs an admin key", "/v1/providers/{key}"}},
      {{"PUT", "/v1/providers/github/app"}, {"changing app credentials needs an admin key", "/v1/providers/{key}/app"}},
      {{"DELETE", "/v1/providers/github/app"},
       {"changing app credentials needs an admin key", "/v1/providers/{key}/app"}},
  };
  for (const auto& c : cases) {
    const ApiResponse r = call(c[0].first, c[0].second, alice, "{}");
    EXPECT_EQ(r.status, 403) << c[0].first << " " << c[0].second;
    EXPECT_EQ(r.body, std::string(R"({"error":{"code":"forbidden","message":")") + c[1].first + "\"}}");
    EXPECT_EQ(r.route, c[1].second);
    EXPECT_EQ(r.principal, "alice");
  }
  // An admin key gets past the role to the handler's own checks.
  const ApiResponse r = call("PUT", "/v1/providers/github/app", admin, R"({"client_id": 5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_request","message":"client_id (a string) is required"}})");
  EXPECT_EQ(r.principal, "root");
}

TEST_F(GatewayApi, MetricsWithAKeyRequired) {
  config.metrics_key_required = true;
  ApiResponse r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.route, "/metrics");
  r = call("GET", "/metrics", alice);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, R"({"error":{"code":"forbidden","message":"reading \/metrics needs an admin key"}})");
  EXPECT_EQ(r.principal, "alice");
  r = call("GET", "/metrics", admin);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(r.principal, "root");
}

TEST_F(GatewayApi, KeyedRoutesReachTheirHandlers) {
  ApiResponse r = call("GET", "/v1/whoami", alice);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("principal":"alice","role":"user","session":false})"), std::string::npos) << r.body;
  EXPECT_EQ(r.route, "/v1/whoami");
  r = call("GET", "/v1/connections", alice);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(r.route, "/v1/connections");
  // The captures reach the core: no such connection for alice.
  r = call("GET", "/v1/connections/github/al%20ice", alice);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "/v1/connections/{id}");
  EXPECT_EQ(r.error_code, "not_found");
  r = call("GET", "/v1/providers/no-such-provider", alice);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.route, "/v1/providers/{key}");
  r = call("GET", "/v1/providers/github", alice);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("key":"github")"), std::string::npos) << r.body;
  r = call("POST", "/v1/providers/github/device/poll", alice, "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_request","message":"handle (a string) is required"}})");
  EXPECT_EQ(r.route, "/v1/providers/{key}/device/poll");
}

TEST_F(GatewayApi, AMalformedTargetIs400) {
  for (const char* target : {"/v1//whoami", "/v1/%zz", "v1/whoami", ""}) {
    const ApiResponse r = call("GET", target, alice);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.body, R"({"error":{"code":"invalid_request","message":"the request path is malformed"}})");
    EXPECT_EQ(r.route, "unknown");
  }
}

}  // namespace
}  // namespace latchkey::gateway
