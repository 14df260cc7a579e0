// latchkeyd's route table (native/gateway/route_table.cpp) and its matcher (routes.cpp): which
// route a method and path reach, their captures, 404 and 405 with Allow, and the table's own
// rules. Paths go through split_target first, as handle() does, so percent-decoding, trailing
// slashes and dot segments are as the gateway treats them. Expected values are literals.
#include <gtest/gtest.h>

#include <set>

#include "routes.hpp"
#include "target.hpp"

namespace latchkey::gateway {
namespace {

ApiConfig no_files() { return ApiConfig{}; }
ApiConfig with_files() {
  ApiConfig c;
  c.web_root = "/srv/www";
  return c;
}

RouteMatch match(const std::string& method, const std::string& target, const ApiConfig& config = no_files()) {
  Target t;
  EXPECT_TRUE(split_target(target, &t)) << target;
  return match_route(api_routes(), config, method, t.segments);
}

std::string label(const RouteMatch& m) { return m.route ? m.route->label : "(none)"; }

using Captures = std::vector<std::pair<std::string, std::string>>;

TEST(Routes, EachRouteResolvesWithItsCaptures) {
  struct Case {
    const char* method;
    const char* target;
    const char* label;
    Captures captures;
  };
  const Case cases[] = {
      {"GET", "/healthz", "/healthz", {}},
      {"GET", "/metrics", "/metrics", {}},
      {"GET", "/oauth/callback?code=c&state=s", "/oauth/callback", {}},
      {"GET", "/v1/whoami", "/v1/whoami", {}},
      {"GET", "/v1/providers", "/v1/providers", {}},
      {"POST", "/v1/providers", "/v1/providers", {}},
      {"GET", "/v1/providers/github", "/v1/providers/{key}", {{"key", "github"}}},
      {"PUT", "/v1/providers/acme", "/v1/providers/{key}", {{"key", "acme"}}},
      {"DELETE", "/v1/providers/acme?force=true", "/v1/providers/{key}", {{"key", "acme"}}},
      {"POST", "/v1/providers/discover", "/v1/providers/discover", {}},
      // A provider named "discover" keeps the {key} routes for every other method.
      {"GET", "/v1/providers/discover", "/v1/providers/{key}", {{"key", "discover"}}},
      {"DELETE", "/v1/providers/discover", "/v1/providers/{key}", {{"key", "discover"}}},
      {"GET", "/v1/providers/github/app", "/v1/providers/{key}/app", {{"key", "github"}}},
      {"PUT", "/v1/providers/github/app", "/v1/providers/{key}/app", {{"key", "github"}}},
      {"DELETE", "/v1/providers/github/app", "/v1/providers/{key}/app", {{"key", "github"}}},
      {"GET", "/v1/providers/gh/authorize?scopes=a,b", "/v1/providers/{key}/authorize", {{"key", "gh"}}},
      {"POST", "/v1/providers/gh/connect", "/v1/providers/{key}/connect", {{"key", "gh"}}},
      {"POST", "/v1/providers/gh/device", "/v1/providers/{key}/device", {{"key", "gh"}}},
      {"POST", "/v1/providers/gh/device/poll", "/v1/providers/{key}/device/poll", {{"key", "gh"}}},
      {"POST", "/v1/oauth/exchange", "/v1/oauth/exchange", {}},
      {"GET", "/v1/connections", "/v1/connections", {}},
      {"GET", "/v1/connections/gh/alice", "/v1/connections/{id}", {{"provider", "gh"}, {"account", "alice"}}},
      {"DELETE", "/v1/connections/gh/alice?revoke=true", "/v1/connections/{id}",
       {{"provider", "gh"}, {"account", "alice"}}},
      {"POST", "/v1/connections/gh/alice/token", "/v1/connections/{id}/token",
       {{"provider", "gh"}, {"account", "alice"}}},
      {"POST", "/v1/connections/gh/alice/ping", "/v1/connections/{id}/ping",
       {{"provider", "gh"}, {"account", "alice"}}},
      // An account named "token" is a connection, not its token route.
      {"GET", "/v1/connections/gh/token", "/v1/connections/{id}", {{"provider", "gh"}, {"account", "token"}}},
      // The proxy takes any method and any rest, also none.
      {"GET", "/v1/proxy/gh/user/repos?page=2", "/v1/proxy/{provider}/*", {{"provider", "gh"}}},
      {"PATCH", "/v1/proxy/gh/a/b/c", "/v1/proxy/{provider}/*", {{"provider", "gh"}}},
      {"OPTIONS", "/v1/proxy/mcp", "/v1/proxy/{provider}/*", {{"provider", "mcp"}}},
  };
  for (const auto& c : cases) {
    const RouteMatch m = match(c.method, c.target);
    ASSERT_NE(m.route, nullptr) << c.method << " " << c.target;
    EXPECT_EQ(std::string(m.route->label), c.label) << c.method << " " << c.target;
    EXPECT_EQ(m.captures, c.captures) << c.method << " " << c.target;
    EXPECT_TRUE(m.allow.empty()) << c.target;
    EXPECT_EQ(m.keyed, std::string(c.target).rfind("/v1/", 0) == 0) << c.target;
  }
}

TEST(Routes, NoRouteIsShadowedByAnEarlierOne) {
  // Each route's own pattern, with its captures filled in, reaches that very route.
  for (const Route& r : api_routes()) {
    std::string path, pattern = r.pattern;
    for (std::size_t at = 1; at <= pattern.size();) {
      auto slash = pattern.find('/', at);
      std::string part = pattern.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
      path += "/" + (part == "*" ? std::string("files/x.js") : part.front() == '{' ? "v-" + part.substr(1, part.size() - 2)
                                                                                    : part);
      if (slash == std::string::npos) break;
      at = slash + 1;
    }
    const std::string method = std::string(r.method) == "*" ? "PATCH" : r.method;
    const RouteMatch m = match(method, path, with_files());
    EXPECT_EQ(m.route, &r) << method << " " << path << " reached " << label(m);
  }
}

TEST(Routes, PercentEncodedSegmentsAreMatchedDecoded) {
  // Captures are decoded: an encoded slash stays inside its segment.
  auto m = match("GET", "/v1/providers/a%2Fb/app");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/v1/providers/{key}/app");
  EXPECT_EQ(m.capture("key"), "a/b");
  m = match("POST", "/v1/connections/git%20hub/al%40ice/token");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.capture("provider"), "git hub");
  EXPECT_EQ(m.capture("account"), "al@ice");
  // Literal segments are compared decoded too, as the gateway always has.
  m = match("GET", "/v1/provider%73");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/v1/providers");
  m = match("GET", "/%68ealthz");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/healthz");
  EXPECT_EQ(m.capture("nothing"), "");
}

TEST(Routes, TrailingSlashesAndDotSegmentsAsSplitTargetLeavesThem) {
  // One trailing slash is dropped; an empty segment elsewhere is a malformed target (400).
  auto m = match("GET", "/healthz/");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/healthz");
  m = match("GET", "/v1/providers/");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/v1/providers");
  Target t;
  EXPECT_FALSE(split_target("//healthz", &t));
  EXPECT_FALSE(split_target("/v1/providers//app", &t));
  EXPECT_FALSE(split_target("/v1/providers/%zz", &t));
  EXPECT_FALSE(split_target("healthz", &t));
  // Dot segments are not resolved: ".." is a segment like any other.
  m = match("GET", "/v1/providers/..");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/v1/providers/{key}");
  EXPECT_EQ(m.capture("key"), "..");
  m = match("GET", "/v1/../healthz");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.path_route, nullptr);
  EXPECT_TRUE(m.keyed);
}

TEST(Routes, AWrongMethodIs405WithTheMethodsThePathTakes) {
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
    const char* label;
    bool keyed;
  };
  const Case cases[] = {
      {"POST", "/healthz", "GET", "/healthz", false},
      {"HEAD", "/metrics", "GET", "/metrics", false},
      {"POST", "/oauth/callback", "GET", "/oauth/callback", false},
      {"HEAD", "/v1/whoami", "GET", "/v1/whoami", true},
      {"DELETE", "/v1/providers", "GET, POST", "/v1/providers", true},
      {"POST", "/v1/providers/github", "GET, PUT, DELETE", "/v1/providers/{key}", true},
      {"POST", "/v1/providers/gwas/app", "GET, PUT, DELETE", "/v1/providers/{key}/app", true},
      {"POST", "/v1/providers/gh/authorize", "GET", "/v1/providers/{key}/authorize", true},
      {"GET", "/v1/providers/gh/connect", "POST", "/v1/providers/{key}/connect", true},
      {"GET", "/v1/providers/devas/device", "POST", "/v1/providers/{key}/device", true},
      {"GET", "/v1/providers/devas/device/poll", "POST", "/v1/providers/{key}/device/poll", true},
      {"GET", "/v1/oauth/exchange", "POST", "/v1/oauth/exchange", true},
      {"POST", "/v1/connections", "GET", "/v1/connections", true},
      {"PUT", "/v1/connections/gh/alice", "GET, DELETE", "/v1/connections/{id}", true},
      {"GET", "/v1/connections/gh/alice/token", "POST", "/v1/connections/{id}/token", true},
      {"GET", "/v1/connections/gh/alice/ping", "POST", "/v1/connections/{id}/ping", true},
      // "discover" is also a {key}: the path takes the {key} methods and discover's POST.
      {"PATCH", "/v1/providers/discover", "GET, PUT, DELETE, POST", "/v1/providers/{key}", true},
  };
  for (const auto& c : cases) {
    const RouteMatch m = match(c.method, c.target);
    EXPECT_EQ(m.route, nullptr) << c.method << " " << c.target;
    ASSERT_NE(m.path_route, nullptr) << c.method << " " << c.target;
    EXPECT_EQ(m.allow, c.allow) << c.method << " " << c.target;
    EXPECT_EQ(std::string(m.path_route->label), c.label) << c.target;
    EXPECT_EQ(m.keyed, c.keyed) << c.target;
  }
}

TEST(Routes, UnknownPathsAre404AndKeyedUnderV1) {
  for (const char* target : {"/v1", "/v1/nothing", "/v1/proxy", "/v1/providers/gh/unknown", "/v1/providers/gh/device/x",
                             "/v1/connections/gh", "/v1/connections/gh/alice/other", "/v1/oauth"}) {
    const RouteMatch m = match("GET", target);
    EXPECT_EQ(m.route, nullptr) << target;
    EXPECT_EQ(m.path_route, nullptr) << target;
    EXPECT_EQ(m.allow, "") << target;
    EXPECT_TRUE(m.keyed) << target << ": a caller without a key gets 401 before 404";
  }
  for (const char* target : {"/", "/v2/nothing", "/index.html", "/healthz/x", "/metrics/x", "/oauth/x", "/oauth"}) {
    const RouteMatch m = match("GET", target);
    EXPECT_EQ(m.path_route, nullptr) << target;
    EXPECT_FALSE(m.keyed) << target;
  }
}

TEST(Routes, TheWebRootTakesWhatTheApiDoesNotWhenSet) {
  auto m = match("GET", "/", with_files());
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/*");
  EXPECT_FALSE(m.keyed);
  for (const char* target : {"/index.html", "/sub/app.js", "/v2/nothing", "/whoami", "/healthzz"}) {
    m = match("HEAD", target, with_files());
    ASSERT_TRUE(m.route) << target;
    EXPECT_EQ(std::string(m.route->label), "/*") << target;
  }
  m = match("POST", "/index.html", with_files());
  EXPECT_EQ(m.route, nullptr);
  ASSERT_TRUE(m.path_route);
  EXPECT_EQ(std::string(m.path_route->label), "/*");
  EXPECT_EQ(m.allow, "GET, HEAD");
  // The API's prefixes are never files, whatever the web root holds.
  for (const char* target : {"/healthz/x", "/metrics/x", "/oauth/callback/x", "/oauth/x", "/v1", "/v1/connections/x"}) {
    m = match("GET", target, with_files());
    EXPECT_EQ(m.path_route, nullptr) << target;
  }
  m = match("GET", "/healthz", with_files());
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "/healthz");
}

TEST(Routes, TheTableKeepsItsOwnRules) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const Route& r : api_routes()) {
    const std::string pattern = r.pattern, where = std::string(r.method) + " " + pattern;
    EXPECT_TRUE(seen.emplace(r.method, pattern).second) << where << " twice";
    // Every route under /v1 (and the /oauth-providers contract's prefixes) needs a key; no route
    // elsewhere does (/metrics asks for one itself).
    const bool keyed_prefix = pattern.rfind("/v1/", 0) == 0 || pattern.rfind("/api/v1/", 0) == 0 ||
                              pattern.rfind("/oauth-providers", 0) == 0;
    EXPECT_EQ(r.role != Role::none, keyed_prefix) << where;
    EXPECT_EQ(r.role == Role::admin, std::string(r.admin_for).size() > 0) << where;
    EXPECT_GT(std::string(r.doc).size(), 10u) << where << " is undocumented";
    EXPECT_NE(r.handler, nullptr) << where;
    EXPECT_EQ(pattern.find("//"), std::string::npos) << where;
    EXPECT_EQ(pattern.back() == '/', false) << where;
  }
  EXPECT_EQ(seen.size(), 55u);
}

TEST(Routes, TheOAuthProvidersContractOnBothPrefixes) {
  for (const std::string prefix : {"/api/v1/oauth-providers", "/oauth-providers"}) {
    struct Case {
      const char* method;
      std::string rest;
      std::string label;
      Captures captures;
    };
    const Case cases[] = {
        {"GET", "", prefix, {}},
        {"POST", "", prefix, {}},
        {"GET", "/0123456789abcdef01234567", prefix + "/{id}", {{"id", "0123456789abcdef01234567"}}},
        {"PUT", "/abc", prefix + "/{id}", {{"id", "abc"}}},
        {"DELETE", "/abc", prefix + "/{id}", {{"id", "abc"}}},
        {"POST", "/exchange", prefix + "/exchange", {}},
        // Only POST is the exchange: GET names a provider (ids are hex, so none is "exchange").
        {"GET", "/exchange", prefix + "/{id}", {{"id", "exchange"}}},
        {"GET", "/abc/authorize", prefix + "/{id}/authorize", {{"id", "abc"}}},
        {"GET", "/abc/status", prefix + "/{id}/status", {{"id", "abc"}}},
        {"POST", "/abc/connect", prefix + "/{id}/connect", {{"id", "abc"}}},
        {"POST", "/abc/token", prefix + "/{id}/token", {{"id", "abc"}}},
        {"DELETE", "/abc/disconnect", prefix + "/{id}/disconnect", {{"id", "abc"}}},
    };
    for (const auto& c : cases) {
      const RouteMatch m = match(c.method, prefix + c.rest);
      ASSERT_NE(m.route, nullptr) << c.method << " " << prefix << c.rest;
      EXPECT_EQ(std::string(m.route->label), c.label);
      EXPECT_EQ(m.captures, c.captures) << c.method << " " << prefix << c.rest;
      EXPECT_TRUE(m.keyed);
    }
    const RouteMatch wrong = match("POST", prefix + "/abc");
    EXPECT_EQ(wrong.route, nullptr);
    EXPECT_EQ(wrong.allow, "GET, PUT, DELETE");
    const RouteMatch unknown = match("GET", prefix + "/abc/nothing", with_files());
    EXPECT_EQ(unknown.path_route, nullptr) << "never a file, whatever the web root holds";
    EXPECT_TRUE(unknown.keyed) << "401 before 404";
  }
}

Handler kNoHandler = nullptr;

TEST(Routes, TheListingShowsEachRouteWithItsRoleAndDoc) {
  const std::vector<Route> table = {
      {"GET", "/healthz", Role::none, "/healthz", "", true, nullptr, kNoHandler, "{ok: true}."},
      {"PUT", "/v1/things/{key}", Role::admin, "/v1/things/{key}", "changing things", false, nullptr, kNoHandler,
       "Replaces a thing.\nTwo lines."},
      {"*", "/v1/pass/*", Role::key, "/v1/pass/*", "", false, nullptr, kNoHandler, "Anything."},
  };
  EXPECT_EQ(describe_routes(table),
            "GET    /healthz  (no key; 421 unless the Host header names the gateway)\n"
            "    {ok: true}.\n"
            "PUT    /v1/things/{key}  (admin key)\n"
            "    Replaces a thing.\n"
            "    Two lines.\n"
            "ANY    /v1/pass/*  (any key)\n"
            "    Anything.\n");
}

TEST(Routes, AMatcherOverAnyTable) {
  // The rules hold for a table other than the gateway's: first match wins, "*" rests, Allow in order.
  const std::vector<Route> table = {
      {"GET", "/a/{x}", Role::key, "a-get", "", false, nullptr, kNoHandler, "."},
      {"DELETE", "/a/{x}", Role::key, "a-delete", "", false, nullptr, kNoHandler, "."},
      {"GET", "/a/fixed", Role::key, "a-fixed", "", false, nullptr, kNoHandler, "."},
      {"POST", "/a/fixed", Role::key, "a-fixed-post", "", false, nullptr, kNoHandler, "."},
      {"*", "/b/{y}/*", Role::none, "b", "", false, nullptr, kNoHandler, "."},
  };
  const ApiConfig config;
  auto m = match_route(table, config, "GET", {"a", "fixed"});
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "a-get");
  EXPECT_EQ(m.capture("x"), "fixed");
  m = match_route(table, config, "POST", {"a", "fixed"});
  ASSERT_TRUE(m.route);
  EXPECT_EQ(std::string(m.route->label), "a-fixed-post");
  m = match_route(table, config, "PUT", {"a", "fixed"});
  EXPECT_EQ(m.allow, "GET, DELETE, POST");
  m = match_route(table, config, "PUT", {"b", "1", "2", "3"});
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.capture("y"), "1");
  EXPECT_FALSE(m.keyed);
  m = match_route(table, config, "PUT", {"b"});
  EXPECT_EQ(m.path_route, nullptr);
  EXPECT_FALSE(m.keyed);
  m = match_route(table, config, "GET", {"a"});
  EXPECT_EQ(m.path_route, nullptr);
  EXPECT_TRUE(m.keyed);  // "a" begins keyed routes
}

}  // namespace
}  // namespace latchkey::gateway
