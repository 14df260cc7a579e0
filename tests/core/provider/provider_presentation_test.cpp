// What the picker shows of a provider: category, logo_url and scope_descriptions (schema
// members added for the catalog of 200). Each refusal names the member, and the scope or value
// at fault; a custom provider may leave all three out.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "latchkey/provider.hpp"

namespace latchkey {
namespace {

const std::string kBase = R"({"key":"acme","display_name":"Acme",
  "authorization_endpoint":"https://auth.acme.example/authorize","token_endpoint":"https://auth.acme.example/token",
  "api_base_url":"https://api.acme.example","available_scopes":["read","write"])";

Result<Provider> parse(const std::string& members) { return provider_from_json(kBase + members + "}"); }

/// Refused as invalid_request with a message holding every one of `words`.
void ExpectRefused(const std::string& members, std::initializer_list<const char*> words) {
  SCOPED_TRACE(members);
  auto r = parse(members);
  ASSERT_FALSE(r.ok()) << "accepted";
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  for (const char* w : words) EXPECT_NE(r.error().message.find(w), std::string::npos) << w << " in: " << r.error().message;
}

TEST(ProviderPresentation, CustomProvidersMayLeaveThemOut) {
  auto r = parse("");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->category, "other");
  EXPECT_EQ(r->logo_url, "");
  EXPECT_TRUE(r->scope_descriptions.empty());
  // provider_to_json writes them all, and its output reads back the same.
  std::string json = provider_to_json(*r);
  EXPECT_NE(json.find(R"("category":"other")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("logo_url":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("scope_descriptions":{})"), std::string::npos) << json;
}

TEST(ProviderPresentation, ReadsAndWritesThem) {
  auto r = parse(R"(,"category":"crm","logo_url":"https://www.acme.example/favicon.ico",
    "scope_descriptions":{"read":"Read your records","write":"Change your records"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->category, "crm");
  EXPECT_EQ(r->logo_url, "https://www.acme.example/favicon.ico");
  EXPECT_EQ(r->scope_descriptions, (Params{{"read", "Read your records"}, {"write", "Change your records"}}));
  auto again = provider_from_json(provider_to_json(*r));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->category, "crm");
  EXPECT_EQ(again->logo_url, "https://www.acme.example/favicon.ico");
  EXPECT_EQ(again->scope_descriptions, r->scope_descriptions);
  // A scope may go without a description.
  EXPECT_TRUE(parse(R"(,"scope_descriptions":{"read":"Read your records"})").ok());
}

TEST(ProviderPresentation, RefusesADescriptionOfAScopeNotOffered) {
  ExpectRefused(R"(,"scope_descriptions":{"read":"Read","admin":"Everything"})",
                {"scope_descriptions", "'admin'", "available_scopes"});
  // Matched exactly: a scope is a case-sensitive token (RFC 6749 §3.3).
  ExpectRefused(R"(,"scope_descriptions":{"Read":"Read"})", {"scope_descriptions", "'Read'"});
}

TEST(ProviderPresentation, RefusesEmptyOrMultiLineDescriptions) {
  ExpectRefused(R"(,"scope_descriptions":{"read":""})", {"scope_descriptions.read", "empty"});
  ExpectRefused(R"(,"scope_descriptions":{"read":"Read\nyour records"})", {"scope_descriptions.read", "one line"});
  ExpectRefused(R"(,"scope_descriptions":{"read":")" + std::string(201, 'x') + "\"}",
                {"scope_descriptions.read", "200 bytes"});
  EXPECT_TRUE(parse(R"(,"scope_descriptions":{"read":")" + std::string(200, 'x') + "\"}").ok());
}

TEST(ProviderPresentation, RefusesACategoryOutsideTheList) {
  ExpectRefused(R"(,"category":"games")", {"category", "'games'", "\"crm\"", "\"other\""});
  ExpectRefused(R"(,"category":"CRM")", {"category", "'CRM'"});
  ExpectRefused(R"(,"category":"")", {"category"});
  for (const char* c : {"analytics", "communication", "crm", "design", "developer", "ecommerce", "finance", "hr",
                        "identity", "marketing", "media", "other", "productivity", "social", "storage", "support"}) {
    EXPECT_TRUE(parse(std::string(R"(,"category":")") + c + "\"").ok()) << c;
  }
}

TEST(ProviderPresentation, LogoIsHttpsWithoutPlaceholders) {
  ExpectRefused(R"(,"logo_url":"http://www.acme.example/favicon.ico")", {"logo_url", "https"});
  // Not even to loopback, which endpoints may use: every user's browser loads the logo.
  ExpectRefused(R"(,"logo_url":"http://127.0.0.1:8080/logo.png")", {"logo_url", "https"});
  ExpectRefused(R"(,"logo_url":"data:image/png;base64,AAAA")", {"logo_url", "https"});
  ExpectRefused(R"(,"logo_url":"https://{tenant}.acme.example/logo.png")", {"logo_url", "placeholder"});
  ExpectRefused(R"(,"logo_url":"https://user:pw@www.acme.example/logo.png")", {"logo_url"});
  auto none = parse(R"(,"logo_url":null)");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->logo_url, "");
}

}  // namespace
}  // namespace latchkey
