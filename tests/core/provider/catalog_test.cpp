// The built-in catalog (core/catalog/providers.json): complete, valid, well-formed per entry,
// and right about the endpoints of the providers people use most (checked against each
// provider's published documentation, not against this code).
#include "latchkey/catalog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "core/provider/catalog_access.hpp"
#include "core/provider/provider_equal.hpp"
#include "json.hpp"
#include "url.hpp"

namespace latchkey {
namespace detail {
std::string_view embedded_catalog();
}  // namespace detail

namespace {

namespace json = detail::json;

using testing::catalog;
const Provider& get(const std::string& key) { return testing::catalog_entry(key); }

TEST(Catalog, Loads) {
  const auto& r = builtin_providers();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->size(), 50u);
  // Parsed once: the same object every time.
  EXPECT_EQ(&builtin_providers(), &r);
}

TEST(Catalog, EveryEntryValidates) {
  // Entry by entry, so one bad entry does not hide the others.
  auto doc = json::parse(detail::embedded_catalog(), "catalog");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const json::Array* raw = json::get_array(doc->get<json::Object>(), "providers");
  ASSERT_NE(raw, nullptr);
  for (const auto& entry : *raw) {
    auto p = provider_from_json(json::serialize(entry));
    const std::string* key = entry.is<json::Object>() ? json::get_string(entry.get<json::Object>(), "key") : nullptr;
    EXPECT_TRUE(p.ok()) << (key ? *key : json::serialize(entry).substr(0, 40)) << ": "
                        << (p.ok() ? "" : p.error().message);
  }
  for (const auto& p : catalog()) {
    EXPECT_TRUE(p.builtin) << p.key;
    Status st = validate_provider(p);
    EXPECT_TRUE(st.ok()) << p.key << ": " << (st.ok() ? "" : st.error().message);
  }
}

TEST(Catalog, KeysAreUniqueSortedAndFound) {
  const auto& list = catalog();
  ASSERT_FALSE(list.empty());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_TRUE(seen.insert(list[i].key).second) << "duplicate key " << list[i].key;
    if (i > 0) {
      EXPECT_LT(list[i - 1].key, list[i].key);
    }
    // A lookup reads only its own entry: the same provider as the whole catalog's, every time.
    const Provider* found = find_builtin(list[i].key);
    ASSERT_NE(found, nullptr) << list[i].key;
    testing::ExpectSameProvider(*found, list[i]);
    EXPECT_TRUE(found->builtin);
    EXPECT_EQ(find_builtin(list[i].key), found);
  }
  EXPECT_EQ(find_builtin(""), nullptr);
  EXPECT_EQ(find_builtin("no-such-provider"), nullptr);
  EXPECT_EQ(find_builtin("Google"), nullptr);
  EXPECT_EQ(find_builtin("googl"), nullptr);
  EXPECT_EQ(find_builtin("zzzz"), nullptr);
}

TEST(Catalog, HasTheRequiredProviders) {
  const char* required[] = {
      "google",   "microsoft", "github",   "gitlab",   "bitbucket", "slack",      "salesforce", "hubspot",  "notion",
      "atlassian", "dropbox",  "box",      "zoom",     "spotify",   "xero",       "quickbooks", "linkedin", "x",
      "discord",  "twitch",    "reddit",   "asana",    "linear",    "figma",      "airtable",   "calendly", "shopify",
      "zendesk",  "okta",      "auth0",    "facebook", "instagram", "pinterest",  "tiktok",     "mailchimp", "intercom",
      "monday",   "clickup",   "miro",     "docusign", "strava",    "fitbit",     "yahoo",      "amazon",   "stripe",
      "typeform", "webflow",   "canva",    "smartsheet", "trello",
  };
  for (const char* key : required) EXPECT_NE(find_builtin(key), nullptr) << key;
}

// The raw JSON, not the parsed form: the parser fills in defaults for custom providers, but
// every catalog entry must spell out every schema member.
TEST(Catalog, RawEntriesHaveExactlyTheSchemaKeys) {
  auto doc = json::parse(detail::embedded_catalog(), "catalog");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_TRUE(doc->is<json::Object>());
  const auto& top = doc->get<json::Object>();
  EXPECT_EQ(top.size(), 2u);
  std::int64_t version = 0;
  EXPECT_TRUE(json::get_int(top, "version", &version));
  EXPECT_EQ(version, 1);
  const json::Array* providers = json::get_array(top, "providers");
  ASSERT_NE(providers, nullptr);

  const std::set<std::string> required = {
      "key", "display_name", "auth_mode", "authorization_endpoint", "token_endpoint", "revocation_endpoint",
      "userinfo_endpoint", "issuer", "api_base_url", "default_scopes", "scope_separator", "scope_param", "pkce",
      "token_endpoint_auth_method", "authorization_params", "token_params", "token_response", "template_params",
      "expiry_buffer_seconds", "token_exchange_body_format", "refresh_endpoint", "ping", "identity", "injection",
      "available_scopes", "requires_client_secret", "managed_service_config_key", "docs_url", "category", "logo_url",
      "scope_descriptions"};
  const std::set<std::string> optional = {"request_token_endpoint", "signature_method",
                                          "authorization_response_iss_parameter_supported",
                                          "device_authorization_endpoint", "client_id_param", "metadata",
                                          "exchange_params", "token_request_headers", "api_headers", "refresh",
                                          "long_lived_exchange", "revocation_style", "client_credentials_grant_type", "signed_client_secret",
                                          "pushed_authorization_request_endpoint", "resource"};
  const std::set<std::string> signature_methods = {"HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "PLAINTEXT"};
  auto keys_of = [](const json::Object& o) {
    std::set<std::string> k;
    for (const auto& kv : o) k.insert(kv.first);
    return k;
  };
  auto expect_keys = [&keys_of](const json::Object& o, const std::set<std::string>& want, const std::string& what) {
    EXPECT_EQ(keys_of(o), want) << what;
  };

  for (const auto& entry : *providers) {
    ASSERT_TRUE(entry.is<json::Object>());
    const auto& o = entry.get<json::Object>();
    const std::string* key = json::get_string(o, "key");
    ASSERT_NE(key, nullptr);
    SCOPED_TRACE(*key);
    for (const auto& name : required) EXPECT_EQ(o.count(name), 1u) << "missing " << name;
    for (const auto& kv : o) {
      EXPECT_TRUE(required.count(kv.first) || optional.count(kv.first)) << "unknown member " << kv.first;
    }
    // request_token_endpoint belongs to OAuth 1.0a entries, and they must have it.
    const std::string* mode = json::get_string(o, "auth_mode");
    ASSERT_NE(mode, nullptr);
    EXPECT_EQ(o.count("request_token_endpoint") == 1, *mode == "oauth1");
    // So does the signature method, spelled as oauth_signature_method spells it.
    EXPECT_EQ(o.count("signature_method") == 1, *mode == "oauth1");
    if (const std::string* sm = json::get_string(o, "signature_method")) {
      EXPECT_TRUE(signature_methods.count(*sm)) << *sm;
    }

    const json::Object* tr = json::get_object(o, "token_response");
    ASSERT_NE(tr, nullptr);
    expect_keys(*tr, {"root", "keep", "expires_in_unit"}, "token_response");
    const json::Object* inj = json::get_object(o, "injection");
    ASSERT_NE(inj, nullptr);
    expect_keys(*inj, {"hosts", "header", "prefix", "query_param"}, "injection");
    if (const json::Object* ping = json::get_object(o, "ping")) {
      auto k = keys_of(*ping);
      k.erase("ok_path");
      EXPECT_EQ(k, (std::set<std::string>{"method", "url", "headers"})) << "ping";
    } else {
      EXPECT_TRUE(o.at("ping").is<picojson::null>());
    }
    if (const json::Object* m = json::get_object(o, "metadata")) expect_keys(*m, {"method", "url", "headers"}, "metadata");
    for (const char* style : {"refresh", "long_lived_exchange"}) {
      if (const json::Object* g = json::get_object(o, style)) {
        expect_keys(*g, {"url", "method", "grant_type", "token", "token_param", "params", "client_auth", "root"}, style);
      }
    }
    if (const json::Object* s = json::get_object(o, "signed_client_secret")) {
      expect_keys(*s, {"issuer", "audience", "algorithm", "lifetime_seconds"}, "signed_client_secret");
    }
    if (const json::Object* id = json::get_object(o, "identity")) {
      expect_keys(*id, {"url", "account_path", "headers"}, "identity");
    } else {
      EXPECT_TRUE(o.at("identity").is<picojson::null>());
    }
    const json::Object* templates = json::get_object(o, "template_params");
    ASSERT_NE(templates, nullptr);
    for (const auto& t : *templates) {
      ASSERT_TRUE(t.second.is<json::Object>()) << t.first;
      auto k = keys_of(t.second.get<json::Object>());
      k.erase("default");
      // A learned value says where it comes from, and may keep only the host of it.
      k.erase("take");
      k.erase("from");
      EXPECT_EQ(k, (std::set<std::string>{"pattern", "description"})) << t.first;
    }
  }
}

TEST(Catalog, EntriesAreInternallyConsistent) {
  for (const auto& p : catalog()) {
    SCOPED_TRACE(p.key);
    // Every default scope is one the UI can show.
    for (const auto& s : p.default_scopes) {
      EXPECT_NE(std::find(p.available_scopes.begin(), p.available_scopes.end(), s), p.available_scopes.end())
          << "default scope " << s << " is not in available_scopes";
    }
    // The userinfo endpoint is called with the access token too.
    if (!p.userinfo_endpoint.empty() && p.template_params.empty()) {
      EXPECT_TRUE(origin_allowed(p.injection, p.userinfo_endpoint)) << p.userinfo_endpoint;
    }
    if (p.auth_mode == AuthMode::client_credentials) {
      EXPECT_EQ(p.pkce, PkceSupport::unsupported);
      EXPECT_TRUE(p.requires_client_secret);
    }
    EXPECT_FALSE(p.docs_url.empty());
  }
}

TEST(Catalog, RoundTripsThroughToJson) {
  for (const auto& p : catalog()) {
    auto again = provider_from_json(provider_to_json(p));
    ASSERT_TRUE(again.ok()) << p.key << ": " << again.error().message;
    EXPECT_FALSE(again->builtin);
    testing::ExpectSameProvider(p, *again);
  }
}

TEST(Catalog, TemplatedEntriesResolve) {
  for (const auto& p : catalog()) {
    bool all_defaults = true;
    for (const auto& tp : p.template_params) all_defaults = all_defaults && tp.default_value.has_value();
    auto r = resolve_provider(p, {});
    if (all_defaults) {
      ASSERT_TRUE(r.ok()) << p.key << ": " << r.error().message;
      EXPECT_TRUE(r->template_params.empty());
      for (const std::string* url : {&r->authorization_endpoint, &r->token_endpoint, &r->api_base_url,
                                     &r->device_authorization_endpoint}) {
        EXPECT_EQ(url->find('{'), std::string::npos) << p.key << ": " << *url;
      }
    } else {
      ASSERT_FALSE(r.ok()) << p.key;
      EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
    }
  }
}

// Spot checks against the providers' published endpoints.
TEST(Catalog, GoogleEndpoints) {
  const Provider& g = get("google");
  EXPECT_EQ(g.auth_mode, AuthMode::oauth2);
  EXPECT_EQ(g.authorization_endpoint, "https://accounts.google.com/o/oauth2/v2/auth");
  EXPECT_EQ(g.token_endpoint, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(g.revocation_endpoint, "https://oauth2.googleapis.com/revoke");
}

TEST(Catalog, GitHubEndpoints) {
  const Provider& gh = get("github");
  EXPECT_EQ(gh.authorization_endpoint, "https://github.com/login/oauth/authorize");
  EXPECT_EQ(gh.token_endpoint, "https://github.com/login/oauth/access_token");
  EXPECT_EQ(gh.api_base_url, "https://api.github.com");
  EXPECT_TRUE(origin_allowed(gh.injection, "https://api.github.com/user"));
  EXPECT_FALSE(origin_allowed(gh.injection, "https://api.github.com:8443/user"));
}

TEST(Catalog, MicrosoftTenantTemplate) {
  const Provider& ms = get("microsoft");
  EXPECT_EQ(ms.authorization_endpoint, "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize");
  EXPECT_EQ(ms.token_endpoint, "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");
  ASSERT_EQ(ms.template_params.size(), 1u);
  EXPECT_EQ(ms.template_params[0].name, "tenant");
  ASSERT_TRUE(ms.template_params[0].default_value.has_value());
  EXPECT_EQ(*ms.template_params[0].default_value, "common");

  auto common = resolve_provider(ms, {});
  ASSERT_TRUE(common.ok()) << common.error().message;
  EXPECT_EQ(common->authorization_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize");
  EXPECT_EQ(common->token_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token");
  auto tenant = resolve_provider(ms, {{"tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47"}});
  ASSERT_TRUE(tenant.ok()) << tenant.error().message;
  EXPECT_EQ(tenant->token_endpoint,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token");
  EXPECT_FALSE(resolve_provider(ms, {{"tenant", "common/../x"}}).ok());
  EXPECT_TRUE(origin_allowed(common->injection, "https://graph.microsoft.com/v1.0/me"));
}

// RFC 8628: the device authorization endpoints each provider documents (GitHub "Authorizing
// OAuth apps: device flow", Google "OAuth 2.0 for TV and Limited-Input Device Applications",
// Microsoft identity platform "OAuth 2.0 device authorization grant"), exactly as published, and
// usable once resolved: https, the provider's own host, no placeholder left.
TEST(Catalog, DeviceAuthorizationEndpoints) {
  struct Expect {
    const char* key;
    const char* endpoint;  ///< Resolved with the template defaults.
    const char* host;
  } expected[] = {
      {"github", "https://github.com/login/device/code", "github.com"},
      {"google", "https://oauth2.googleapis.com/device/code", "oauth2.googleapis.com"},
      {"microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode", "login.microsoftonline.com"},
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(e.key);
    auto p = resolve_provider(get(e.key), {});
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->device_authorization_endpoint, e.endpoint);
    auto u = detail::parse_url(p->device_authorization_endpoint);
    ASSERT_TRUE(u.ok()) << p->device_authorization_endpoint;
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, e.host);
    // What providers show: the catalog's JSON form carries it (so the CLI, gateway and JS see it).
    EXPECT_NE(provider_to_json(get(e.key)).find("\"device_authorization_endpoint\""), std::string::npos);
  }
  // Microsoft's is per tenant, like its other endpoints.
  const Provider& ms = get("microsoft");
  EXPECT_EQ(ms.device_authorization_endpoint, "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode");
  auto tenant = resolve_provider(ms, {{"tenant", "contoso.onmicrosoft.com"}});
  ASSERT_TRUE(tenant.ok()) << tenant.error().message;
  EXPECT_EQ(tenant->device_authorization_endpoint,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
  // The app-only Microsoft entry has no user to show a code to.
  EXPECT_TRUE(get("microsoft-m2m").device_authorization_endpoint.empty());
}

TEST(Catalog, ShopifyNeedsAShop) {
  const Provider& s = get("shopify");
  EXPECT_FALSE(resolve_provider(s, {}).ok());
  auto r = resolve_provider(s, {{"shop", "my-store"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->authorization_endpoint, "https://my-store.myshopify.com/admin/oauth/authorize");
  EXPECT_EQ(r->token_endpoint, "https://my-store.myshopify.com/admin/oauth/access_token");
  EXPECT_TRUE(origin_allowed(r->injection, "https://my-store.myshopify.com/admin"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://evil.example/"));
  EXPECT_FALSE(resolve_provider(s, {{"shop", "evil.com/x"}}).ok());
}

TEST(Catalog, OtherWellKnownEndpoints) {
  struct Expect {
    const char* key;
    const char* authorization_endpoint;
    const char* token_endpoint;
  } expected[] = {
      {"slack", "https://slack.com/oauth/v2/authorize", "https://slack.com/api/oauth.v2.access"},
      {"dropbox", "https://www.dropbox.com/oauth2/authorize", "https://api.dropboxapi.com/oauth2/token"},
      {"spotify", "https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token"},
      {"discord", "https://discord.com/oauth2/authorize", "https://discord.com/api/oauth2/token"},
      {"notion", "https://api.notion.com/v1/oauth/authorize", "https://api.notion.com/v1/oauth/token"},
      {"gitlab", "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token"},
      {"atlassian", "https://auth.atlassian.com/authorize", "https://auth.atlassian.com/oauth/token"},
      {"linear", "https://linear.app/oauth/authorize", "https://api.linear.app/oauth/token"},
      {"twitch", "https://id.twitch.tv/oauth2/authorize", "https://id.twitch.tv/oauth2/token"},
      {"reddit", "https://www.reddit.com/api/v1/authorize", "https://www.reddit.com/api/v1/access_token"},
      {"xero", "https://login.xero.com/identity/connect/authorize", "https://identity.xero.com/connect/token"},
      {"zoom", "https://zoom.us/oauth/authorize", "https://zoom.us/oauth/token"},
      {"bitbucket", "https://bitbucket.org/site/oauth2/authorize", "https://bitbucket.org/site/oauth2/access_token"},
      {"box", "https://account.box.com/api/oauth2/authorize", "https://api.box.com/oauth2/token"},
  };
  for (const auto& e : expected) {
    // Some (gitlab: {gitlab_host}) are templated for self-hosted instances; compare the defaults.
    auto p = resolve_provider(get(e.key), {});
    ASSERT_TRUE(p.ok()) << e.key << ": " << p.error().message;
    EXPECT_EQ(p->authorization_endpoint, e.authorization_endpoint) << e.key;
    EXPECT_EQ(p->token_endpoint, e.token_endpoint) << e.key;
  }
}

TEST(Catalog, TrelloIsOAuth1) {
  const Provider& t = get("trello");
  EXPECT_EQ(t.auth_mode, AuthMode::oauth1);
  EXPECT_EQ(t.request_token_endpoint, "https://trello.com/1/OAuthGetRequestToken");
  EXPECT_EQ(t.authorization_endpoint, "https://trello.com/1/OAuthAuthorizeToken");
  EXPECT_EQ(t.token_endpoint, "https://trello.com/1/OAuthGetAccessToken");
  EXPECT_EQ(t.signature_method, SignatureMethod::hmac_sha1);
}

TEST(Catalog, XHasAnOAuth1Entry) {
  const Provider& x = get("x-oauth1");
  EXPECT_EQ(x.auth_mode, AuthMode::oauth1);
  EXPECT_EQ(x.request_token_endpoint, "https://api.x.com/oauth/request_token");
  EXPECT_EQ(x.authorization_endpoint, "https://api.x.com/oauth/authorize");
  EXPECT_EQ(x.token_endpoint, "https://api.x.com/oauth/access_token");
  EXPECT_EQ(x.signature_method, SignatureMethod::hmac_sha1);
}

TEST(Catalog, CustomOAuth1TemplateResolvesToOneHost) {
  const Provider& c = get("custom-oauth1");
  EXPECT_EQ(c.auth_mode, AuthMode::oauth1);
  EXPECT_FALSE(resolve_provider(c, {}).ok());  // the host has no default
  auto p = resolve_provider(c, {{"host", "api.example.org"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->request_token_endpoint, "https://api.example.org/oauth/request_token");
  EXPECT_EQ(p->authorization_endpoint, "https://api.example.org/oauth/authorize");
  EXPECT_EQ(p->token_endpoint, "https://api.example.org/oauth/access_token");
  EXPECT_EQ(p->injection.hosts, std::vector<std::string>{"https://api.example.org"});
  EXPECT_FALSE(resolve_provider(c, {{"host", "api.example.org/evil"}}).ok());
}

}  // namespace
}  // namespace latchkey
