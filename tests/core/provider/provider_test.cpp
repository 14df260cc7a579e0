// Provider definitions: parsing with defaults, one rejection per validation rule, templates,
// discovery documents and the host check that keeps tokens on their provider's hosts.
// Expected values are written from the schema and the providers' published endpoints.
#include "latchkey/provider.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/provider/provider_equal.hpp"
#include "json.hpp"

namespace latchkey {
namespace {

namespace json = detail::json;

const char* const kMinimal = R"({
  "key": "acme",
  "display_name": "Acme",
  "authorization_endpoint": "https://auth.acme.example/oauth/authorize",
  "token_endpoint": "https://auth.acme.example/oauth/token",
  "api_base_url": "https://api.acme.example/v1"
})";

// Modelled on Microsoft's published v2.0 endpoints.
const char* const kMicrosoftLike = R"({
  "key": "entra",
  "display_name": "Entra",
  "authorization_endpoint": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
  "token_endpoint": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
  "api_base_url": "https://graph.microsoft.com/v1.0",
  "template_params": {
    "tenant": {
      "pattern": "^(common|organizations|consumers|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[a-z0-9-]+(\\.[a-z0-9-]+)+)$",
      "default": "common",
      "description": "Directory (tenant) ID or domain"
    }
  }
})";

// Modelled on Shopify's per-shop endpoints; the token goes in X-Shopify-Access-Token.
const char* const kShopifyLike = R"({
  "key": "shop",
  "display_name": "Shop",
  "authorization_endpoint": "https://{shop}.myshopify.com/admin/oauth/authorize",
  "token_endpoint": "https://{shop}.myshopify.com/admin/oauth/access_token",
  "api_base_url": "https://{shop}.myshopify.com/admin/api",
  "scope_separator": ",",
  "template_params": {
    "shop": {"pattern": "^[a-zA-Z0-9][a-zA-Z0-9-]{0,59}$", "description": "Shop subdomain"}
  },
  "injection": {"hosts": ["{shop}.myshopify.com"], "header": "X-Shopify-Access-Token", "prefix": "", "query_param": null}
})";

/// `base` with the member at a dotted path set to the JSON `value` (or removed when value is empty).
std::string with(const std::string& base, const std::string& path, const std::string& value) {
  auto doc = json::parse(base, "test base");
  if (!doc) {
    ADD_FAILURE() << doc.error().message;
    return base;
  }
  json::Object* o = &doc->get<json::Object>();
  std::string rest = path;
  for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
    json::Value& next = (*o)[rest.substr(0, dot)];
    if (!next.is<json::Object>()) next = json::Value(json::Object());
    o = &next.get<json::Object>();
    rest = rest.substr(dot + 1);
  }
  if (value.empty()) {
    o->erase(rest);
  } else {
    auto v = json::parse(value, "test value");
    if (!v) {
      ADD_FAILURE() << v.error().message;
      return base;
    }
    (*o)[rest] = *v;
  }
  return json::serialize(*doc);
}

std::string without(const std::string& base, const std::string& path) { return with(base, path, ""); }

void ExpectInvalid(const std::string& json_text, const std::string& field) {
  SCOPED_TRACE(json_text);
  auto r = provider_from_json(json_text);
  ASSERT_FALSE(r.ok()) << "accepted; expected an error naming " << field;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find(field), std::string::npos) << "message: " << r.error().message;
}

Provider parse_ok(const std::string& json_text) {
  auto r = provider_from_json(json_text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << "\n" << json_text;
  return r.ok() ? *r : Provider();
}

// ------------------------------------------------------------------------------------------
// Parsing

TEST(Provider, MinimalCustomProviderGetsDefaults) {
  Provider p = parse_ok(kMinimal);
  EXPECT_EQ(p.key, "acme");
  EXPECT_EQ(p.display_name, "Acme");
  EXPECT_EQ(p.auth_mode, AuthMode::oauth2);
  EXPECT_EQ(p.authorization_endpoint, "https://auth.acme.example/oauth/authorize");
  EXPECT_EQ(p.token_endpoint, "https://auth.acme.example/oauth/token");
  EXPECT_EQ(p.request_token_endpoint, "");
  EXPECT_EQ(p.revocation_endpoint, "");
  EXPECT_EQ(p.issuer, "");
  EXPECT_FALSE(p.authorization_response_iss_parameter_supported);
  EXPECT_EQ(p.api_base_url, "https://api.acme.example/v1");
  EXPECT_TRUE(p.default_scopes.empty());
  EXPECT_EQ(p.scope_separator, " ");
  EXPECT_EQ(p.scope_param, "scope");
  EXPECT_EQ(p.pkce, PkceSupport::supported);
  EXPECT_EQ(p.token_endpoint_auth_method, ClientAuthMethod::client_secret_basic);
  EXPECT_TRUE(p.authorization_params.empty());
  EXPECT_TRUE(p.token_params.empty());
  EXPECT_EQ(p.token_response.root, "");
  EXPECT_TRUE(p.token_response.keep.empty());
  EXPECT_FALSE(p.token_response.expires_in_milliseconds);
  EXPECT_TRUE(p.template_params.empty());
  EXPECT_EQ(p.expiry_buffer_seconds, 60);
  EXPECT_EQ(p.token_exchange_body_format, BodyFormat::form);
  EXPECT_FALSE(p.ping.has_value());
  EXPECT_FALSE(p.identity.has_value());
  // Injection derived from api_base_url's origin.
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"https://api.acme.example"});
  EXPECT_EQ(p.injection.header, "Authorization");
  EXPECT_EQ(p.injection.prefix, "Bearer ");
  EXPECT_EQ(p.injection.query_param, "");
  EXPECT_TRUE(p.requires_client_secret);
  EXPECT_EQ(p.managed_service_config_key, "");
  EXPECT_FALSE(p.builtin);
}

TEST(Provider, NullOptionalMembersAreEmpty) {
  std::string j = with(kMinimal, "revocation_endpoint", "null");
  j = with(j, "ping", "null");
  j = with(j, "identity", "null");
  j = with(j, "docs_url", "null");
  j = with(j, "managed_service_config_key", "null");
  Provider p = parse_ok(j);
  EXPECT_EQ(p.revocation_endpoint, "");
  EXPECT_FALSE(p.ping.has_value());
  EXPECT_EQ(p.docs_url, "");
}

TEST(Provider, ReadsEveryMember) {
  std::string j = with(kMinimal, "auth_mode", R"("oauth2")");
  j = with(j, "issuer", R"("https://auth.acme.example")");
  j = with(j, "authorization_response_iss_parameter_supported", "true");
  j = with(j, "default_scopes", R"(["read", "write:all"])");
  j = with(j, "pkce", R"("required")");
  j = with(j, "token_endpoint_auth_method", R"("client_secret_post")");
  j = with(j, "authorization_params", R"({"prompt": "consent", "access_type": "offline"})");
  j = with(j, "token_params", R"({"audience": "api"})");
  j = with(j, "token_response", R"({"root": "authed_user", "keep": ["team"], "expires_in_unit": "milliseconds"})");
  j = with(j, "expiry_buffer_seconds", "300");
  j = with(j, "token_exchange_body_format", R"("json")");
  j = with(j, "refresh_endpoint", R"("https://auth.acme.example/oauth/refresh")");
  j = with(j, "ping", R"({"method": "POST", "url": "https://api.acme.example/v1/ping", "headers": {"Accept": "application/json"}})");
  j = with(j, "identity", R"({"url": "https://api.acme.example/v1/me", "account_path": "data.email", "headers": {}})");
  j = with(j, "injection", R"({"hosts": ["api.acme.example", "*.files.acme.example"], "header": null, "prefix": "", "query_param": "access_token"})");
  j = with(j, "available_scopes", R"(["read", "write:all", "admin"])");
  j = with(j, "requires_client_secret", "false");
  j = with(j, "managed_service_config_key", R"("acme")");
  j = with(j, "docs_url", R"("https://docs.acme.example/oauth")");
  Provider p = parse_ok(j);
  EXPECT_EQ(p.issuer, "https://auth.acme.example");
  EXPECT_TRUE(p.authorization_response_iss_parameter_supported);
  EXPECT_EQ(p.default_scopes, (std::vector<std::string>{"read", "write:all"}));
  EXPECT_EQ(p.pkce, PkceSupport::required);
  EXPECT_EQ(p.token_endpoint_auth_method, ClientAuthMethod::client_secret_post);
  // Objects come back ordered by name.
  EXPECT_EQ(p.authorization_params, (Params{{"access_type", "offline"}, {"prompt", "consent"}}));
  EXPECT_EQ(p.token_params, (Params{{"audience", "api"}}));
  EXPECT_EQ(p.token_response.root, "authed_user");
  EXPECT_EQ(p.token_response.keep, std::vector<std::string>{"team"});
  EXPECT_TRUE(p.token_response.expires_in_milliseconds);
  EXPECT_EQ(p.expiry_buffer_seconds, 300);
  EXPECT_EQ(p.token_exchange_body_format, BodyFormat::json);
  ASSERT_TRUE(p.ping.has_value());
  EXPECT_EQ(p.ping->method, "POST");
  EXPECT_EQ(p.ping->headers, (Params{{"Accept", "application/json"}}));
  ASSERT_TRUE(p.identity.has_value());
  EXPECT_EQ(p.identity->account_path, "data.email");
  EXPECT_EQ(p.injection.header, "");
  EXPECT_EQ(p.injection.query_param, "access_token");
  EXPECT_EQ(p.injection.prefix, "");
  EXPECT_FALSE(p.requires_client_secret);
  EXPECT_EQ(p.managed_service_config_key, "acme");

  // And back: provider_to_json keeps every field.
  auto again = provider_from_json(provider_to_json(p));
  ASSERT_TRUE(again.ok()) << again.error().message;
  testing::ExpectSameProvider(p, *again);
}

TEST(Provider, ToJsonEmitsEveryKeyWithNullsAndNoBuiltin) {
  Provider p = parse_ok(kMinimal);
  p.builtin = true;
  auto doc = json::parse(provider_to_json(p), "provider_to_json output");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->is<json::Object>());
  const auto& o = doc->get<json::Object>();
  EXPECT_EQ(o.count("builtin"), 0u);
  EXPECT_EQ(o.count("request_token_endpoint"), 0u);  // oauth1 only
  for (const char* key : {"revocation_endpoint", "userinfo_endpoint", "issuer", "refresh_endpoint", "ping",
                          "identity", "managed_service_config_key", "docs_url", "logo_url"}) {
    ASSERT_EQ(o.count(key), 1u) << key;
    EXPECT_TRUE(o.at(key).is<picojson::null>()) << key;
  }
  EXPECT_EQ(o.size(), 32u);  // every schema key but request_token_endpoint
  ASSERT_TRUE(o.at("injection").is<json::Object>());
  EXPECT_TRUE(o.at("injection").get<json::Object>().at("query_param").is<picojson::null>());
  std::int64_t buffer = 0;
  EXPECT_TRUE(json::get_int(o, "expiry_buffer_seconds", &buffer));
  EXPECT_EQ(buffer, 60);
}

// Provider quirks (issue 14): per-grant parameters and roots, grant styles, headers, revocation
// styles and the ping's ok member read, written back and checked.
TEST(Provider, QuirksRoundTripAndStayOutOfDefinitionsWithoutThem) {
  std::string quirky = with(kMinimal, "exchange_params", R"({"expiring":"1"})");
  quirky = with(quirky, "token_request_headers", R"({"User-Agent":"latchkey"})");
  quirky = with(quirky, "api_headers", R"({"Notion-Version":"2022-06-28"})");
  quirky = with(quirky, "revocation_style", R"("bearer")");
  quirky = with(quirky, "refresh", R"({"method":"GET","grant_type":"ig_refresh_token","token":"access_token",
      "token_param":"access_token","client_auth":false,"params":{"a":"b"},"root":""})");
  quirky = with(quirky, "long_lived_exchange", R"({"url":"https://graph.acme.example/access_token","method":"GET",
      "grant_type":"fb_exchange_token","token":"access_token","token_param":"fb_exchange_token"})");
  quirky = with(quirky, "ping", R"({"url":"https://api.acme.example/v1/auth.test","ok_path":"ok"})");
  Provider p = parse_ok(quirky);
  EXPECT_EQ(p.exchange_params, (Params{{"expiring", "1"}}));
  EXPECT_EQ(p.revocation_style, RevocationStyle::bearer);
  ASSERT_TRUE(p.refresh && p.long_lived_exchange);
  EXPECT_TRUE(p.refresh->send_access_token);
  EXPECT_FALSE(p.refresh->client_auth);
  EXPECT_EQ(p.refresh->root, std::optional<std::string>(""));
  EXPECT_EQ(p.long_lived_exchange->root, std::nullopt);
  EXPECT_TRUE(p.long_lived_exchange->client_auth);  // the default
  EXPECT_EQ(p.long_lived_exchange->token_param, "fb_exchange_token");
  EXPECT_EQ(p.ping->ok_path, "ok");
  auto back = provider_from_json(provider_to_json(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  testing::ExpectSameProvider(p, *back);

  // Without them, none is written: the catalog's entries keep their exact form.
  auto plain = json::parse(provider_to_json(parse_ok(kMinimal)), "plain");
  ASSERT_TRUE(plain.ok());
  for (const char* member : {"exchange_params", "token_request_headers", "api_headers", "revocation_style", "refresh",
                             "long_lived_exchange"}) {
    EXPECT_EQ(plain->get<json::Object>().count(member), 0u) << member;
  }
}

TEST(Provider, QuirksAreChecked) {
  ExpectInvalid(with(kMinimal, "exchange_params", R"({"code":"x"})"), "exchange_params.code");
  ExpectInvalid(with(kMinimal, "exchange_params", R"({"client_id":"x"})"), "exchange_params.client_id");
  ExpectInvalid(with(kMinimal, "api_headers", R"({"Authorization":"Bearer x"})"), "api_headers.Authorization");
  ExpectInvalid(with(kMinimal, "token_request_headers", R"({"content-type":"text/plain"})"), "token_request_headers.content-type");
  ExpectInvalid(with(kMinimal, "api_headers", R"({"Bad Name":"x"})"), "api_headers");
  ExpectInvalid(with(kMinimal, "revocation_style", R"("header")"), "revocation_style");
  ExpectInvalid(with(kMinimal, "refresh", R"({"method":"PUT"})"), "refresh.method");
  ExpectInvalid(with(kMinimal, "refresh", R"({"token":"id_token"})"), "refresh.token");
  ExpectInvalid(with(kMinimal, "refresh", R"({"grant_type":""})"), "refresh.grant_type");
  ExpectInvalid(with(kMinimal, "refresh", R"({"token_param":"client_secret"})"), "refresh.token_param");
  ExpectInvalid(with(kMinimal, "refresh", R"({"params":{"grant_type":"x"}})"), "refresh.params.grant_type");
  ExpectInvalid(with(kMinimal, "refresh", R"({"root":"a..b"})"), "refresh.root");
  ExpectInvalid(with(kMinimal, "refresh", R"({"url":"http://evil.example/token"})"), "refresh.url");
  ExpectInvalid(with(kMinimal, "refresh", R"({"surprise":1})"), "surprise");
  ExpectInvalid(with(kMinimal, "long_lived_exchange", R"({"token":"access_token"})"), "long_lived_exchange.url");
  // The exchange runs before values are learned from the token answer.
  std::string learned = with(kMinimal, "template_params",
                             R"({"h": {"pattern": "^[a-z.]+$", "description": "host", "from": "token_response.h"}})");
  learned = with(learned, "api_base_url", R"("https://{h}/v1")");
  learned = with(learned, "injection", R"({"hosts": ["https://{h}"]})");
  parse_ok(learned);
  ExpectInvalid(with(learned, "long_lived_exchange", R"({"url":"https://{h}/x","token":"access_token"})"),
                "long_lived_exchange.url");
  ExpectInvalid(with(kMinimal, "long_lived_exchange", R"({"url":"https://auth.acme.example/x","token":"refresh_token"})"),
                "long_lived_exchange.token");
  ExpectInvalid(with(kMinimal, "ping", R"({"url":"https://api.acme.example/v1/x","ok_path":".ok"})"), "ping.ok_path");
  ExpectInvalid(with(kMinimal, "metadata", R"({"url":"https://api.acme.example/v1/x","ok_path":"ok"})"), "ok_path");
}

TEST(Provider, DefinitionForKeyFillsOrChecksTheKey) {
  auto filled = definition_for_key("acme", R"({"display_name": "Acme"})");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled, R"({"display_name":"Acme","key":"acme"})");
  auto same = definition_for_key("acme", R"({"key": "acme"})");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, R"({"key":"acme"})");
  for (const char* bad : {R"({"key": "other"})", R"({"key": 1})", "[]", "{"}) {
    auto r = definition_for_key("acme", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request) << bad;
  }
}

TEST(Provider, RoundTripsTemplatesAndOAuth1) {
  Provider ms = parse_ok(kMicrosoftLike);
  auto ms2 = provider_from_json(provider_to_json(ms));
  ASSERT_TRUE(ms2.ok()) << ms2.error().message;
  testing::ExpectSameProvider(ms, *ms2);

  Provider shop = parse_ok(kShopifyLike);
  auto shop2 = provider_from_json(provider_to_json(shop));
  ASSERT_TRUE(shop2.ok()) << shop2.error().message;
  testing::ExpectSameProvider(shop, *shop2);
  EXPECT_FALSE(shop2->template_params[0].default_value.has_value());

  // OAuth 1.0a, modelled on Trello's published endpoints.
  std::string oauth1 = R"({
    "key": "board", "display_name": "Board", "auth_mode": "oauth1",
    "request_token_endpoint": "https://trello.com/1/OAuthGetRequestToken",
    "authorization_endpoint": "https://trello.com/1/OAuthAuthorizeToken",
    "token_endpoint": "https://trello.com/1/OAuthGetAccessToken",
    "api_base_url": "https://api.trello.com/1", "pkce": "unsupported"})";
  Provider o1 = parse_ok(oauth1);
  EXPECT_EQ(o1.auth_mode, AuthMode::oauth1);
  EXPECT_EQ(o1.request_token_endpoint, "https://trello.com/1/OAuthGetRequestToken");
  EXPECT_EQ(o1.signature_method, SignatureMethod::hmac_sha1);  // the default
  auto o1b = provider_from_json(provider_to_json(o1));
  ASSERT_TRUE(o1b.ok()) << o1b.error().message;
  testing::ExpectSameProvider(o1, *o1b);
  for (auto m : {SignatureMethod::hmac_sha256, SignatureMethod::rsa_sha1, SignatureMethod::plaintext}) {
    o1.signature_method = m;
    auto back = provider_from_json(provider_to_json(o1));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->signature_method, m) << to_string(m);
  }
}

TEST(Provider, AcceptsHttpOnlyToLoopback) {
  std::string j = with(kMinimal, "authorization_endpoint", R"("http://localhost:3000/auth")");
  j = with(j, "token_endpoint", R"("http://127.0.0.1:3000/token")");
  j = with(j, "api_base_url", R"("http://localhost:3000/api")");
  Provider p = parse_ok(j);
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"http://localhost:3000"});
  ExpectInvalid(with(kMinimal, "token_endpoint", R"("http://auth.acme.example/oauth/token")"), "token_endpoint");
  ExpectInvalid(with(kMinimal, "authorization_endpoint", R"("http://127.0.0.1.evil.example/a")"),
                "authorization_endpoint");
  ExpectInvalid(with(kMinimal, "api_base_url", R"("http://api.acme.example/v1")"), "api_base_url");
  ExpectInvalid(with(kMinimal, "docs_url", R"("ftp://docs.acme.example")"), "docs_url");
  ExpectInvalid(with(kMinimal, "docs_url", R"("http://docs.acme.example/oauth")"), "docs_url");
  // A documentation link may point into a page; endpoints may not carry a fragment.
  EXPECT_EQ(parse_ok(with(kMinimal, "docs_url", R"("https://docs.acme.example/oauth#scopes")")).docs_url,
            "https://docs.acme.example/oauth#scopes");
  ExpectInvalid(with(kMinimal, "revocation_endpoint", R"("https://auth.acme.example/revoke#x")"),
                "revocation_endpoint");
  ExpectInvalid(with(kMinimal, "userinfo_endpoint", R"("https://user:pw@auth.acme.example/me")"),
                "userinfo_endpoint");
  ExpectInvalid(with(kMinimal, "issuer", R"("not a url")"), "issuer");
  ExpectInvalid(with(kMinimal, "refresh_endpoint", R"("http://auth.acme.example/r")"), "refresh_endpoint");
}

// ------------------------------------------------------------------------------------------
// One rejection per rule; the message names the field.

TEST(Provider, RejectsNonObjectsAndBadJson) {
  auto r = provider_from_json("{\"key\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  r = provider_from_json("[]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

TEST(Provider, RejectsUnknownMembers) {
  ExpectInvalid(with(kMinimal, "scopes", R"(["a"])"), "scopes");
  ExpectInvalid(with(kMinimal, "builtin", "true"), "builtin");
  ExpectInvalid(with(kMinimal, "injection.headr", R"("X")"), "headr");
  ExpectInvalid(with(kMinimal, "token_response.expires_in", R"("seconds")"), "expires_in");
  ExpectInvalid(with(kMinimal, "ping", R"({"url": "https://api.acme.example/v1/me", "timeout": 5})"), "timeout");
}

TEST(Provider, RejectsWrongTypes) {
  ExpectInvalid(with(kMinimal, "key", "7"), "key");
  ExpectInvalid(with(kMinimal, "display_name", "null"), "display_name");
  ExpectInvalid(with(kMinimal, "default_scopes", R"("openid")"), "default_scopes");
  ExpectInvalid(with(kMinimal, "default_scopes", R"(["openid", 1])"), "default_scopes");
  ExpectInvalid(with(kMinimal, "expiry_buffer_seconds", R"("60")"), "expiry_buffer_seconds");
  ExpectInvalid(with(kMinimal, "expiry_buffer_seconds", "1.5"), "expiry_buffer_seconds");
  ExpectInvalid(with(kMinimal, "requires_client_secret", R"("yes")"), "requires_client_secret");
  ExpectInvalid(with(kMinimal, "authorization_params", R"({"max_age": 0})"), "authorization_params");
  ExpectInvalid(with(kMinimal, "token_params", R"(["a"])"), "token_params");
  ExpectInvalid(with(kMinimal, "token_endpoint", R"({"url": "x"})"), "token_endpoint");
  ExpectInvalid(with(kMinimal, "scope_separator", "null"), "scope_separator");
  ExpectInvalid(with(kMinimal, "injection", "null"), "injection");
  ExpectInvalid(with(kMinimal, "ping", R"("https://api.acme.example")"), "ping");
  ExpectInvalid(with(kMinimal, "template_params", R"({"region": "^[a-z]+$"})"), "template_params.region");
}

TEST(Provider, RejectsBadEnums) {
  ExpectInvalid(with(kMinimal, "auth_mode", R"("oauth3")"), "auth_mode");
  ExpectInvalid(with(kMinimal, "pkce", R"("plain")"), "pkce");
  ExpectInvalid(with(kMinimal, "token_endpoint_auth_method", R"("private_key_jwt_rs512")"), "token_endpoint_auth_method");
  ExpectInvalid(with(kMinimal, "token_exchange_body_format", R"("xml")"), "token_exchange_body_format");
  ExpectInvalid(with(kMinimal, "token_response.expires_in_unit", R"("minutes")"), "expires_in_unit");
}

TEST(Provider, RejectsBadKeys) {
  for (const char* key : {"", "Acme", "acme--x", "-acme", "acme-", "acme_x", "acme x", "ácme"}) {
    ExpectInvalid(with(kMinimal, "key", "\"" + std::string(key) + "\""), "key");
  }
  ExpectInvalid(with(kMinimal, "key", "\"" + std::string(65, 'a') + "\""), "key");
  EXPECT_TRUE(provider_from_json(with(kMinimal, "key", "\"" + std::string(64, 'a') + "\"")).ok());
  EXPECT_TRUE(provider_from_json(with(kMinimal, "key", R"("a1-b2-c3")")).ok());
  ExpectInvalid(without(kMinimal, "key"), "key");
  ExpectInvalid(with(kMinimal, "display_name", R"("")"), "display_name");
}

TEST(Provider, RequiresTheEndpointsOfItsAuthMode) {
  ExpectInvalid(without(kMinimal, "authorization_endpoint"), "authorization_endpoint");
  ExpectInvalid(without(kMinimal, "token_endpoint"), "token_endpoint");
  ExpectInvalid(with(kMinimal, "request_token_endpoint", R"("https://auth.acme.example/rt")"),
                "request_token_endpoint");

  std::string cc = with(without(kMinimal, "authorization_endpoint"), "auth_mode", R"("client_credentials")");
  EXPECT_EQ(parse_ok(cc).auth_mode, AuthMode::client_credentials);
  ExpectInvalid(with(kMinimal, "auth_mode", R"("client_credentials")"), "authorization_endpoint");
  ExpectInvalid(without(cc, "token_endpoint"), "token_endpoint");

  std::string o1 = with(kMinimal, "auth_mode", R"("oauth1")");
  ExpectInvalid(o1, "request_token_endpoint");
  o1 = with(o1, "request_token_endpoint", R"("https://auth.acme.example/oauth/request_token")");
  EXPECT_EQ(parse_ok(o1).auth_mode, AuthMode::oauth1);
  ExpectInvalid(without(o1, "authorization_endpoint"), "authorization_endpoint");
  ExpectInvalid(without(o1, "token_endpoint"), "token_endpoint");
  EXPECT_EQ(parse_ok(with(o1, "signature_method", R"("RSA-SHA1")")).signature_method, SignatureMethod::rsa_sha1);
  ExpectInvalid(with(o1, "signature_method", R"("hmac-sha1")"), "signature_method");
  ExpectInvalid(with(kMinimal, "signature_method", R"("HMAC-SHA1")"), "signature_method");
}

TEST(Provider, RejectsUndeclaredAndUnusedTemplates) {
  ExpectInvalid(with(kMinimal, "api_base_url", R"("https://{region}.acme.example/v1")"), "{region}");
  ExpectInvalid(with(kMinimal, "api_base_url", R"("https://{region}.acme.example/v1")"), "template_params");
  std::string unused = with(kMinimal, "template_params",
                            R"({"region": {"pattern": "^[a-z]+$", "default": "eu", "description": "Region"}})");
  ExpectInvalid(unused, "template_params.region");
  // Used only in an injection host still counts as used.
  std::string in_host = with(unused, "injection", R"({"hosts": ["api.acme.example", "{region}.acme.example"]})");
  EXPECT_TRUE(provider_from_json(in_host).ok());
  ExpectInvalid(with(kMinimal, "token_endpoint", R"("https://auth.acme.example/{Tenant}/token")"), "token_endpoint");
  ExpectInvalid(with(kMinimal, "template_params", R"({"Tenant": {"pattern": "^[a-z]+$", "default": "x"}})"),
                "template_params.Tenant");
  ExpectInvalid(with(kMinimal, "token_endpoint", R"("https://auth.acme.example/{tenant/token")"), "token_endpoint");
  ExpectInvalid(with(kMinimal, "token_endpoint", R"("https://auth.acme.example/tenant}/token")"), "token_endpoint");
}

TEST(Provider, RejectsBadPatternsAndDefaults) {
  auto tmpl = [](const std::string& param) {
    return with(with(kMinimal, "api_base_url", R"("https://{region}.acme.example/v1")"), "template_params",
                R"({"region": )" + param + "}");
  };
  EXPECT_TRUE(provider_from_json(tmpl(R"({"pattern": "^[a-z]{2}$", "default": "eu", "description": "Region"})")).ok());
  EXPECT_TRUE(provider_from_json(tmpl(R"({"pattern": "^[a-z]{2}$", "description": "Region"})")).ok());
  EXPECT_TRUE(provider_from_json(tmpl(R"({"pattern": "^[a-z]{2}$"})")).ok());  // description defaults to ""
  ExpectInvalid(tmpl(R"({"pattern": "[a-z]{2}", "description": "Region"})"), "template_params.region.pattern");
  ExpectInvalid(tmpl(R"({"pattern": "^[a-z]{5,2}$", "description": "Region"})"), "template_params.region.pattern");
  ExpectInvalid(tmpl(R"({"pattern": "^([a-z]$", "description": "Region"})"), "template_params.region.pattern");
  ExpectInvalid(tmpl(R"({"description": "Region"})"), "template_params.region.pattern");
  ExpectInvalid(tmpl(R"({"pattern": "^[a-z]{2}$", "default": "europe", "description": "Region"})"),
                "template_params.region.default");
  // A default must be safe to splice into a URL even when the pattern would allow anything.
  ExpectInvalid(tmpl(R"({"pattern": "^.+$", "default": "evil.example/x", "description": "Region"})"),
                "template_params.region.default");
  ExpectInvalid(tmpl(R"({"pattern": "^[a-z]{2}$", "default": 12, "description": "Region"})"),
                "template_params.region.default");
}

TEST(Provider, RejectsBadInjection) {
  ExpectInvalid(with(kMinimal, "injection", R"({"hosts": []})"), "injection.hosts");
  ExpectInvalid(without(kMinimal, "api_base_url"), "injection.hosts");
  // A port needs its scheme: which one a bare "host:443" means would be a guess.
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "api.acme.example:443"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://api.acme.example/v1"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://api.acme.example?x=1"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://u@api.acme.example"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "ftp://api.acme.example"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://api.acme.example:0"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://api.acme.example:65536"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "https://api.acme.example:"])"),
                "injection.hosts");
  // Plain http only to this machine, and never for a whole domain.
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "http://api.acme.example"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "http://*.localhost"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["HTTPS://api.acme.example"])"), "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "api.acme.example/v1"])"),
                "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["API.acme.example"])"), "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "*.com"])"), "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "*"])"), "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api.acme.example", "a.*.acme.example"])"), "injection.hosts");
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["api..acme.example"])"), "injection.hosts");
  // Exactly one of header and query_param.
  ExpectInvalid(with(kMinimal, "injection.query_param", R"("access_token")"), "injection");
  ExpectInvalid(with(kMinimal, "injection.header", "null"), "injection");
  ExpectInvalid(with(kMinimal, "injection.header", R"("Bad Header")"), "injection.header");
  ExpectInvalid(with(kMinimal, "injection.prefix", R"("Bearer\r\nX-Evil: 1")"), "injection.prefix");
  // A wildcard covers subdomains; the bare form is read as https on 443 and kept as that origin.
  Provider p = parse_ok(with(kMinimal, "injection.hosts", R"(["*.acme.example"])"));
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"https://*.acme.example"});
}

// Entries are origins. The catalog's and older stored providers' bare host names mean https on
// 443 (and are written back as such); the default port, named, is the same origin.
TEST(Provider, InjectionEntriesAreOrigins) {
  Provider p = parse_ok(with(kMinimal, "injection.hosts",
                             R"(["api.acme.example", "https://api.acme.example:443/", "https://*.files.acme.example:8443",
                                 "http://127.0.0.1:3000", "http://[::1]:80"])"));
  EXPECT_EQ(p.injection.hosts, (std::vector<std::string>{"https://api.acme.example", "https://api.acme.example",
                                                         "https://*.files.acme.example:8443", "http://127.0.0.1:3000",
                                                         "http://[::1]"}));
  auto doc = json::parse(provider_to_json(p), "provider_to_json output");
  ASSERT_TRUE(doc.ok());
  const auto& hosts = doc->get<json::Object>().at("injection").get<json::Object>().at("hosts").get<json::Array>();
  ASSERT_EQ(hosts.size(), 5u);
  EXPECT_EQ(hosts[0].get<std::string>(), "https://api.acme.example");
  EXPECT_EQ(hosts[2].get<std::string>(), "https://*.files.acme.example:8443");

  // An old stored provider whose API is on another port no longer reaches it by host name: its
  // injection must name that origin, and the error says so.
  std::string on_port = with(kMinimal, "api_base_url", R"("https://api.acme.example:8443/v1")");
  auto old = provider_from_json(with(on_port, "injection.hosts", R"(["api.acme.example"])"));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("api_base_url origin 'https://api.acme.example:8443' is not allowed by "
                                     "injection.hosts (https://api.acme.example)"),
            std::string::npos)
      << old.error().message;
  Provider fixed = parse_ok(with(on_port, "injection.hosts", R"(["https://api.acme.example:8443"])"));
  EXPECT_EQ(fixed.injection.hosts, std::vector<std::string>{"https://api.acme.example:8443"});
  // Named only by its API base URL, the token goes to that origin, port and all.
  EXPECT_EQ(parse_ok(on_port).injection.hosts, std::vector<std::string>{"https://api.acme.example:8443"});
}

TEST(Provider, TokenOnlyGoesToInjectionHosts) {
  ExpectInvalid(with(kMinimal, "injection.hosts", R"(["files.acme.example"])"), "api_base_url");
  // *.acme.example does not cover acme.example itself.
  std::string apex = with(kMinimal, "api_base_url", R"("https://acme.example/api")");
  ExpectInvalid(with(apex, "injection.hosts", R"(["*.acme.example"])"), "api_base_url");
  ExpectInvalid(with(kMinimal, "ping", R"({"method": "GET", "url": "https://status.evil.example/ping", "headers": {}})"),
                "ping.url");
  ExpectInvalid(with(kMinimal, "identity", R"({"url": "https://evil.example/me", "account_path": "id", "headers": {}})"),
                "identity.url");
  ExpectInvalid(with(kMinimal, "ping", R"({"method": "DELETE", "url": "https://api.acme.example/v1/me", "headers": {}})"),
                "ping.method");
  ExpectInvalid(with(kMinimal, "ping", R"({"url": "https://api.acme.example/v1/me", "headers": {"Bad Name": "x"}})"),
                "ping.headers");
  ExpectInvalid(with(kMinimal, "identity", R"({"url": "https://api.acme.example/v1/me", "account_path": "", "headers": {}})"),
                "identity.account_path");
  ExpectInvalid(with(kMinimal, "identity", R"({"url": "https://api.acme.example/v1/me"})"), "identity.account_path");
  // Defaults inside ping: GET, no headers.
  Provider p = parse_ok(with(kMinimal, "ping", R"({"url": "https://api.acme.example/v1/me"})"));
  ASSERT_TRUE(p.ping.has_value());
  EXPECT_EQ(p.ping->method, "GET");
  EXPECT_TRUE(p.ping->headers.empty());
}

TEST(Provider, RejectsBadScopesAndParams) {
  ExpectInvalid(with(kMinimal, "scope_separator", R"(";")"), "scope_separator");
  ExpectInvalid(with(kMinimal, "scope_separator", R"("")"), "scope_separator");
  EXPECT_EQ(parse_ok(with(kMinimal, "scope_separator", R"(",")")).scope_separator, ",");
  ExpectInvalid(with(kMinimal, "scope_param", R"("")"), "scope_param");
  ExpectInvalid(with(kMinimal, "default_scopes", R"(["read write"])"), "default_scopes");
  ExpectInvalid(with(kMinimal, "default_scopes", R"([""])"), "default_scopes");
  ExpectInvalid(with(kMinimal, "available_scopes", R"(["a\"b"])"), "available_scopes");
  ExpectInvalid(with(with(kMinimal, "scope_separator", R"(",")"), "default_scopes", R"(["a,b"])"), "default_scopes");
  // Parameters latchkey sets itself cannot be overridden.
  ExpectInvalid(with(kMinimal, "authorization_params", R"({"state": "fixed"})"), "authorization_params");
  ExpectInvalid(with(kMinimal, "authorization_params", R"({"redirect_uri": "https://evil.example"})"),
                "authorization_params");
  ExpectInvalid(with(kMinimal, "authorization_params", R"({"scope": "admin"})"), "authorization_params");
  ExpectInvalid(with(kMinimal, "token_params", R"({"grant_type": "password"})"), "token_params");
  EXPECT_TRUE(provider_from_json(with(kMinimal, "authorization_params", R"({"prompt": "consent"})")).ok());
}

TEST(Provider, RejectsOutOfRangeNumbersAndOtherFields) {
  ExpectInvalid(with(kMinimal, "expiry_buffer_seconds", "86401"), "expiry_buffer_seconds");
  ExpectInvalid(with(kMinimal, "expiry_buffer_seconds", "-1"), "expiry_buffer_seconds");
  EXPECT_EQ(parse_ok(with(kMinimal, "expiry_buffer_seconds", "86400")).expiry_buffer_seconds, 86400);
  EXPECT_EQ(parse_ok(with(kMinimal, "expiry_buffer_seconds", "0")).expiry_buffer_seconds, 0);
  ExpectInvalid(with(kMinimal, "token_response.root", R"("a..b")"), "token_response.root");
  ExpectInvalid(with(kMinimal, "authorization_response_iss_parameter_supported", "true"),
                "authorization_response_iss_parameter_supported");
  ExpectInvalid(with(kMinimal, "managed_service_config_key", R"("a b")"), "managed_service_config_key");
}

// Messages about a token answer quote root and keep names (found by fuzz_token_response with a
// 5 KiB root): a definition may hold 128 characters, not more.
TEST(Provider, TokenResponseNamesAreShortEnoughToQuote) {
  const std::string at_limit(128, 'a'), keep_at_limit(128, 'k'), over(129, 'a');
  ExpectInvalid(with(kMinimal, "token_response", R"({"root": ")" + over + R"("})"),
                "token_response.root is longer than 128 characters");
  ExpectInvalid(with(kMinimal, "token_response", R"({"keep": [")" + over + R"("]})"),
                "token_response.keep has a member name longer than 128 characters");
  Provider p = parse_ok(with(kMinimal, "token_response", R"({"root": ")" + at_limit + R"(", "keep": [")" + keep_at_limit + R"("]})"));
  EXPECT_EQ(p.token_response.root, at_limit);
  EXPECT_EQ(p.token_response.keep, std::vector<std::string>{keep_at_limit});
}

TEST(Provider, ValidateProviderChecksCodeBuiltProviders) {
  Provider p = parse_ok(kMinimal);
  EXPECT_TRUE(validate_provider(p).ok());
  p.token_endpoint = "http://auth.acme.example/token";
  Status st = validate_provider(p);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::invalid_request);
  EXPECT_NE(st.error().message.find("token_endpoint"), std::string::npos);
}

TEST(Provider, EnumNames) {
  EXPECT_STREQ(to_string(AuthMode::oauth2), "oauth2");
  EXPECT_STREQ(to_string(AuthMode::client_credentials), "client_credentials");
  EXPECT_STREQ(to_string(AuthMode::oauth1), "oauth1");
  EXPECT_STREQ(to_string(PkceSupport::required), "required");
  EXPECT_STREQ(to_string(PkceSupport::supported), "supported");
  EXPECT_STREQ(to_string(PkceSupport::unsupported), "unsupported");
  EXPECT_STREQ(to_string(ClientAuthMethod::client_secret_basic), "client_secret_basic");
  EXPECT_STREQ(to_string(ClientAuthMethod::client_secret_post), "client_secret_post");
  EXPECT_STREQ(to_string(ClientAuthMethod::none), "none");
  EXPECT_STREQ(to_string(BodyFormat::form), "form");
  EXPECT_STREQ(to_string(BodyFormat::json), "json");
}

// ------------------------------------------------------------------------------------------
// Templates

TEST(Provider, ResolveUsesTheDefaultTenant) {
  Provider p = parse_ok(kMicrosoftLike);
  auto r = resolve_provider(p, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->authorization_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize");
  EXPECT_EQ(r->token_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token");
  EXPECT_EQ(r->api_base_url, "https://graph.microsoft.com/v1.0");
  EXPECT_TRUE(r->template_params.empty());
  EXPECT_TRUE(validate_provider(*r).ok());
}

TEST(Provider, ResolveUsesAnExplicitTenant) {
  Provider p = parse_ok(kMicrosoftLike);
  auto r = resolve_provider(p, {{"tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->authorization_endpoint,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize");
  EXPECT_EQ(r->token_endpoint,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token");
  auto domain = resolve_provider(p, {{"tenant", "contoso.onmicrosoft.com"}});
  ASSERT_TRUE(domain.ok()) << domain.error().message;
  EXPECT_EQ(domain->token_endpoint, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");

  auto bad = resolve_provider(p, {{"tenant", "common/../evil"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_request);
  EXPECT_NE(bad.error().message.find("tenant"), std::string::npos);
  auto unknown = resolve_provider(p, {{"region", "eu"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("region"), std::string::npos);
}

TEST(Provider, ResolveShopifyShop) {
  Provider p = parse_ok(kShopifyLike);
  auto missing = resolve_provider(p, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::invalid_request);
  EXPECT_NE(missing.error().message.find("shop"), std::string::npos);

  auto r = resolve_provider(p, {{"shop", "my-store"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->authorization_endpoint, "https://my-store.myshopify.com/admin/oauth/authorize");
  EXPECT_EQ(r->token_endpoint, "https://my-store.myshopify.com/admin/oauth/access_token");
  EXPECT_EQ(r->api_base_url, "https://my-store.myshopify.com/admin/api");
  EXPECT_EQ(r->injection.hosts, std::vector<std::string>{"https://my-store.myshopify.com"});
  EXPECT_TRUE(r->template_params.empty());
  EXPECT_TRUE(origin_allowed(r->injection, "https://my-store.myshopify.com/admin"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://other.myshopify.com/admin"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://my-store.myshopify.com:8443/admin"));

  // Host names are case-insensitive: an upper-case shop still yields a lower-case host pattern.
  auto upper = resolve_provider(p, {{"shop", "My-Store"}});
  ASSERT_TRUE(upper.ok()) << upper.error().message;
  EXPECT_EQ(upper->injection.hosts, std::vector<std::string>{"https://my-store.myshopify.com"});

  for (const char* value : {"evil.com/x", "a b", "evil.com", "", "-store", "a@evil.com", "a#b", "a?b"}) {
    auto bad = resolve_provider(p, {{"shop", value}});
    ASSERT_FALSE(bad.ok()) << value;
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_request) << value;
    EXPECT_NE(bad.error().message.find("shop"), std::string::npos) << value;
  }
}

TEST(Provider, ResolveRefusesUrlSyntaxEvenWhenThePatternAllowsIt) {
  std::string loose = with(kShopifyLike, "template_params.shop.pattern", R"("^.+$")");
  Provider p = parse_ok(loose);
  for (const char* value : {"evil.com/x", "a b", "evil.com?x=", "evil.com#", "user@evil.com", "a\\b", "a\tb", "{shop}"}) {
    auto r = resolve_provider(p, {{"shop", value}});
    EXPECT_FALSE(r.ok()) << value;
  }
  EXPECT_TRUE(resolve_provider(p, {{"shop", "fine-shop"}}).ok());
}

// Auth0-style client credentials: the audience is itself a URL and goes into the token
// request body (form-encoded), so only its pattern applies, not the URL-character ban.
TEST(Provider, TemplatesInRequestParameters) {
  std::string j = with(kMinimal, "token_params", R"({"audience": "{audience}"})");
  ExpectInvalid(j, "{audience}");
  j = with(j, "template_params", R"({"audience": {"pattern": "^[!-~]{1,256}$", "description": "API identifier"}})");
  Provider p = parse_ok(j);
  auto r = resolve_provider(p, {{"audience", "https://api.acme.example/"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->token_params, (Params{{"audience", "https://api.acme.example/"}}));
  EXPECT_EQ(r->api_base_url, "https://api.acme.example/v1");
  EXPECT_FALSE(resolve_provider(p, {{"audience", "a b"}}).ok());
  EXPECT_FALSE(resolve_provider(p, {}).ok());

  // Used in a URL and a parameter: the URL rules win.
  std::string both = with(j, "api_base_url", R"("https://{audience}.acme.example/v1")");
  both = with(both, "injection", R"({"hosts": ["*.acme.example"]})");
  Provider pb = parse_ok(both);
  EXPECT_FALSE(resolve_provider(pb, {{"audience", "https://api.acme.example/"}}).ok());
  auto ok = resolve_provider(pb, {{"audience", "eu"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->api_base_url, "https://eu.acme.example/v1");
  EXPECT_EQ(ok->token_params, (Params{{"audience", "eu"}}));

  std::string auth = with(kMinimal, "authorization_params", R"({"resource": "{resource}"})");
  auth = with(auth, "template_params", R"({"resource": {"pattern": "^[a-z]+$", "default": "graph"}})");
  auto ra = resolve_provider(parse_ok(auth), {});
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  EXPECT_EQ(ra->authorization_params, (Params{{"resource", "graph"}}));
}

TEST(Provider, ResolveWithoutTemplatesIsTheSameProvider) {
  Provider p = parse_ok(kMinimal);
  auto r = resolve_provider(p, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  testing::ExpectSameProvider(p, *r);
  EXPECT_FALSE(resolve_provider(p, {{"tenant", "x"}}).ok());
}

TEST(Provider, ResolveStillValidatesAProviderBuiltInCode) {
  // The engine skips validating a template-free provider it read (its reader validated it);
  // the public resolve_provider takes providers built in code too, and still refuses a bad one.
  Provider p = parse_ok(kMinimal);
  p.key = "Bad Key";
  auto r = resolve_provider(p, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
}

// ------------------------------------------------------------------------------------------
// Discovery

// Google's published https://accounts.google.com/.well-known/openid-configuration (abridged).
const char* const kGoogleDiscovery = R"({
  "issuer": "https://accounts.google.com",
  "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
  "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
  "token_endpoint": "https://oauth2.googleapis.com/token",
  "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
  "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
  "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
  "response_types_supported": ["code", "token", "id_token", "code token", "code id_token", "token id_token",
                               "code token id_token", "none"],
  "subject_types_supported": ["public"],
  "id_token_signing_alg_values_supported": ["RS256"],
  "scopes_supported": ["openid", "email", "profile"],
  "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
  "claims_supported": ["aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss",
                       "name", "picture", "sub"],
  "code_challenge_methods_supported": ["plain", "S256"],
  "grant_types_supported": ["authorization_code", "refresh_token",
                            "urn:ietf:params:oauth:grant-type:device_code",
                            "urn:ietf:params:oauth:grant-type:jwt-bearer"]
})";

TEST(Provider, DiscoveryHappyPath) {
  auto r = provider_from_discovery("google-oidc", "https://accounts.google.com", kGoogleDiscovery);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Provider& p = *r;
  EXPECT_EQ(p.key, "google-oidc");
  EXPECT_EQ(p.display_name, "google-oidc");
  EXPECT_EQ(p.auth_mode, AuthMode::oauth2);
  EXPECT_EQ(p.issuer, "https://accounts.google.com");
  EXPECT_EQ(p.authorization_endpoint, "https://accounts.google.com/o/oauth2/v2/auth");
  EXPECT_EQ(p.token_endpoint, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(p.revocation_endpoint, "https://oauth2.googleapis.com/revoke");
  EXPECT_EQ(p.userinfo_endpoint, "https://openidconnect.googleapis.com/v1/userinfo");
  EXPECT_EQ(p.device_authorization_endpoint, "https://oauth2.googleapis.com/device/code");
  // Kept through the JSON form (and left out of it when there is none: catalog JSON unchanged).
  auto back = provider_from_json(provider_to_json(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->device_authorization_endpoint, p.device_authorization_endpoint);
  Provider none = p;
  none.device_authorization_endpoint.clear();
  EXPECT_EQ(provider_to_json(none).find("device_authorization_endpoint"), std::string::npos);
  EXPECT_EQ(p.available_scopes, (std::vector<std::string>{"openid", "email", "profile"}));
  EXPECT_EQ(p.default_scopes, std::vector<std::string>{"openid"});
  EXPECT_EQ(p.pkce, PkceSupport::supported);
  EXPECT_EQ(p.token_endpoint_auth_method, ClientAuthMethod::client_secret_basic);
  EXPECT_FALSE(p.authorization_response_iss_parameter_supported);
  EXPECT_EQ(p.api_base_url, "https://accounts.google.com");
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"https://accounts.google.com"});
  EXPECT_TRUE(p.requires_client_secret);
  EXPECT_FALSE(p.ping.has_value());
  EXPECT_FALSE(p.identity.has_value());
  EXPECT_TRUE(validate_provider(p).ok());
}

TEST(Provider, DiscoveryIssuerMustMatchExactly) {
  auto r = provider_from_discovery("google-oidc", "https://accounts.google.com/", kGoogleDiscovery);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find("issuer mismatch"), std::string::npos) << r.error().message;
  auto other = provider_from_discovery("google-oidc", "https://accounts.evil.example", kGoogleDiscovery);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("issuer mismatch"), std::string::npos);
  auto no_issuer = provider_from_discovery("x", "https://accounts.google.com", without(kGoogleDiscovery, "issuer"));
  EXPECT_FALSE(no_issuer.ok());
}

TEST(Provider, DiscoveryPkceAndClientAuthChoices) {
  auto pkce = [](const std::string& value) {
    std::string doc = value.empty() ? without(kGoogleDiscovery, "code_challenge_methods_supported")
                                    : with(kGoogleDiscovery, "code_challenge_methods_supported", value);
    auto r = provider_from_discovery("g", "https://accounts.google.com", doc);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->pkce : PkceSupport::required;
  };
  EXPECT_EQ(pkce(R"(["plain"])"), PkceSupport::unsupported);
  EXPECT_EQ(pkce(R"(["S256"])"), PkceSupport::supported);
  EXPECT_EQ(pkce("[]"), PkceSupport::unsupported);
  EXPECT_EQ(pkce(""), PkceSupport::supported);

  auto auth = [](const std::string& value) {
    std::string doc = value.empty() ? without(kGoogleDiscovery, "token_endpoint_auth_methods_supported")
                                    : with(kGoogleDiscovery, "token_endpoint_auth_methods_supported", value);
    return provider_from_discovery("g", "https://accounts.google.com", doc);
  };
  EXPECT_EQ(auth(R"(["client_secret_post"])")->token_endpoint_auth_method, ClientAuthMethod::client_secret_post);
  EXPECT_EQ(auth(R"(["none", "client_secret_post"])")->token_endpoint_auth_method,
            ClientAuthMethod::client_secret_post);
  auto none = auth(R"(["private_key_jwt", "none"])");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->token_endpoint_auth_method, ClientAuthMethod::none);
  EXPECT_FALSE(none->requires_client_secret);
  EXPECT_EQ(auth("")->token_endpoint_auth_method, ClientAuthMethod::client_secret_basic);  // RFC 8414 default
  // private_key_jwt only when nothing simpler is offered: the app then needs its key as the secret.
  auto jwt_only = auth(R"(["private_key_jwt"])");
  ASSERT_TRUE(jwt_only.ok());
  EXPECT_EQ(jwt_only->token_endpoint_auth_method, ClientAuthMethod::private_key_jwt);
  auto tls_only = auth(R"(["tls_client_auth"])");
  ASSERT_FALSE(tls_only.ok());
  EXPECT_EQ(tls_only.error().code, ErrorCode::unsupported);
}

TEST(Provider, DiscoveryOtherMembers) {
  std::string iss = with(kGoogleDiscovery, "authorization_response_iss_parameter_supported", "true");
  auto r = provider_from_discovery("g", "https://accounts.google.com", iss);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->authorization_response_iss_parameter_supported);

  std::string cc = with(kGoogleDiscovery, "grant_types_supported", R"(["client_credentials"])");
  auto m2m = provider_from_discovery("m2m", "https://accounts.google.com", cc);
  ASSERT_TRUE(m2m.ok()) << m2m.error().message;
  EXPECT_EQ(m2m->auth_mode, AuthMode::client_credentials);
  EXPECT_EQ(m2m->authorization_endpoint, "");
  EXPECT_EQ(m2m->token_endpoint, "https://oauth2.googleapis.com/token");

  std::string no_openid = with(kGoogleDiscovery, "scopes_supported", R"(["read", "write"])");
  auto plain = provider_from_discovery("g", "https://accounts.google.com", no_openid);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->default_scopes.empty());
  EXPECT_EQ(plain->available_scopes, (std::vector<std::string>{"read", "write"}));

  // A local test server (e.g. oidc-provider) over http on loopback.
  const char* local = R"({"issuer": "http://localhost:3000", "authorization_endpoint": "http://localhost:3000/auth",
                          "token_endpoint": "http://localhost:3000/token"})";
  auto lr = provider_from_discovery("local-idp", "http://localhost:3000", local);
  ASSERT_TRUE(lr.ok()) << lr.error().message;
  EXPECT_EQ(lr->injection.hosts, std::vector<std::string>{"http://localhost:3000"});

  const char* insecure = R"({"issuer": "http://idp.example", "authorization_endpoint": "http://idp.example/auth",
                             "token_endpoint": "http://idp.example/token"})";
  auto ir = provider_from_discovery("idp", "http://idp.example", insecure);
  ASSERT_FALSE(ir.ok());
  EXPECT_EQ(ir.error().code, ErrorCode::invalid_request);

  auto not_json = provider_from_discovery("g", "https://accounts.google.com", "<html>");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code, ErrorCode::malformed_response);
  auto wrong_type = provider_from_discovery("g", "https://accounts.google.com",
                                            with(kGoogleDiscovery, "token_endpoint", "42"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().code, ErrorCode::malformed_response);
  auto bad_key = provider_from_discovery("Google OIDC", "https://accounts.google.com", kGoogleDiscovery);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message.find("key"), std::string::npos);
}

// ------------------------------------------------------------------------------------------
// origin_allowed

TEST(Provider, OriginAllowedTable) {
  Injection inj;
  inj.hosts = {"api.example.com", "https://*.example.org", "https://api.example.net:8443", "http://127.0.0.1:3000"};
  struct Case {
    const char* url;
    bool allowed;
  } cases[] = {
      {"https://api.example.com/v1", true},
      {"https://API.Example.COM/v1", true},
      {"https://api.example.com:443/v1", true},     // the default port, named
      {"https://api.example.com:8443/v1", false},   // another port on the same host
      {"http://api.example.com/v1", false},         // another scheme
      {"http://api.example.com:443/v1", false},
      {"https://api.example.com.evil.net/", false}, // look-alike hosts
      {"https://example.com.evil.net/", false},
      {"https://evilapi.example.com/", false},
      {"https://example.com/", false},
      {"https://a.example.org/", true},
      {"https://a.b.example.org/", true},
      {"https://a.example.org:444/", false},        // the wildcard is for hosts, not ports
      {"https://example.org/", false},              // subdomains only
      {"https://a..example.org/", false},
      {"https://api.example.net:8443/x", true},
      {"https://api.example.net/x", false},         // 443 is not 8443
      {"http://127.0.0.1:3000/x", true},
      {"http://127.0.0.1:3001/x", false},
      {"https://127.0.0.1:3000/x", false},
      {"http://127.0.0.1/x", false},
      {"api.example.com", false},                   // not a URL
      {"https://user@api.example.com/", false},
      {"", false},
  };
  for (const auto& c : cases) EXPECT_EQ(origin_allowed(inj, c.url), c.allowed) << c.url;

  Injection loopback;
  loopback.hosts = {"http://localhost:3000", "http://[::1]:8080"};
  EXPECT_TRUE(origin_allowed(loopback, "http://localhost:3000/cb"));
  EXPECT_TRUE(origin_allowed(loopback, "http://[::1]:8080/"));
  EXPECT_FALSE(origin_allowed(loopback, "http://[::1]/"));
  EXPECT_FALSE(origin_allowed(loopback, "http://localhost:8080/"));

  Injection none;
  EXPECT_FALSE(origin_allowed(none, "https://api.example.com/"));
}

// A learned template value may carry a port (a self-hosted server's): the entry becomes that origin.
TEST(Provider, TemplateValuesMakeOrigins) {
  const char* self_hosted = R"({
    "key": "forge", "display_name": "Forge",
    "authorization_endpoint": "https://{host}/oauth/authorize",
    "token_endpoint": "https://{host}/oauth/token",
    "api_base_url": "https://{host}/api/v4",
    "template_params": {"host": {"pattern": "^[a-z0-9.-]+(:[0-9]{1,5})?$", "description": "Server host[:port]"}},
    "injection": {"hosts": ["{host}"], "header": "Authorization", "prefix": "Bearer ", "query_param": null}
  })";
  Provider p = parse_ok(self_hosted);
  EXPECT_EQ(p.injection.hosts, std::vector<std::string>{"https://{host}"});
  auto r = resolve_provider(p, {{"host", "git.example.com:8443"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->injection.hosts, std::vector<std::string>{"https://git.example.com:8443"});
  EXPECT_TRUE(origin_allowed(r->injection, "https://git.example.com:8443/api/v4/user"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://git.example.com/api/v4/user"));
  auto plain = resolve_provider(p, {{"host", "git.example.com"}});
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->injection.hosts, std::vector<std::string>{"https://git.example.com"});
  EXPECT_FALSE(origin_allowed(plain->injection, "https://git.example.com:8443/api/v4/user"));
}

}  // namespace
}  // namespace latchkey
