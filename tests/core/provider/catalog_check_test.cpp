// The catalog check: every built-in entry holds to what people and the picker rely on (it
// validates; an https docs_url; a category, a logo and a line for every scope it offers; tokens
// go only to the hosts its URLs name, learned hosts included), and the entries fixed against
// their providers' documentation say what that documentation says. Prints the catalog's counts
// by auth mode and category (ctest -V shows them).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "core/provider/catalog_access.hpp"
#include "json.hpp"
#include "latchkey/catalog.hpp"
#include "learned_values.hpp"
#include "origin.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

using testing::catalog;
const Provider& get(const std::string& key) { return testing::catalog_entry(key); }

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

TEST(CatalogCheck, HasAtLeastTwoHundredEntries) {
  ASSERT_TRUE(builtin_providers().ok()) << builtin_providers().error().message;
  EXPECT_GE(catalog().size(), 200u);
}

TEST(CatalogCheck, EveryEntryIsCompleteForPeople) {
  for (const auto& p : catalog()) {
    SCOPED_TRACE(p.key);
    Status st = validate_provider(p);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    EXPECT_TRUE(starts_with(p.docs_url, "https://")) << "docs_url " << p.docs_url;
    EXPECT_NE(p.category, "") << "category";
    EXPECT_TRUE(starts_with(p.logo_url, "https://")) << "logo_url " << p.logo_url;
    std::set<std::string> described;
    for (const auto& [scope, line] : p.scope_descriptions) {
      described.insert(scope);
      EXPECT_FALSE(line.empty()) << scope;
    }
    for (const auto& s : p.available_scopes) EXPECT_EQ(described.count(s), 1u) << "no description for scope " << s;
  }
}

// A token goes to the API base URL and to every URL latchkey itself calls with it; a learned host
// ({instance} from the token answer, callback or metadata) must be named by an injection host
// itself, so the token follows the provider's word and nothing wider.
TEST(CatalogCheck, InjectionHostsCoverTheApiAndEveryLearnedHost) {
  for (const auto& p : catalog()) {
    SCOPED_TRACE(p.key);
    std::vector<std::pair<const char*, std::string>> with_token = {{"api_base_url", p.api_base_url},
                                                                   {"userinfo_endpoint", p.userinfo_endpoint}};
    if (p.ping) with_token.emplace_back("ping.url", p.ping->url);
    if (p.identity) with_token.emplace_back("identity.url", p.identity->url);
    if (p.metadata) with_token.emplace_back("metadata.url", p.metadata->url);
    for (const auto& [field, url] : with_token) {
      if (url.empty()) continue;
      auto u = detail::parse_url(url);
      ASSERT_TRUE(u.ok()) << field << " " << url;
      EXPECT_TRUE(detail::origins_cover(p.injection.hosts, *u)) << field << " " << url << " is not in injection.hosts";
    }
    for (const auto& tp : p.template_params) {
      if (tp.from.empty()) continue;
      const std::string placeholder = "{" + tp.name + "}";
      // In a path ({realm} in QuickBooks' /v3/company/{realm}) it changes no destination.
      bool in_host = false;
      for (const auto& [field, url] : with_token) {
        auto u = detail::parse_url(url);
        in_host = in_host || (u.ok() && u->host.find(placeholder) != std::string::npos);
      }
      if (!in_host) continue;
      bool named = std::any_of(p.injection.hosts.begin(), p.injection.hosts.end(),
                               [&](const std::string& h) { return h.find(placeholder) != std::string::npos; });
      EXPECT_TRUE(named) << "learned " << placeholder << " names a host but no injection host names it";
    }
  }
}

TEST(CatalogCheck, PrintsCountsByAuthModeAndCategory) {
  std::map<std::string, int> modes, categories;
  for (const auto& p : catalog()) {
    ++modes[to_string(p.auth_mode)];
    ++categories[p.category];
  }
  int total = 0;
  std::cout << "catalog: " << catalog().size() << " providers\n  by auth mode:";
  for (const auto& [m, n] : modes) {
    std::cout << " " << m << " " << n;
    total += n;
  }
  std::cout << "\n  by category:";
  for (const auto& [c, n] : categories) std::cout << " " << c << " " << n;
  std::cout << "\n";
  EXPECT_EQ(total, static_cast<int>(catalog().size()));
  EXPECT_GE(categories.size(), 10u);  // the picker's groups are not one big "other"
}

// ------------------------------------------------------------------------------------------
// Entries fixed against their providers' documentation (each entry's docs_url).

// Square: with PKCE, Square issues a refresh token that lasts 90 days and is single use; the code
// flow's refresh token does not expire. A server-side connection wants the latter.
TEST(CatalogFixes, SquareDoesNotUsePkce) { EXPECT_EQ(get("square").pkce, PkceSupport::unsupported); }

// Zendesk: clients created before its refresh-token support only get an expiring token (and a
// refresh token) when the token request names expires_in.
TEST(CatalogFixes, ZendeskAsksForExpiringTokens) {
  const Provider& z = get("zendesk");
  EXPECT_EQ(z.token_params, (Params{{"expires_in", "1800"}}));
}

// Zoho: consent starts at accounts.zoho.com; the callback's accounts-server names the user's data
// centre (Canada: accounts.zohocloud.ca), where the code is exchanged; the token answer's
// api_domain names the API host.
TEST(CatalogFixes, ZohoLearnsItsDataCentre) {
  const Provider& z = get("zoho");
  Params callback = {{"code", "c"}, {"location", "ca"}, {"accounts-server", "https://accounts.zohocloud.ca"}};
  detail::LearnInputs before_exchange;
  before_exchange.callback = &callback;
  auto early = detail::learn_values(z, before_exchange);
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->at("accounts_host"), "accounts.zohocloud.ca");
  EXPECT_EQ(early->count("api_host"), 0u);  // known only from the token answer

  auto answer = detail::json::parse(R"({"api_domain":"https://www.zohoapis.ca","expires_in":3600})", "answer");
  ASSERT_TRUE(answer.ok());
  detail::LearnInputs after;
  after.callback = &callback;
  after.token_response = &answer->get<detail::json::Object>();
  auto all = detail::learn_values(z, after);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->at("api_host"), "www.zohoapis.ca");

  auto r = resolve_provider(z, *all);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->authorization_endpoint, "https://accounts.zoho.com/oauth/v2/auth");
  EXPECT_EQ(r->token_endpoint, "https://accounts.zohocloud.ca/oauth/v2/token");
  EXPECT_EQ(r->api_base_url, "https://www.zohoapis.ca");
  EXPECT_TRUE(origin_allowed(r->injection, "https://www.zohoapis.ca/crm/v6/Leads"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://www.zohoapis.com/crm/v6/Leads"));

  // A forged accounts-server is refused before any code goes to it.
  Params forged = {{"code", "c"}, {"accounts-server", "https://accounts.zoho.evil.example"}};
  detail::LearnInputs bad;
  bad.callback = &forged;
  auto refused = detail::learn_values(z, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::malformed_response);
}

// DocuSign: the API host is the account's base_uri, from the userinfo answer's accounts list.
TEST(CatalogFixes, DocuSignLearnsTheAccountsBaseUri) {
  const Provider& d = get("docusign");
  ASSERT_TRUE(d.metadata.has_value());
  EXPECT_EQ(d.metadata->url, "https://{account_host}/oauth/userinfo");
  auto info = detail::json::parse(
      R"({"sub":"u","accounts":[{"account_id":"a","is_default":true,"base_uri":"https://na3.docusign.net"}]})", "userinfo");
  ASSERT_TRUE(info.ok());
  detail::json::Object none;
  detail::LearnInputs in;
  in.token_response = &none;
  in.metadata = &info->get<detail::json::Object>();
  auto v = detail::learn_values(d, in);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->at("base_host"), "na3.docusign.net");
  auto r = resolve_provider(d, *v);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->api_base_url, "https://na3.docusign.net/restapi");
  EXPECT_FALSE(origin_allowed(r->injection, "https://eu.docusign.net/restapi"));
}

// Regions, each host as the provider's documentation lists it.
TEST(CatalogFixes, RegionalHosts) {
  struct Case {
    const char* key;
    std::map<std::string, std::string> values;
    const char* token_endpoint;
    const char* api_base_url;
  } cases[] = {
      {"intercom", {{"app_host", "app.eu.intercom.com"}, {"api_host", "api.eu.intercom.io"}},
       "https://api.eu.intercom.io/auth/eagle/token", "https://api.eu.intercom.io"},
      {"intercom", {}, "https://api.intercom.io/auth/eagle/token", "https://api.intercom.io"},
      {"amazon", {{"api_host", "api.amazon.co.uk"}}, "https://api.amazon.co.uk/auth/o2/token", "https://api.amazon.co.uk"},
      {"amazon", {{"api_host", "api.amazon.co.jp"}}, "https://api.amazon.co.jp/auth/o2/token", "https://api.amazon.co.jp"},
      {"smartsheet", {{"domain", "smartsheet.eu"}}, "https://api.smartsheet.eu/2.0/token", "https://api.smartsheet.eu/2.0"},
      {"smartsheet", {{"domain", "smartsheetgov.com"}}, "https://api.smartsheetgov.com/2.0/token",
       "https://api.smartsheetgov.com/2.0"},
      {"battlenet", {{"region", "eu"}}, "https://oauth.battle.net/token", "https://eu.api.blizzard.com"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto r = resolve_provider(get(c.key), c.values);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->token_endpoint, c.token_endpoint);
    EXPECT_EQ(r->api_base_url, c.api_base_url);
    EXPECT_TRUE(origin_allowed(r->injection, c.api_base_url));
  }
  EXPECT_EQ(resolve_provider(get("intercom"), {{"app_host", "app.eu.intercom.com"}})->authorization_endpoint,
            "https://app.eu.intercom.com/oauth");
  EXPECT_EQ(resolve_provider(get("smartsheet"), {{"domain", "smartsheet.eu"}})->authorization_endpoint,
            "https://app.smartsheet.eu/b/authorize");
  EXPECT_FALSE(resolve_provider(get("amazon"), {{"api_host", "api.amazon.evil.example"}}).ok());
}

// Okta: a custom authorization server (okta-m2m) or the org authorization server for Okta's own
// APIs (okta-org-m2m), where a service app must sign a JWT (private_key_jwt).
TEST(CatalogFixes, OktaOrgAuthorizationServer) {
  auto org = resolve_provider(get("okta-org-m2m"), {{"domain", "acme.okta.com"}});
  ASSERT_TRUE(org.ok()) << org.error().message;
  EXPECT_EQ(org->auth_mode, AuthMode::client_credentials);
  EXPECT_EQ(org->token_endpoint, "https://acme.okta.com/oauth2/v1/token");
  EXPECT_EQ(org->issuer, "https://acme.okta.com");
  EXPECT_EQ(org->token_endpoint_auth_method, ClientAuthMethod::private_key_jwt);
  auto custom = resolve_provider(get("okta-m2m"), {{"domain", "acme.okta.com"}});
  ASSERT_TRUE(custom.ok()) << custom.error().message;
  EXPECT_EQ(custom->token_endpoint, "https://acme.okta.com/oauth2/default/v1/token");
}

// A header the provider's documentation requires on every API request goes in api_headers, so a
// request made through latchkey (and its ping and identity calls) carries it.
std::string param(const Params& ps, const std::string& name) {
  for (const auto& [k, v] : ps) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(CatalogFixes, RequiredHeadersOnEveryApiRequest) {
  // developers.klaviyo.com API versioning: a revision header on every request (2026-10-15 stable).
  EXPECT_EQ(param(get("klaviyo").api_headers, "revision"), "2026-10-15");
  // marketplace.gohighlevel.com/docs/Versioning: the Version header (2021-07-28 for the v2 APIs).
  EXPECT_EQ(param(get("highlevel").api_headers, "Version"), "2021-07-28");
  // PagerDuty REST API versioning: Accept: application/vnd.pagerduty+json;version=2.
  EXPECT_EQ(param(get("pagerduty").api_headers, "Accept"), "application/vnd.pagerduty+json;version=2");
  // Basecamp: every request names the app in User-Agent.
  EXPECT_EQ(param(get("basecamp").api_headers, "User-Agent"), "latchkey (https://github.com/latchkey)");
  // Copper developer API: X-PW-Application: developer_api on every request.
  EXPECT_EQ(param(get("copper").api_headers, "X-PW-Application"), "developer_api");
  // Lucid REST API: Lucid-Api-Version on every request.
  EXPECT_EQ(param(get("lucid").api_headers, "Lucid-Api-Version"), "1");
  // Productboard API v1 (api.productboard.com/features, ...): X-Version: 1.
  EXPECT_EQ(param(get("productboard").api_headers, "X-Version"), "1");
  // Squarespace Commerce APIs, "Making requests": a request without a User-Agent is refused.
  EXPECT_EQ(param(get("squarespace").api_headers, "User-Agent"), "latchkey");
  // MYOB Business API: x-myobapi-version: v2.
  EXPECT_EQ(param(get("myob").api_headers, "x-myobapi-version"), "v2");
}

// Basecamp's documented grants are the standard ones (grant_type authorization_code and
// refresh_token); the legacy type=web_server sent on every token request broke the refresh.
TEST(CatalogFixes, BasecampUsesTheStandardGrants) {
  const Provider& b = get("basecamp");
  EXPECT_EQ(param(b.token_params, "type"), "<absent>");
  EXPECT_EQ(param(b.authorization_params, "type"), "<absent>");
  EXPECT_EQ(param(b.exchange_params, "type"), "<absent>");
  EXPECT_FALSE(b.refresh.has_value());
}

// Gong: the token answer's api_base_url_for_customer (https://us-12345.api.gong.io) is the
// customer's API host.
TEST(CatalogFixes, GongLearnsTheCustomersApiBase) {
  const Provider& g = get("gong");
  auto answer = detail::json::parse(
      R"({"access_token":"t","refresh_token":"r","expires_in":86400,"api_base_url_for_customer":"https://us-12345.api.gong.io"})",
      "answer");
  ASSERT_TRUE(answer.ok());
  detail::LearnInputs in;
  in.token_response = &answer->get<detail::json::Object>();
  auto v = detail::learn_values(g, in);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->at("api_host"), "us-12345.api.gong.io");
  auto r = resolve_provider(g, *v);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->api_base_url, "https://us-12345.api.gong.io/v2");
  EXPECT_TRUE(origin_allowed(r->injection, "https://us-12345.api.gong.io/v2/calls"));
  EXPECT_FALSE(origin_allowed(r->injection, "https://us-99999.api.gong.io/v2/calls"));

  auto forged = detail::json::parse(R"({"api_base_url_for_customer":"https://api.gong.io.evil.example"})", "answer");
  ASSERT_TRUE(forged.ok());
  detail::LearnInputs bad;
  bad.token_response = &forged->get<detail::json::Object>();
  EXPECT_FALSE(detail::learn_values(g, bad).ok());
}

// SurveyMonkey: EU and Canadian accounts are served from the token answer's access_url.
TEST(CatalogFixes, SurveyMonkeyLearnsItsDataCentre) {
  const Provider& s = get("surveymonkey");
  struct Case {
    const char* answer;
    const char* api_base_url;
  } cases[] = {
      {R"({"access_token":"t","access_url":"https://api.eu.surveymonkey.com"})", "https://api.eu.surveymonkey.com/v3"},
      {R"({"access_token":"t","access_url":"https://api.surveymonkey.ca"})", "https://api.surveymonkey.ca/v3"},
      {R"({"access_token":"t"})", "https://api.surveymonkey.com/v3"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.answer);
    auto answer = detail::json::parse(c.answer, "answer");
    ASSERT_TRUE(answer.ok());
    detail::LearnInputs in;
    in.token_response = &answer->get<detail::json::Object>();
    auto v = detail::learn_values(s, in);
    ASSERT_TRUE(v.ok()) << v.error().message;
    auto r = resolve_provider(s, *v);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->api_base_url, c.api_base_url);
    ASSERT_TRUE(r->ping.has_value());
    EXPECT_EQ(r->ping->url, std::string(c.api_base_url) + "/users/me");
  }
}

// Threads: the code yields a one-hour token, exchanged (GET /access_token, th_exchange_token) for
// a 60-day one, which GET /refresh_access_token (th_refresh_token) renews.
TEST(CatalogFixes, ThreadsLongLivedExchangeAndRefresh) {
  const Provider& t = get("threads");
  ASSERT_TRUE(t.long_lived_exchange.has_value());
  EXPECT_EQ(t.long_lived_exchange->url, "https://graph.threads.net/access_token");
  EXPECT_EQ(t.long_lived_exchange->method, "GET");
  EXPECT_EQ(t.long_lived_exchange->grant_type, "th_exchange_token");
  EXPECT_TRUE(t.long_lived_exchange->send_access_token);
  EXPECT_EQ(t.long_lived_exchange->token_param, "access_token");
  EXPECT_TRUE(t.long_lived_exchange->client_auth);
  ASSERT_TRUE(t.refresh.has_value());
  EXPECT_EQ(t.refresh->url, "https://graph.threads.net/refresh_access_token");
  EXPECT_EQ(t.refresh->method, "GET");
  EXPECT_EQ(t.refresh->grant_type, "th_refresh_token");
  EXPECT_TRUE(t.refresh->send_access_token);
  EXPECT_EQ(t.refresh->token_param, "access_token");
  EXPECT_FALSE(t.refresh->client_auth);
}

}  // namespace
}  // namespace latchkey
