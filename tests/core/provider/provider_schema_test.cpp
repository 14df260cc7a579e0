// The provider schema table (provider_schema.hpp) and its export: the export's facts written out
// here by hand from the schema's documentation, the reader and writer held to the table, and the
// checks the core makes by hand (values may be longer than pattern_matches takes) held to the
// patterns the table exports.
#include "provider_schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "pattern.hpp"
#include "provider_checks.hpp"
#include "provider_templates.hpp"

namespace latchkey {
namespace {

namespace json = detail::json;
using detail::JsonType;
using json::Array;
using json::Object;
using json::Value;

Value exported() {
  auto v = json::parse(provider_schema_json(), "the exported schema");
  EXPECT_TRUE(static_cast<bool>(v));
  return v ? *v : Value();
}

const Object& props(const Value& v) { return v.get<Object>().at("properties").get<Object>(); }

TEST(ProviderSchema, ExportsAJsonSchemaWithTheCoresRules) {
  Value s = exported();
  ASSERT_TRUE(s.is<Object>());
  const Object& top = s.get<Object>();
  EXPECT_EQ(top.at("$schema").get<std::string>(), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(top.at("additionalProperties").serialize(), "false");
  EXPECT_EQ(top.at("required").serialize(), R"(["key","display_name"])");
  const Object& p = props(s);
  EXPECT_EQ(p.size(), 47u);
  EXPECT_EQ(p.at("key").get<Object>().at("pattern").get<std::string>(), "^[a-z0-9]+(-[a-z0-9]+)*$");
  EXPECT_EQ(p.at("key").get<Object>().at("maxLength").get<std::int64_t>(), 64);
  EXPECT_EQ(p.at("auth_mode").get<Object>().at("enum").serialize(), R"(["oauth2","client_credentials","oauth1"])");
  EXPECT_EQ(p.at("auth_mode").get<Object>().at("default").get<std::string>(), "oauth2");
  EXPECT_EQ(p.at("token_endpoint").get<Object>().at("type").serialize(), R"(["string","null"])");
  EXPECT_EQ(p.at("signature_method").get<Object>().at("default").get<std::string>(), "HMAC-SHA1");
  EXPECT_EQ(p.at("token_endpoint_auth_method").get<Object>().at("enum").serialize(),
            R"(["client_secret_basic","client_secret_post","none","private_key_jwt","signed_client_secret"])");
  const Object& signed_secret = p.at("signed_client_secret").get<Object>();
  EXPECT_EQ(signed_secret.at("type").serialize(), R"(["object","null"])");
  EXPECT_EQ(signed_secret.at("required").serialize(), R"(["issuer","audience"])");
  EXPECT_EQ(props(p.at("signed_client_secret")).at("algorithm").get<Object>().at("enum").serialize(), R"(["ES256","RS256"])");
  EXPECT_EQ(props(p.at("signed_client_secret")).at("algorithm").get<Object>().at("default").get<std::string>(), "ES256");
  const Object& lifetime = props(p.at("signed_client_secret")).at("lifetime_seconds").get<Object>();
  EXPECT_EQ(lifetime.at("minimum").get<std::int64_t>(), 60);
  EXPECT_EQ(lifetime.at("maximum").get<std::int64_t>(), 15777000);  // Apple: exp at most six months after iat
  EXPECT_EQ(lifetime.at("default").get<std::int64_t>(), 300);
  const Object& buffer = p.at("expiry_buffer_seconds").get<Object>();
  EXPECT_EQ(buffer.at("type").get<std::string>(), "integer");
  EXPECT_EQ(buffer.at("minimum").get<std::int64_t>(), 0);
  EXPECT_EQ(buffer.at("maximum").get<std::int64_t>(), 86400);
  EXPECT_EQ(buffer.at("default").get<std::int64_t>(), 60);
  EXPECT_EQ(p.at("scope_separator").get<Object>().at("default").get<std::string>(), " ");
  EXPECT_EQ(p.at("requires_client_secret").get<Object>().at("default").serialize(), "true");
  EXPECT_EQ(p.at("ping").get<Object>().at("default").serialize(), "null");
  EXPECT_EQ(p.at("ping").get<Object>().at("required").serialize(), R"(["url"])");
  EXPECT_EQ(props(p.at("ping")).at("method").get<Object>().at("default").get<std::string>(), "GET");
  EXPECT_EQ(props(p.at("identity")).at("account_path").get<Object>().at("pattern").get<std::string>(),
            "^[^.]+(\\.[^.]+)*$");
  EXPECT_EQ(props(p.at("injection")).at("prefix").get<Object>().at("default").get<std::string>(), "Bearer ");
  EXPECT_EQ(props(p.at("injection")).at("header").get<Object>().at("default").get<std::string>(), "Authorization");
  const Object& templates = p.at("template_params").get<Object>();
  EXPECT_EQ(templates.at("propertyNames").serialize(), R"({"pattern":"^[a-z][a-z0-9_]{0,31}$"})");
  EXPECT_EQ(templates.at("additionalProperties").get<Object>().at("required").serialize(), R"(["pattern"])");
  for (const char* when_set : {"request_token_endpoint", "signature_method", "device_authorization_endpoint",
                               "pushed_authorization_request_endpoint", "resource", "client_id_param",
                               "signed_client_secret"}) {
    EXPECT_EQ(p.at(when_set).get<Object>().count("x-written-when-set"), 1u) << when_set;
  }
  EXPECT_EQ(p.at("issuer").get<Object>().count("x-written-when-set"), 0u);
}

TEST(ProviderSchema, EveryPatternIsInTheCoresSubset) {
  for (const auto& f : detail::provider_schema()) {
    for (const std::string* pattern : {&f.pattern, &f.item_pattern}) {
      if (pattern->empty()) continue;
      Status st = detail::check_pattern(*pattern);
      EXPECT_TRUE(st) << f.path << ": " << (st ? "" : st.error().message);
    }
  }
}

// The hand-written checks and the exported patterns accept exactly the same single bytes, and the
// same samples of several.
TEST(ProviderSchema, HandChecksAgreeWithTheirPatterns) {
  for (int b = 1; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    EXPECT_EQ(static_cast<bool>(detail::check_scopes({one}, "scopes", " ")),
              detail::pattern_matches(detail::kScopePattern, one)) << "byte " << b;
    EXPECT_EQ(detail::valid_header_name(one), detail::pattern_matches(detail::kHeaderNamePattern, one)) << "byte " << b;
  }
  for (int b = 1; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    EXPECT_EQ(detail::valid_template_name(one), detail::pattern_matches(detail::kTemplateNamePattern, one)) << "byte " << b;
  }
  for (const char* name : {"a", "a_1", "tenant", "a-b", "1a", "_a", "aB", "", "abcdefghijklmnopqrstuvwxyz012345",
                           "abcdefghijklmnopqrstuvwxyz0123456"}) {
    EXPECT_EQ(detail::valid_template_name(name), detail::pattern_matches(detail::kTemplateNamePattern, name)) << name;
  }
  EXPECT_FALSE(detail::pattern_matches(detail::kScopePattern, ""));
  EXPECT_FALSE(detail::valid_header_name(""));
  EXPECT_FALSE(detail::pattern_matches(detail::kHeaderNamePattern, ""));
}

const char* const kBase = R"({"key":"acme","display_name":"Acme","authorization_endpoint":"https://a.example/auth",
  "token_endpoint":"https://a.example/token","api_base_url":"https://api.example")";

bool accepts(const std::string& members) { return static_cast<bool>(provider_from_json(std::string(kBase) + members + "}")); }

TEST(ProviderSchema, GrantTypesAgreeWithTheirPattern) {
  for (const char* g : {"client_credentials", "account_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer",
                        "ig_refresh_token", "a b", "a/b", "a?b", "é", "a=b"}) {
    const bool want = detail::pattern_matches(detail::kGrantTypePattern, g);
    EXPECT_EQ(accepts(std::string(R"(,"client_credentials_grant_type":")") + g + "\""), want) << g;
    EXPECT_EQ(accepts(std::string(R"(,"refresh":{"grant_type":")") + g + "\"}"), want) << g;
  }
  EXPECT_FALSE(accepts(R"(,"refresh":{"token_param":"a:b"})"));
  EXPECT_FALSE(detail::pattern_matches(detail::kScopeParamPattern, "a:b"));
}

TEST(ProviderSchema, ReaderAgreesWithExportedPatterns) {
  for (const char* path : {"a", "a.b", "data.user.id", "a b", ".a", "a.", "a..b", "é.x"}) {
    EXPECT_EQ(accepts(std::string(R"(,"identity":{"url":"https://api.example/me","account_path":")") + path + "\"}"),
              detail::pattern_matches(detail::kDottedPathPattern, path)) << path;
  }
  for (const char* key : {"a", "a-b", "ab1-2c", "-a", "a-", "a--b", "A", "a_b", "a.b", "1"}) {
    auto doc = json::parse(std::string(kBase) + "}", "base");
    doc->get<Object>()["key"] = json::str(key);
    EXPECT_EQ(static_cast<bool>(provider_from_json(json::serialize(*doc))), detail::pattern_matches(detail::kKeyPattern, key))
        << key;
  }
  for (int b = 0x20; b < 0x7f; ++b) {
    if (b == '"' || b == '\\') continue;  // not in the JSON text unescaped
    std::string managed = std::string("m") + static_cast<char>(b);
    EXPECT_EQ(accepts(R"(,"managed_service_config_key":")" + managed + "\""),
              detail::pattern_matches(detail::kManagedConfigKeyPattern, managed)) << managed;
    std::string key = std::string("k") + static_cast<char>(b);
    EXPECT_EQ(static_cast<bool>(provider_from_json(R"({"key":")" + key + R"(","display_name":"K","authorization_endpoint":"https://a.example/auth","token_endpoint":"https://a.example/token","api_base_url":"https://api.example"})")),
              detail::pattern_matches(detail::kKeyPattern, key)) << key;
    std::string param = std::string("s") + static_cast<char>(b);
    EXPECT_EQ(accepts(R"(,"scope_param":")" + param + "\""), detail::pattern_matches(detail::kScopeParamPattern, param))
        << param;
  }
}

// A member's name is never read as a path into the schema.
TEST(ProviderSchema, NestedNamesAreNotTopLevelMembers) {
  for (const char* name : {"token_response.root", "ping.url", "template_params.*.pattern", "injection.hosts"}) {
    auto p = provider_from_json(std::string(kBase) + ",\"" + name + "\":\"x\"}");
    ASSERT_FALSE(p) << name;
    EXPECT_NE(p.error().message.find("has an unknown member"), std::string::npos) << p.error().message;
  }
}

/// Every member of a written object is in the table with the type written, and every member the
/// table says is always written is there.
void expect_matches_table(const Object& o, const std::string& prefix, const std::string& schema_prefix) {
  std::string parent = schema_prefix.empty() ? "" : schema_prefix.substr(0, schema_prefix.size() - 1);
  for (const auto& name : detail::schema_members(parent)) {
    const detail::SchemaField* f = detail::schema_field(schema_prefix + name);
    if (!f->written_when_set) EXPECT_EQ(o.count(name), 1u) << prefix << name << " is not written";
  }
  for (const auto& [name, v] : o) {
    const detail::SchemaField* f = detail::schema_field(schema_prefix + name);
    ASSERT_NE(f, nullptr) << prefix << name << " is written but not in the schema";
    if (v.is<picojson::null>()) {
      EXPECT_TRUE(f->nullable) << prefix << name << " is written as null";
      continue;
    }
    switch (f->type) {
      case JsonType::string:
        EXPECT_TRUE(v.is<std::string>()) << prefix << name;
        if (v.is<std::string>() && !f->values.empty()) {
          EXPECT_NE(std::find(f->values.begin(), f->values.end(), v.get<std::string>()), f->values.end()) << prefix << name;
        }
        break;
      case JsonType::boolean: EXPECT_TRUE(v.is<bool>()) << prefix << name; break;
      case JsonType::integer: EXPECT_TRUE(v.is<std::int64_t>()) << prefix << name; break;
      case JsonType::string_list:
        ASSERT_TRUE(v.is<Array>()) << prefix << name;
        for (const auto& item : v.get<Array>()) EXPECT_TRUE(item.is<std::string>()) << prefix << name;
        break;
      case JsonType::string_map:
        ASSERT_TRUE(v.is<Object>()) << prefix << name;
        for (const auto& kv : v.get<Object>()) EXPECT_TRUE(kv.second.is<std::string>()) << prefix << name;
        break;
      case JsonType::object:
        ASSERT_TRUE(v.is<Object>()) << prefix << name;
        expect_matches_table(v.get<Object>(), prefix + name + ".", schema_prefix + name + ".");
        break;
      case JsonType::object_map:
        ASSERT_TRUE(v.is<Object>()) << prefix << name;
        for (const auto& kv : v.get<Object>()) {
          ASSERT_TRUE(kv.second.is<Object>()) << prefix << name;
          expect_matches_table(kv.second.get<Object>(), prefix + name + "." + kv.first + ".", schema_prefix + name + ".*.");
        }
        break;
    }
  }
}

TEST(ProviderSchema, WriterWritesWhatTheTableSays) {
  std::vector<std::string> definitions = {
      std::string(kBase) + "}",
      std::string(kBase) + R"(,"device_authorization_endpoint":"https://a.example/device",
        "pushed_authorization_request_endpoint":"https://a.example/par","resource":"https://api.example/mcp",
        "issuer":"https://a.example","authorization_params":{"audience":"{aud}"},"token_params":{"x":"y"},
        "template_params":{"aud":{"pattern":"^[a-z]+$","default":"api","description":"Audience"}},
        "token_response":{"root":"data","keep":["instance_url"],"expires_in_unit":"milliseconds"},
        "ping":{"method":"HEAD","url":"https://api.example/ping","headers":{"X-A":"1"}},
        "identity":{"url":"https://api.example/me","account_path":"data.id","headers":{}},
        "managed_service_config_key":"acme.app","docs_url":"https://docs.example/#oauth"})",
      R"({"key":"tw","display_name":"Tw","auth_mode":"oauth1","request_token_endpoint":"https://a.example/rt",
        "authorization_endpoint":"https://a.example/auth","token_endpoint":"https://a.example/at",
        "signature_method":"RSA-SHA1","api_base_url":"https://api.example"})",
      std::string(kBase) + R"(,"token_endpoint_auth_method":"signed_client_secret",
        "signed_client_secret":{"issuer":"{team}","audience":"https://a.example"},
        "template_params":{"team":{"pattern":"^[A-Z0-9]{10}$"}}})",
  };
  for (const auto& def : definitions) {
    auto p = provider_from_json(def);
    ASSERT_TRUE(p) << p.error().message;
    auto written = json::parse(provider_to_json(*p), "written");
    ASSERT_TRUE(written && written->is<Object>());
    expect_matches_table(written->get<Object>(), "", "");
  }
}

// The reader refuses a wrong JSON type for every top-level member, naming it.
TEST(ProviderSchema, ReaderRefusesAWrongTypeForEveryMember) {
  for (const auto& f : detail::provider_schema()) {
    if (f.path.find('.') != std::string::npos) continue;
    std::string wrong = f.type == JsonType::string ? "5" : "\"text\"";
    auto doc = json::parse(std::string(kBase) + "}", "base");
    ASSERT_TRUE(doc);
    doc->get<Object>()[f.path] = *json::parse(wrong, "wrong");
    auto p = provider_from_json(json::serialize(*doc));
    ASSERT_FALSE(p) << f.path;
    EXPECT_EQ(p.error().code, ErrorCode::invalid_request) << f.path;
    EXPECT_EQ(p.error().message.rfind(f.path, 0), 0u) << f.path << ": " << p.error().message;
  }
}

}  // namespace
}  // namespace latchkey
