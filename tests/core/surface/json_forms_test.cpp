// The public JSON forms read back (latchkey/json_forms.hpp): how the CLI reads the connections
// latchkeyd answers with. Built against latchkey::core alone (tests/CMakeLists.txt), so it also
// shows the public headers need nothing from core/src.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "latchkey/json.hpp"
#include "latchkey/json_forms.hpp"

namespace latchkey {
namespace {

JsonValue doc(const std::string& text) {
  auto v = parse_json(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : JsonValue();
}

// Written by hand in the form latchkeyd's GET /v1/connections/{provider}/{account} answers.
constexpr const char* kConnection = R"({
  "id": "salesforce/ana%40example.com", "principal": "team-a", "provider": "salesforce",
  "account": "ana@example.com", "status": "connected", "grant": "authorization_code",
  "scope": "api refresh_token", "token_type": "Bearer", "expires_at_ms": 1700000360000,
  "has_refresh_token": true, "created_at_ms": 1700000000000, "updated_at_ms": 1700000005000,
  "last_error": null, "extras": {"instance_url": "https://ana.my.salesforce.com", "n": 3}})";

TEST(ConnectionFromJsonForm, ReadsEveryMember) {
  auto c = connection_from_json_form(doc(kConnection), "the gateway");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "salesforce/ana%40example.com");
  EXPECT_EQ(c->principal, "team-a");
  EXPECT_EQ(c->provider, "salesforce");
  EXPECT_EQ(c->account, "ana@example.com");
  EXPECT_EQ(c->status, "connected");
  EXPECT_EQ(c->grant, "authorization_code");
  EXPECT_EQ(c->scope, "api refresh_token");
  EXPECT_EQ(c->token_type, "Bearer");
  EXPECT_EQ(c->expires_at_ms, 1700000360000);
  EXPECT_TRUE(c->has_refresh_token);
  EXPECT_EQ(c->created_at_ms, 1700000000000);
  EXPECT_EQ(c->updated_at_ms, 1700000005000);
  EXPECT_EQ(c->last_error, "");
  // Extras come back as JSON text, the form the core keeps them in (picojson writes / as \/).
  const Params extras{{"instance_url", R"("https:\/\/ana.my.salesforce.com")"}, {"n", "3"}};
  EXPECT_EQ(c->extras, extras);
}

TEST(ConnectionFromJsonForm, NullsAndMembersOfAnotherTypeKeepTheDefaults) {
  // A client_credentials connection: no expiry known (null), no refresh token; a newer writer
  // might send a member in another type, which must not fail the read.
  auto c = connection_from_json_form(doc(R"({"provider": "p", "account": "default", "status": "needs_reauth",
      "expires_at_ms": null, "created_at_ms": "soon", "has_refresh_token": 1, "scope": 5,
      "last_error": "the refresh token was revoked", "extras": [], "future_member": {"x": 1}})"),
                                     "the gateway");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->status, "needs_reauth");
  EXPECT_EQ(c->expires_at_ms, 0);
  EXPECT_EQ(c->created_at_ms, 0);
  EXPECT_FALSE(c->has_refresh_token);
  EXPECT_EQ(c->scope, "");
  EXPECT_EQ(c->last_error, "the refresh token was revoked");
  EXPECT_TRUE(c->extras.empty());
}

TEST(ConnectionFromJsonForm, ReadsBackWhatJsonFormWrites) {
  ConnectionInfo in;
  in.id = "github/octo";
  in.principal = "default";
  in.provider = "github";
  in.account = "octo";
  in.status = "connected";
  in.grant = "device_code";
  in.scope = "repo";
  in.token_type = "bearer";
  in.expires_at_ms = 42;
  in.has_refresh_token = true;
  in.created_at_ms = 7;
  in.updated_at_ms = 9;
  in.last_error = "HTTP 503 from the token endpoint";
  in.extras = {{"a", "{\"b\":[1,true,null]}"}, {"c", "\"text\""}};
  auto out = connection_from_json_form(json_form(in), "the gateway");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->id, "github/octo");
  EXPECT_EQ(out->principal, "default");
  EXPECT_EQ(out->provider, "github");
  EXPECT_EQ(out->account, "octo");
  EXPECT_EQ(out->status, "connected");
  EXPECT_EQ(out->grant, "device_code");
  EXPECT_EQ(out->scope, "repo");
  EXPECT_EQ(out->token_type, "bearer");
  EXPECT_EQ(out->expires_at_ms, 42);
  EXPECT_TRUE(out->has_refresh_token);
  EXPECT_EQ(out->created_at_ms, 7);
  EXPECT_EQ(out->updated_at_ms, 9);
  EXPECT_EQ(out->last_error, "HTTP 503 from the token endpoint");
  const Params extras{{"a", "{\"b\":[1,true,null]}"}, {"c", "\"text\""}};
  EXPECT_EQ(out->extras, extras);
}

TEST(ConnectionFromJsonForm, RefusesWhatIsNoConnection) {
  auto not_object = connection_from_json_form(doc(R"(["salesforce"])"), "the gateway");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(not_object.error().message, "the gateway sent a connection that is not an object");

  for (const char* text : {R"({"account": "a", "status": "connected"})", R"({"provider": "p", "status": "connected"})",
                           R"({"provider": "p", "account": "a"})", R"({"provider": "", "account": "a", "status": "connected"})",
                           R"({"provider": "p", "account": "a", "status": true})"}) {
    auto missing = connection_from_json_form(doc(text), "latchkeyd at https://gw.example");
    ASSERT_FALSE(missing.ok()) << text;
    EXPECT_EQ(missing.error().code, ErrorCode::malformed_response) << text;
    EXPECT_EQ(missing.error().message,
              "latchkeyd at https://gw.example sent a connection without provider, account or status")
        << text;
  }
}

TEST(ConnectionsFromJsonForm, ReadsAListInOrder) {
  auto list = connections_from_json_form(
      doc(R"([{"provider": "b", "account": "1", "status": "connected"},
              {"provider": "a", "account": "2", "status": "needs_reauth"}])"),
      "the gateway");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].provider, "b");
  EXPECT_EQ((*list)[0].account, "1");
  EXPECT_EQ((*list)[1].provider, "a");
  EXPECT_EQ((*list)[1].status, "needs_reauth");

  auto empty = connections_from_json_form(doc("[]"), "the gateway");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ConnectionsFromJsonForm, RefusesANonArrayAndABadItem) {
  auto object = connections_from_json_form(doc(R"({"connections": []})"), "the gateway");
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(object.error().message, "the gateway sent a connection list that is not an array");

  auto bad_item = connections_from_json_form(
      doc(R"([{"provider": "a", "account": "1", "status": "connected"}, "b/1"])"), "the gateway");
  ASSERT_FALSE(bad_item.ok());
  EXPECT_EQ(bad_item.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(bad_item.error().message, "the gateway sent a connection that is not an object");
}

}  // namespace
}  // namespace latchkey
