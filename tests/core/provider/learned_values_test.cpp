// Declaring learned template values (template_params.*.from, .take, metadata): what a definition
// may say, and its JSON round trip.
#include <gtest/gtest.h>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "learned_values.hpp"
#include "provider_equal.hpp"

namespace latchkey {
namespace {

namespace json = detail::json;

// A definition with `templates` as its template_params and `extra` members after them.
std::string def(const std::string& templates, const std::string& api, const std::string& extra = "") {
  return R"({"key": "x", "display_name": "X", "authorization_endpoint": "https://auth.x.test/authorize",
             "token_endpoint": "https://auth.x.test/token", "api_base_url": ")" + api + R"(",
             "template_params": )" + templates + extra + R"(, "injection": {"hosts": ["https://{h}"]}})";
}

std::string learned_h(const std::string& from, const std::string& more = "") {
  return R"({"h": {"pattern": "^[a-z.]+$", "description": "d", "from": ")" + from + "\"" + more + "}}";
}

TEST(LearnedValues, TheFromExpressionReadsSourcesAndAlternatives) {
  auto steps = detail::parse_from("token_response.a.b || callback.realmId ||metadata.dc", "f");
  ASSERT_TRUE(steps.ok()) << steps.error().message;
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].source, detail::LearnSource::token_response);
  EXPECT_EQ((*steps)[0].path, "a.b");
  EXPECT_EQ((*steps)[1].source, detail::LearnSource::callback);
  EXPECT_EQ((*steps)[1].path, "realmId");
  EXPECT_EQ((*steps)[2].source, detail::LearnSource::metadata);
  EXPECT_EQ((*steps)[2].path, "dc");
  for (const char* bad : {"", "instance_url", "header.x", "token_response.", "token_response.a..b", "callback.a ||",
                          "|| callback.a"}) {
    EXPECT_FALSE(detail::parse_from(bad, "f").ok()) << bad;
  }
}

TEST(LearnedValues, ADefinitionWithLearnedValuesRoundTrips) {
  std::string d = def(learned_h("token_response.instance_url", R"(, "take": "host")"), "https://{h}/api",
                      R"(, "metadata": {"url": "https://auth.x.test/meta", "headers": {"X-V": "1"}})");
  // The metadata request's origin must be one the token may go to.
  d.replace(d.find(R"(["https://{h}"])"), 15, R"(["https://{h}", "https://auth.x.test"])");
  auto p = provider_from_json(d);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->template_params.size(), 1u);
  EXPECT_EQ(p->template_params[0].from, "token_response.instance_url");
  EXPECT_TRUE(p->template_params[0].take_host);
  ASSERT_TRUE(p->metadata);
  EXPECT_EQ(p->metadata->method, "GET");
  EXPECT_EQ(p->metadata->url, "https://auth.x.test/meta");
  auto again = provider_from_json(provider_to_json(*p));
  ASSERT_TRUE(again.ok()) << again.error().message;
  testing::ExpectSameProvider(*again, *p);
}

TEST(LearnedValues, WhatADefinitionMayNotSay) {
  struct Case {
    std::string definition;
    const char* says;
  };
  const std::string meta = R"(, "metadata": {"url": "https://auth.x.test/meta"})";
  std::vector<Case> cases = {
      // Nothing the authorization request uses may wait for a value learned later.
      {R"({"key": "x", "display_name": "X", "authorization_endpoint": "https://{h}/authorize",
          "token_endpoint": "https://auth.x.test/token",
          "template_params": {"h": {"pattern": "^[a-z.]+$", "from": "callback.h"}}, "injection": {"hosts": ["https://api.x.test"]}})",
       "authorization_endpoint uses {h}"},
      // The code exchange may use a value from the callback only.
      {R"({"key": "x", "display_name": "X", "authorization_endpoint": "https://auth.x.test/authorize",
          "token_endpoint": "https://{h}/token",
          "template_params": {"h": {"pattern": "^[a-z.]+$", "from": "token_response.h"}}, "injection": {"hosts": ["https://api.x.test"]}})",
       "token_endpoint uses {h}"},
      {def(learned_h("header.h"), "https://{h}"), "must be token_response.PATH"},
      {def(learned_h("metadata.dc"), "https://{h}"), "has no metadata request"},
      {def(learned_h("token_response.access_token"), "https://{h}"), "may not read 'access_token'"},
      {def(learned_h("callback.code"), "https://{h}"), "may not read 'code'"},
      {def(R"({"h": {"pattern": "^[a-z.]+$", "take": "host"}})", "https://{h}"), "take applies to learned values only"},
      {def(learned_h("callback.h", R"(, "take": "origin")"), "https://{h}"), "take must be"},
      {def(learned_h("callback.h"), "https://{h}", R"(, "device_authorization_endpoint": "https://auth.x.test/device")"),
       "without device_authorization_endpoint"},
      {def(learned_h("callback.h"), "https://{h}", meta), "metadata.url origin"},
  };
  for (const auto& c : cases) {
    auto p = provider_from_json(c.definition);
    ASSERT_FALSE(p.ok()) << c.says;
    EXPECT_EQ(p.error().code, ErrorCode::invalid_request);
    EXPECT_NE(p.error().message.find(c.says), std::string::npos) << p.error().message;
  }
  // The same uses are fine where the value is known by then.
  EXPECT_TRUE(provider_from_json(R"({"key": "x", "display_name": "X", "authorization_endpoint": "https://auth.x.test/a",
      "token_endpoint": "https://{h}/token", "api_base_url": "https://api.x.test",
      "template_params": {"h": {"pattern": "^[a-z.]+$", "default": "auth.x.test", "from": "callback.h"}}})").ok());
}

TEST(LearnedValues, AppsMayNotGiveALearnedValue) {
  auto p = provider_from_json(def(learned_h("callback.h"), "https://{h}"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto given = check_template_values(*p, {{"h", "api.x.test"}});
  ASSERT_FALSE(given.ok());
  EXPECT_NE(given.error().message.find("learned"), std::string::npos) << given.error().message;
  // Resolving for a connection that has none fails and says to connect again.
  auto none = resolve_provider(*p, {});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("connect again"), std::string::npos) << none.error().message;
  auto resolved = resolve_provider(*p, {{"h", "api.x.test"}});
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->api_base_url, "https://api.x.test");
}

// DocuSign's userinfo lists the user's accounts; the first one's base_uri names the API host.
TEST(LearnedValues, APathStepsIntoArraysByIndex) {
  std::string d = def(R"({"h": {"pattern": "^[a-z0-9]+\\.docusign\\.net$", "description": "d",
                              "from": "metadata.accounts.0.base_uri", "take": "host"}})",
                      "https://{h}/restapi",
                      R"(, "metadata": {"url": "https://auth.x.test/oauth/userinfo", "headers": {}})");
  d.replace(d.find(R"(["https://{h}"])"), 15, R"(["https://{h}", "https://auth.x.test"])");
  auto p = provider_from_json(d);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto learn = [&](const std::string& answer) {
    auto doc = json::parse(answer, "userinfo");
    EXPECT_TRUE(doc.ok());
    detail::LearnInputs in;
    json::Object empty;
    in.token_response = &empty;
    in.metadata = &doc->get<json::Object>();
    return detail::learn_values(*p, in);
  };
  auto got = learn(R"({"sub":"u1","accounts":[{"account_id":"a1","is_default":true,"base_uri":"https://na3.docusign.net"},
                                        {"account_id":"a2","base_uri":"https://eu.docusign.net"}]})");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->at("h"), "na3.docusign.net");
  // Out of range, not an array, or not an index: absent, so the connect fails (no default).
  for (const char* answer : {R"({"accounts":[]})", R"({"accounts":{"0":{"base_uri":1}}})", R"({"accounts":"x"})"}) {
    auto r = learn(answer);
    ASSERT_FALSE(r.ok()) << answer;
    EXPECT_EQ(r.error().code, ErrorCode::malformed_response) << answer;
  }
  // An object member named "0" is still read as a member.
  auto member = learn(R"({"accounts":{"0":{"base_uri":"https://eu.docusign.net"}}})");
  ASSERT_TRUE(member.ok()) << member.error().message;
  EXPECT_EQ(member->at("h"), "eu.docusign.net");
}

}  // namespace
}  // namespace latchkey
