// Discovering a protected resource (MCP): metadata checks, dynamic client registration, the
// resource parameter (RFC 8707) and pushed authorization requests (RFC 9126), on the fake host.
#include <gtest/gtest.h>

#include <map>

#include "address_policy.hpp"
#include "discover_resource.hpp"
#include "json.hpp"
#include "records.hpp"
#include "results_json.hpp"
#include "seal.hpp"
#include "support/fake_host.hpp"

namespace latchkey {
namespace {

using testing::FakeHost;
using testing::form_fields;
using testing::query_fields;
using testing::respond;

constexpr const char* kResource = "https://mcp.example.com/mcp";
constexpr const char* kIssuer = "https://as.example.com";

std::string resource_metadata(const std::string& resource = kResource, const std::string& issuer = kIssuer) {
  return R"({"resource":")" + resource + R"(","authorization_servers":[")" + issuer +
         R"("],"scopes_supported":["mcp:tools"],"resource_name":"Example MCP"})";
}

std::string server_metadata(const std::string& issuer = kIssuer, const std::string& extra = "") {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + issuer + R"(/auth","token_endpoint":")" +
         issuer + R"(/token","registration_endpoint":")" + issuer +
         R"(/reg","code_challenge_methods_supported":["S256"],"token_endpoint_auth_methods_supported":["client_secret_basic","none"])" +
         extra + "}";
}

struct Mcp : ::testing::Test {
  void SetUp() override {
    engine = testing::make_engine();
    routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, resource_metadata());
    routes["https://as.example.com/.well-known/oauth-authorization-server"] = respond(200, server_metadata());
    routes["https://as.example.com/reg"] =
        respond(201, R"({"client_id":"dyn-client","client_secret":"dyn-secret","token_endpoint_auth_method":"client_secret_basic"})");
    host.http = [this](const HttpRequest& req) {
      auto it = routes.find(req.url);
      return it == routes.end() ? respond(404, "{}") : it->second;
    };
  }

  Result<ProviderInfo> discover(bool allow_private = false, std::string url = kResource, bool issuer_first = false) {
    ResourceDiscoveryRequest r;
    r.key = "mcp";
    r.resource_url = std::move(url);
    r.redirect_uri = "http://127.0.0.1/oauth/callback";
    r.allow_private_network = allow_private;
    r.issuer_first = issuer_first;
    return host.run(engine->discover_resource(r));
  }

  const HttpRequest* call_to(const std::string& url) const {
    for (const auto& c : host.calls) {
      if (c.url == url) return &c;
    }
    return nullptr;
  }

  /// Starts a sign-in at the discovered provider (as principal "default"), back on a loopback port.
  Result<AuthorizationStart> authorize(const std::string& account = "") {
    AuthorizeRequest a;
    a.provider = "mcp";
    a.account = account;
    a.redirect_uri = "http://127.0.0.1:5555/oauth/callback";
    return host.run(engine->authorize(a));
  }

  /// The authorization server's redirect back with a code for `state`.
  Result<ConnectionInfo> complete(const std::string& state) {
    return host.run(engine->complete_callback({"default", "?code=xyz&state=" + state}));
  }

  void expect_nothing_saved() {
    EXPECT_EQ(host.run(engine->get_provider("mcp")).error().code, ErrorCode::not_found);
    EXPECT_EQ(call_to("https://as.example.com/reg"), nullptr);  // nobody registered for nothing
  }

  FakeHost host;
  std::unique_ptr<Engine> engine;
  std::map<std::string, EffectResult> routes;
};

TEST_F(Mcp, IssuerFirstTakesAnIssuersMetadataAndElseTheResources) {
  // The AS's own URL is an issuer: its metadata, no resource, no registration.
  auto issuer = discover(false, kIssuer, true);
  ASSERT_TRUE(issuer.ok()) << issuer.error().message;
  EXPECT_EQ(issuer->provider.issuer, kIssuer);
  EXPECT_TRUE(issuer->provider.resource.empty());
  EXPECT_EQ(call_to("https://as.example.com/reg"), nullptr);
  ASSERT_TRUE(host.run(engine->remove_provider("mcp", true)).ok());
  // The MCP server has no issuer metadata: discovered as a resource.
  auto resource = discover(false, kResource, true);
  ASSERT_TRUE(resource.ok()) << resource.error().message;
  EXPECT_EQ(resource->provider.resource, kResource);
  EXPECT_TRUE(resource->has_app);
  ASSERT_TRUE(host.run(engine->remove_provider("mcp", true)).ok());
  // Neither: the issuer's not_found explains it.
  auto neither = discover(false, "https://nothing.example.com", true);
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.error().code, ErrorCode::not_found);
  EXPECT_EQ(neither.error().message, host.run(engine->discover_provider("mcp", "https://nothing.example.com")).error().message);
}

TEST_F(Mcp, DiscoversRegistersAndSavesTheProviderWithItsResource) {
  auto r = discover();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->has_app);
  const Provider& p = r->provider;
  EXPECT_EQ(p.resource, kResource);
  EXPECT_EQ(p.issuer, kIssuer);
  EXPECT_EQ(p.display_name, "Example MCP");
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"https://mcp.example.com"});  // the token goes to the resource only
  EXPECT_EQ(p.default_scopes, std::vector<std::string>{"mcp:tools"});
  EXPECT_TRUE(p.pushed_authorization_request_endpoint.empty());

  // RFC 7591 request: a native client for the code grant, at the loopback redirect.
  const HttpRequest* reg = call_to("https://as.example.com/reg");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->method, "POST");
  auto body = detail::json::parse(reg->body, "test");
  ASSERT_TRUE(body.ok());
  const auto& o = body->get<detail::json::Object>();
  EXPECT_EQ(*detail::json::get_string(o, "token_endpoint_auth_method"), "client_secret_basic");
  EXPECT_EQ(*detail::json::get_string(o, "application_type"), "native");
  EXPECT_EQ(detail::json::get_array(o, "redirect_uris")->at(0).get<std::string>(), "http://127.0.0.1/oauth/callback");

  // The issued client is the app; its secret is sealed, never stored in clear.
  auto app = host.run(engine->get_app("mcp"));
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->client_id, "dyn-client");
  EXPECT_TRUE(app->has_client_secret);
  for (const auto& [key, rec] : host.store.records) EXPECT_EQ(rec.value.find("dyn-secret"), std::string::npos) << key;

  // Every metadata fetch is capped and never follows redirects.
  for (const auto& c : host.calls) {
    EXPECT_FALSE(c.follow_redirects) << c.url;
    EXPECT_LE(c.max_response_bytes, detail::kMaxMetadataBytes) << c.url;
  }
}

TEST_F(Mcp, ResourceAndPkceGoOnTheAuthorizationAndTokenRequests) {
  ASSERT_TRUE(discover().ok());
  auto start = authorize("me");
  ASSERT_TRUE(start.ok()) << start.error().message;
  auto q = query_fields(start->authorization_url);
  EXPECT_EQ(q["resource"], kResource);
  EXPECT_EQ(q["code_challenge_method"], "S256");
  EXPECT_EQ(q["client_id"], "dyn-client");
  EXPECT_EQ(start->authorization_url.rfind("https://as.example.com/auth?", 0), 0u);

  routes["https://as.example.com/token"] = respond(200, R"({"access_token":"AT","token_type":"Bearer","expires_in":3600,"refresh_token":"RT"})");
  auto c = complete(start->state);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto token = form_fields(host.calls.back().body);
  EXPECT_EQ(token["resource"], kResource);
  EXPECT_EQ(token["grant_type"], "authorization_code");

  // The token is sent to the resource, and only there.
  HttpRequest call;
  call.url = "https://mcp.example.com/mcp";
  auto signed_req = host.run(engine->sign_request({"default", "mcp", "me"}, call));
  ASSERT_TRUE(signed_req.ok()) << signed_req.error().message;
  call.url = "https://as.example.com/me";
  EXPECT_FALSE(host.run(engine->sign_request({"default", "mcp", "me"}, call)).ok());

  // A refresh keeps the audience.
  auto refreshed = host.run(engine->get_token({"default", "mcp", "me"}, true));
  ASSERT_TRUE(refreshed.ok()) << refreshed.error().message;
  auto refresh = form_fields(host.calls.back().body);
  EXPECT_EQ(refresh["grant_type"], "refresh_token");
  EXPECT_EQ(refresh["resource"], kResource);
}

// The resource's origin, port included: another port on its host is another server.
TEST_F(Mcp, TheTokenGoesToTheResourcesOriginOnly) {
  const std::string resource = "https://mcp.example.com:8443/mcp";
  routes["https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp"] = respond(200, resource_metadata(resource));
  auto r = discover(false, resource);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->provider.injection.hosts, std::vector<std::string>{"https://mcp.example.com:8443"});
  auto start = authorize("me");
  ASSERT_TRUE(start.ok()) << start.error().message;
  routes["https://as.example.com/token"] = respond(200, R"({"access_token":"AT","token_type":"Bearer","expires_in":3600})");
  ASSERT_TRUE(complete(start->state).ok());
  HttpRequest call;
  call.url = resource;
  EXPECT_TRUE(host.run(engine->sign_request({"default", "mcp", "me"}, call)).ok());
  for (const char* other : {"https://mcp.example.com/mcp", "https://mcp.example.com:9443/mcp", "http://mcp.example.com:8443/mcp"}) {
    call.url = other;
    auto refused = host.run(engine->sign_request({"default", "mcp", "me"}, call));
    ASSERT_FALSE(refused.ok()) << other;
    EXPECT_NE(refused.error().message.find("(allowed: https://mcp.example.com:8443)"), std::string::npos)
        << refused.error().message;
  }
}

// RFC 8707: the resource's token never goes to the authorization server's userinfo — not even
// one on the resource's own host (under host-name rules it went there, was refused, and the
// account silently became "default"). The account is named from the ID token when it comes from
// the issuer, else after the resource's host.
TEST_F(Mcp, AccountsAreNamedWithoutSendingTheResourceTokenElsewhere) {
  const std::string issuer = "https://mcp.example.com:9443";
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, resource_metadata(kResource, issuer));
  routes[issuer + "/.well-known/oauth-authorization-server"] =
      respond(200, server_metadata(issuer, R"(,"userinfo_endpoint":"https://mcp.example.com:9443/me")"));
  routes[issuer + "/reg"] = routes["https://as.example.com/reg"];
  routes[issuer + "/me"] = respond(200, R"({"sub":"from-userinfo"})");
  auto r = discover();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->provider.identity.has_value());

  struct Case {
    const char* token_response;
    const char* account;
  } const cases[] = {
      // No ID token: named after the resource's host.
      {R"({"access_token":"AT1","token_type":"Bearer","expires_in":3600})", "mcp.example.com"},
      // An ID token from the issuer: its subject.
      {R"({"access_token":"AT2","token_type":"Bearer","expires_in":3600,"id_token":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL21jcC5leGFtcGxlLmNvbTo5NDQzIiwic3ViIjoiYWxpY2UiLCJhdWQiOiJkeW4tY2xpZW50In0.c2ln"})",
       "alice"},
      // One claiming another issuer names nothing.
      {R"({"access_token":"AT3","token_type":"Bearer","expires_in":3600,"id_token":"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2V2aWwuZXhhbXBsZS5jb20iLCJzdWIiOiJtYWxsb3J5IiwiYXVkIjoiZHluLWNsaWVudCJ9.c2ln"})",
       "mcp.example.com"},
  };
  for (const auto& c : cases) {
    auto start = authorize();
    ASSERT_TRUE(start.ok()) << start.error().message;
    routes[issuer + "/token"] = respond(200, c.token_response);
    host.calls.clear();
    auto done = complete(start->state);
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->account, c.account) << c.token_response;
    for (const auto& call : host.calls) EXPECT_EQ(call.url.rfind(issuer + "/me", 0), std::string::npos) << call.url;
    EXPECT_EQ(host.calls.size(), 1u);  // the token request, nothing else
  }
}

TEST_F(Mcp, ProvidersWithoutAResourceKeepTheirRequestsAndJson) {
  std::string def = R"({"key":"plain","display_name":"Plain","authorization_endpoint":"https://p.test/a","token_endpoint":"https://p.test/t","api_base_url":"https://api.p.test"})";
  auto p = host.run(engine->register_provider(def));
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::string json = provider_to_json(p->provider);
  EXPECT_EQ(json.find("resource"), std::string::npos);
  EXPECT_EQ(json.find("pushed_authorization"), std::string::npos);
  AppInput app = testing::app_input("plain", "id", "secret", "http://127.0.0.1:1/cb");
  ASSERT_TRUE(host.run(engine->upsert_app(app)).ok());
  AuthorizeRequest a;
  a.provider = "plain";
  a.extra_params = {{"resource", "https://caller.test"}};  // still the caller's to set here
  auto start = host.run(engine->authorize(a));
  ASSERT_TRUE(start.ok()) << start.error().message;
  EXPECT_EQ(query_fields(start->authorization_url)["resource"], "https://caller.test");
  EXPECT_EQ(query_fields(start->authorization_url).count("request_uri"), 0u);
}

TEST_F(Mcp, TheResourceParameterCannotBeOverridden) {
  ASSERT_TRUE(discover().ok());
  AuthorizeRequest a;
  a.provider = "mcp";
  a.redirect_uri = "http://127.0.0.1:5555/oauth/callback";
  a.extra_params = {{"resource", "https://evil.test"}};
  auto r = host.run(engine->authorize(a));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

TEST_F(Mcp, FindsTheMetadataThroughA401Challenge) {
  routes.erase("https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  routes["https://mcp.example.com/mcp"] =
      respond(401, "", "text/plain",
              {{"WWW-Authenticate", R"(Bearer error="invalid_token", resource_metadata="https://mcp.example.com/meta")"}});
  routes["https://mcp.example.com/meta"] = respond(200, resource_metadata());
  auto r = discover();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->provider.resource, kResource);
}

TEST_F(Mcp, AChallengePointingAtAPrivateAddressIsRefused) {
  routes.erase("https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  routes["https://mcp.example.com/mcp"] =
      respond(401, "", "text/plain", {{"WWW-Authenticate", R"(Bearer resource_metadata="https://169.254.169.254/meta")"}});
  auto r = discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(call_to("https://169.254.169.254/meta"), nullptr);
}

TEST_F(Mcp, MismatchedResourceIsRefused) {
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] =
      respond(200, resource_metadata("https://mcp.example.com/other"));
  auto r = discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("resource mismatch"), std::string::npos);
  expect_nothing_saved();
}

TEST_F(Mcp, MismatchedIssuerIsRefused) {
  routes["https://as.example.com/.well-known/oauth-authorization-server"] =
      respond(200, server_metadata("https://as.example.com/"));  // a trailing slash is another issuer
  auto r = discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("issuer mismatch"), std::string::npos);
  expect_nothing_saved();
}

TEST_F(Mcp, PlainHttpIsRefused) {
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] =
      respond(200, resource_metadata(kResource, "http://as.example.com"));
  auto r = discover();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("https"), std::string::npos);
  expect_nothing_saved();
  EXPECT_FALSE(discover(true, "http://mcp.example.com/mcp").ok());  // not even with private networks allowed
}

TEST_F(Mcp, PrivateAddressesAreRefusedUnlessAllowed) {
  auto r = discover(false, "https://10.0.0.5/mcp");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("private"), std::string::npos);
  EXPECT_TRUE(host.calls.empty());
  // An authorization server or endpoint on a private address, named by public metadata.
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] =
      respond(200, resource_metadata(kResource, "https://192.168.1.1"));
  EXPECT_FALSE(discover().ok());
  EXPECT_EQ(call_to("https://192.168.1.1/.well-known/oauth-authorization-server"), nullptr);
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, resource_metadata());
  routes["https://as.example.com/.well-known/oauth-authorization-server"] =
      respond(200, server_metadata(kIssuer, R"(,"pushed_authorization_request_endpoint":"https://[::1]/par","require_pushed_authorization_requests":true)"));
  auto endpoint = discover();
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().message.find("pushed_authorization_request_endpoint"), std::string::npos);
  expect_nothing_saved();

  // Loopback, explicitly allowed (the integration tests' set-up): plain http too.
  routes.clear();
  routes["http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"] =
      respond(200, resource_metadata("http://127.0.0.1:9/mcp", "http://127.0.0.1:8"));
  routes["http://127.0.0.1:8/.well-known/oauth-authorization-server"] =
      respond(200, server_metadata("http://127.0.0.1:8"));
  routes["http://127.0.0.1:8/reg"] = respond(201, R"({"client_id":"c","client_secret":"s"})");
  auto ok = discover(true, "http://127.0.0.1:9/mcp");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
}

TEST_F(Mcp, OversizedAndMalformedMetadataIsRefused) {
  std::string big = resource_metadata();
  big.insert(big.size() - 1, ",\"pad\":\"" + std::string(detail::kMaxMetadataBytes, 'x') + "\"");
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, big);
  auto r = discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::malformed_response);
  EXPECT_NE(r.error().message.find("too large"), std::string::npos);

  for (const char* bad : {"not json", "[]", R"({"resource":"https://mcp.example.com/mcp"})",
                          R"({"resource":"https://mcp.example.com/mcp","authorization_servers":[]})",
                          R"({"resource":"https://mcp.example.com/mcp","authorization_servers":[7]})"}) {
    routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, bad);
    auto m = discover();
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code, ErrorCode::malformed_response) << bad;
  }
  routes["https://mcp.example.com/.well-known/oauth-protected-resource/mcp"] = respond(200, resource_metadata());
  routes["https://as.example.com/.well-known/oauth-authorization-server"] = respond(200, R"({"issuer":7})");
  EXPECT_EQ(discover().error().code, ErrorCode::malformed_response);
  expect_nothing_saved();
}

TEST_F(Mcp, RegistrationAnswersAreChecked) {
  struct Case {
    int status;
    const char* body;
    ErrorCode code;
  } cases[] = {
      {201, R"({"client_secret":"s"})", ErrorCode::malformed_response},                       // no client_id
      {201, R"({"client_id":"c"})", ErrorCode::malformed_response},                           // basic without a secret
      {201, R"({"client_id":"c","client_secret":"s","token_endpoint_auth_method":"private_key_jwt"})", ErrorCode::unsupported},
      {201, R"({"client_id":"c","client_secret":"s","token_endpoint_auth_method":"tls_client_auth"})", ErrorCode::unsupported},
      {401, R"({"error":"invalid_token"})", ErrorCode::provider_error},                       // registration is closed
      {400, R"({"error":"invalid_redirect_uri","error_description":"no"})", ErrorCode::provider_error},
  };
  for (const auto& c : cases) {
    routes["https://as.example.com/reg"] = respond(c.status, c.body);
    auto r = discover();
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(host.run(engine->get_provider("mcp")).error().code, ErrorCode::not_found);
  }
  // A public client registered as such.
  routes["https://as.example.com/reg"] = respond(201, R"({"client_id":"pub","token_endpoint_auth_method":"none"})");
  auto r = discover();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->provider.token_endpoint_auth_method, ClientAuthMethod::none);
  EXPECT_FALSE(host.run(engine->get_app("mcp"))->has_client_secret);
}

// RFC 7591 §3.2.1: the registration access token (sealed like the secret, never returned), the
// registration URI and the secret's expiry are kept with the app.
constexpr const char* kRegistered =
    R"({"client_id":"dyn-client","client_secret":"dyn-secret","token_endpoint_auth_method":"client_secret_basic",)"
    R"("registration_access_token":"rat-not-for-the-store","registration_client_uri":"https://as.example.com/reg/dyn-client",)"
    R"("client_secret_expires_at":1700003600})";

TEST_F(Mcp, TheRegistrationIsKeptWithTheAppAndItsTokenSealed) {
  routes["https://as.example.com/reg"] = respond(201, kRegistered);
  ASSERT_TRUE(discover().ok());
  auto app = host.run(engine->get_app("mcp"));
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_TRUE(app->has_registration_access_token);
  EXPECT_EQ(app->registration_client_uri, "https://as.example.com/reg/dyn-client");
  EXPECT_EQ(app->client_secret_expires_at_ms, 1700003600000);
  for (const auto& [key, rec] : host.store.records) {
    EXPECT_EQ(rec.value.find("rat-not-for-the-store"), std::string::npos) << key;
    EXPECT_EQ(rec.value.find("dyn-secret"), std::string::npos) << key;
  }
  // Answers say it exists, never what it is.
  std::string json = detail::json::serialize(detail::to_value(*app));
  EXPECT_EQ(json.find("rat-not-for-the-store"), std::string::npos);
  EXPECT_NE(json.find(R"("has_registration_access_token":true)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("client_secret_expires_at_ms":1700003600000)"), std::string::npos) << json;
  // A master key rotation re-seals it with the client secret, and it still opens afterwards.
  auto both = testing::make_rotated_engine();
  auto r = host.run(both->reseal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->failed, 0);
  auto record = detail::app_from_json(host.store.records.at("app/mcp").value);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->registration_access_token_sealed.rfind("lk1.2.", 0), 0u) << record->registration_access_token_sealed;
  EXPECT_EQ(record->client_secret_sealed.rfind("lk1.2.", 0), 0u);
  auto opened = both->sealer().open(detail::seal_place("app/mcp", "registration_access_token"),
                                    record->registration_access_token_sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "rat-not-for-the-store");
}

TEST_F(Mcp, ZeroOrNoExpiryMeansNeverAndAppsSetByHandShowNoRegistration) {
  routes["https://as.example.com/reg"] =
      respond(201, R"({"client_id":"dyn-client","client_secret":"dyn-secret","client_secret_expires_at":0})");
  ASSERT_TRUE(discover().ok());
  auto app = host.run(engine->get_app("mcp"));
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->client_secret_expires_at_ms, 0);
  EXPECT_FALSE(app->has_registration_access_token);
  std::string json = detail::json::serialize(detail::to_value(*app));
  EXPECT_EQ(json.find("registration"), std::string::npos) << json;  // a plain app keeps its shape
  EXPECT_EQ(json.find("expires"), std::string::npos) << json;
}

TEST_F(Mcp, MalformedRegistrationFieldsAreRefused) {
  const char* bodies[] = {
      R"({"client_id":"c","client_secret":"s","client_secret_expires_at":"soon"})",
      R"({"client_id":"c","client_secret":"s","client_secret_expires_at":-1})",
      R"({"client_id":"c","client_secret":"s","client_secret_expires_at":1.5})",
      R"({"client_id":"c","client_secret":"s","client_secret_expires_at":99999999999999})",
      R"({"client_id":"c","client_secret":"s","registration_access_token":7})",
      R"({"client_id":"c","client_secret":"s","registration_access_token":""})",
      R"({"client_id":"c","client_secret":"s","registration_access_token":"a
b"})",
      R"({"client_id":"c","client_secret":"s","registration_client_uri":["x"]})",
  };
  for (const char* body : bodies) {
    routes["https://as.example.com/reg"] = respond(201, body);
    auto r = discover();
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << body;
    EXPECT_EQ(host.run(engine->get_provider("mcp")).error().code, ErrorCode::not_found) << body;
  }
  // The registration URI passes the metadata URL checks: no plain http, no private address.
  for (const char* uri : {"http://as.example.com/reg/c", "https://10.0.0.1/reg/c"}) {
    routes["https://as.example.com/reg"] =
        respond(201, std::string(R"({"client_id":"c","client_secret":"s","registration_client_uri":")") + uri + "\"}");
    auto r = discover();
    ASSERT_FALSE(r.ok()) << uri;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << uri;
    EXPECT_NE(r.error().message.find("registration_client_uri"), std::string::npos) << r.error().message;
  }
}

TEST_F(Mcp, AnExpiredSecretStopsEveryGrantWithWhatToDo) {
  routes["https://as.example.com/reg"] = respond(201, kRegistered);
  ASSERT_TRUE(discover().ok());
  routes["https://as.example.com/token"] =
      respond(200, R"({"access_token":"at","token_type":"Bearer","expires_in":60,"refresh_token":"rt"})");
  // Before the expiry: a sign-in and a refresh work.
  AuthorizeRequest a;
  a.provider = "mcp";
  a.account = "alice";
  auto start = host.run(engine->authorize(a));
  ASSERT_TRUE(start.ok()) << start.error().message;
  CallbackRequest cb;
  cb.callback = "code=c1&state=" + start->state;
  ASSERT_TRUE(host.run(engine->complete_callback(cb)).ok());
  ConnectionRef ref{"default", "mcp", "alice"};
  ASSERT_TRUE(host.run(engine->get_token(ref, true)).ok());

  host.now_ms = 1700003600000;  // the moment it expires
  const std::size_t calls = host.calls.size();
  auto expect_expired = [&](const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::invalid_request);
    EXPECT_NE(e.message.find("expired at 2023-11-14 23:13:20Z"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("latchkey providers discover https://mcp.example.com/mcp --provider-key mcp"),
              std::string::npos)
        << e.message;
    EXPECT_EQ(e.message.find("dyn-secret"), std::string::npos);
  };
  auto refreshed = host.run(engine->get_token(ref, true));
  ASSERT_FALSE(refreshed.ok());
  expect_expired(refreshed.error());
  auto again = host.run(engine->authorize(a));
  ASSERT_FALSE(again.ok());
  expect_expired(again.error());
  EXPECT_EQ(host.calls.size(), calls);  // refused before anything was sent

  // New credentials set by hand: their expiry is not known, so nothing is refused, and a new
  // client ID also drops the old client's registration.
  ASSERT_TRUE(host.run(engine->upsert_app(testing::app_input("mcp", "dyn-client", "rotated", ""))).ok());
  auto same = host.run(engine->get_app("mcp"));
  EXPECT_EQ(same->client_secret_expires_at_ms, 0);
  EXPECT_TRUE(same->has_registration_access_token);
  EXPECT_TRUE(host.run(engine->get_token(ref, true)).ok());
  ASSERT_TRUE(host.run(engine->upsert_app(testing::app_input("mcp", "other-client", "s", ""))).ok());
  auto other = host.run(engine->get_app("mcp"));
  EXPECT_FALSE(other->has_registration_access_token);
  EXPECT_TRUE(other->registration_client_uri.empty());
}

TEST_F(Mcp, WithoutRegistrationTheProviderIsSavedWithoutAnApp) {
  routes["https://as.example.com/.well-known/oauth-authorization-server"] =
      respond(200, R"({"issuer":"https://as.example.com","authorization_endpoint":"https://as.example.com/auth","token_endpoint":"https://as.example.com/token"})");
  auto r = discover();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_app);
  EXPECT_EQ(r->provider.resource, kResource);
}

TEST_F(Mcp, RequiredParPushesTheParametersAndTheUrlCarriesOnlyTheReference) {
  routes["https://as.example.com/.well-known/oauth-authorization-server"] = respond(
      200, server_metadata(kIssuer, R"(,"pushed_authorization_request_endpoint":"https://as.example.com/par","require_pushed_authorization_requests":true)"));
  auto d = discover();
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->provider.pushed_authorization_request_endpoint, "https://as.example.com/par");
  routes["https://as.example.com/par"] = respond(201, R"({"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60})");
  auto start = authorize();
  ASSERT_TRUE(start.ok()) << start.error().message;
  EXPECT_EQ(start->authorization_url,
            "https://as.example.com/auth?client_id=dyn-client&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc");

  const HttpRequest* par = call_to("https://as.example.com/par");
  ASSERT_NE(par, nullptr);
  EXPECT_EQ(par->method, "POST");
  EXPECT_FALSE(par->follow_redirects);
  auto body = form_fields(par->body);
  EXPECT_EQ(body["response_type"], "code");
  EXPECT_EQ(body["resource"], kResource);
  EXPECT_EQ(body["state"], start->state);
  EXPECT_EQ(body["code_challenge_method"], "S256");
  EXPECT_EQ(body["redirect_uri"], "http://127.0.0.1:5555/oauth/callback");
  EXPECT_EQ(body.count("client_secret"), 0u);  // basic: the secret goes in the header
  bool basic = false;
  for (const auto& [k, v] : par->headers) basic = basic || (k == "Authorization" && v.rfind("Basic ", 0) == 0);
  EXPECT_TRUE(basic);
  EXPECT_EQ(std::count(par->body.begin(), par->body.end(), '&') + 1, static_cast<long>(body.size()));  // no duplicates

  // The callback still completes against the pending record.
  routes["https://as.example.com/token"] = respond(200, R"({"access_token":"AT","token_type":"Bearer","expires_in":60})");
  auto c = complete(start->state);
  ASSERT_TRUE(c.ok()) << c.error().message;
}

TEST_F(Mcp, ParFailuresStopTheAuthorization) {
  routes["https://as.example.com/.well-known/oauth-authorization-server"] = respond(
      200, server_metadata(kIssuer, R"(,"pushed_authorization_request_endpoint":"https://as.example.com/par","require_pushed_authorization_requests":true)"));
  ASSERT_TRUE(discover().ok());
  for (auto [status, body, code] : {std::tuple{400, R"({"error":"invalid_request"})", ErrorCode::provider_error},
                                    std::tuple{201, R"({"expires_in":60})", ErrorCode::malformed_response},
                                    std::tuple{201, R"({"request_uri":"a b"})", ErrorCode::malformed_response}}) {
    routes["https://as.example.com/par"] = respond(status, body);
    auto r = authorize();
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, code) << body;
  }
}

TEST_F(Mcp, OfferedParIsOptIn) {
  routes["https://as.example.com/.well-known/oauth-authorization-server"] =
      respond(200, server_metadata(kIssuer, R"(,"pushed_authorization_request_endpoint":"https://as.example.com/par")"));
  auto d = discover();
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->provider.pushed_authorization_request_endpoint.empty());
}

TEST(PrivateHosts, LiteralsInReservedRangesAreCaught) {
  for (const char* h : {"localhost", "api.localhost", "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                        "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                        "[::1]", "[::]", "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[::ffff:10.0.0.1]",
                        "[::ffff:7f00:1]", "[64:ff9b::a00:1]", "[fe80::1%25eth0]", "2130706433", "0x7f.0.0.1",
                        "0177.0.0.1", "127.1", "[ff02::1]"}) {
    EXPECT_TRUE(detail::is_private_host(h)) << h;
  }
  for (const char* h : {"example.com", "8.8.8.8", "172.32.0.1", "192.169.0.1", "[2606:4700::1111]",
                        "[::ffff:8.8.8.8]", "1password.com", "mcp.example.com"}) {
    EXPECT_FALSE(detail::is_private_host(h)) << h;
  }
}

TEST(ResourceMetadataChallenge, ReadsTheParameter) {
  EXPECT_EQ(detail::resource_metadata_from_challenge(R"(Bearer resource_metadata="https://x/m")"), "https://x/m");
  EXPECT_EQ(detail::resource_metadata_from_challenge(R"(Bearer realm="a", resource_metadata = "https://x/m", error="e")"),
            "https://x/m");
  EXPECT_EQ(detail::resource_metadata_from_challenge(R"(Bearer xresource_metadata="https://x/m")"), "");
  EXPECT_EQ(detail::resource_metadata_from_challenge(R"(Bearer resource_metadata="https://x/m)"), "");
  EXPECT_EQ(detail::resource_metadata_from_challenge("Bearer"), "");
}

TEST(WellKnown, GoesBetweenHostAndPath) {
  EXPECT_EQ(detail::well_known_url("https://a.test/mcp", "oauth-protected-resource"),
            "https://a.test/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(detail::well_known_url("https://a.test", "oauth-authorization-server"),
            "https://a.test/.well-known/oauth-authorization-server");
  EXPECT_EQ(detail::well_known_url("https://a.test/", "x"), "https://a.test/.well-known/x");
  EXPECT_EQ(detail::well_known_url("https://a.test/tenant1", "oauth-authorization-server"),
            "https://a.test/.well-known/oauth-authorization-server/tenant1");
}

TEST(WellKnown, OpenIdConfigurationIsAppendedToTheIssuer) {
  EXPECT_EQ(detail::openid_configuration_url("https://a.test"), "https://a.test/.well-known/openid-configuration");
  EXPECT_EQ(detail::openid_configuration_url("https://a.test/"), "https://a.test/.well-known/openid-configuration");
  EXPECT_EQ(detail::openid_configuration_url("https://a.test/tenant1"),
            "https://a.test/tenant1/.well-known/openid-configuration");
}

}  // namespace
}  // namespace latchkey
