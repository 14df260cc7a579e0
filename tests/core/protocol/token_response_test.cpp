// parse_token_response: the data-driven vectors (tests/vectors/token_responses.json — real provider
// shapes and broken answers), then the cases that are easier to build in code: size limits, deep
// nesting, random bytes, and secrets that must never reach a message.
#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <iterator>
#include <vector>

#include "json.hpp"
#include "latchkey/token_set.hpp"
#include "url.hpp"

namespace latchkey::detail {
std::string_view vector_token_responses();  // embedded at build time from tests/vectors/token_responses.json
}  // namespace latchkey::detail

namespace latchkey {
namespace {

namespace json = detail::json;

constexpr std::int64_t kNow = 1700000000000;  // 2023-11-14T22:13:20Z

std::string member_string(const json::Object& o, const std::string& key, const std::string& fallback = "") {
  const std::string* s = json::get_string(o, key);
  return s != nullptr ? *s : fallback;
}

std::int64_t member_int(const json::Object& o, const std::string& key, std::int64_t fallback = 0) {
  std::int64_t n = fallback;
  json::get_int(o, key, &n);
  return n;
}

/// `body_encoding: "latin1"` lets a vector hold bytes that are not UTF-8: each code point
/// U+0000..U+00FF becomes one byte.
std::string latin1_bytes(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      // Two-byte sequences only (U+0080..U+00FF); anything else is a broken vector.
      EXPECT_TRUE((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) << "latin1 body has a code point above U+00FF";
      if (i + 1 >= utf8.size()) break;
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F)));
      ++i;
    }
  }
  return out;
}

/// Every token value in a body (JSON at any depth, or form-encoded), for the "never in a message" check.
void collect_secrets(const json::Value& v, std::vector<std::string>* out) {
  if (v.is<json::Object>()) {
    for (const auto& [key, member] : v.get<json::Object>()) {
      if ((key == "access_token" || key == "refresh_token" || key == "id_token" || key == "mac_key") &&
          member.is<std::string>() && member.get<std::string>().size() >= 6) {
        out->push_back(member.get<std::string>());
      }
      collect_secrets(member, out);
    }
  } else if (v.is<json::Array>()) {
    for (const auto& item : v.get<json::Array>()) collect_secrets(item, out);
  }
}

std::vector<std::string> secrets_in(const std::string& body) {
  std::vector<std::string> out;
  auto start = body.find_first_of("{[");
  if (start != std::string::npos) {
    auto parsed = json::parse(std::string_view(body).substr(start), "body");
    if (parsed) collect_secrets(*parsed, &out);
  }
  auto form = detail::decode_form(body);
  if (form) {
    for (const auto& [name, value] : *form) {
      if ((name == "access_token" || name == "refresh_token") && value.size() >= 6) out.push_back(value);
    }
  }
  return out;
}

/// What every error must look like, whatever the input: a usable sentence, no control characters,
/// bounded, and no token from the body.
void check_error_invariants(const Error& e, const std::string& body) {
  EXPECT_FALSE(e.message.empty());
  EXPECT_LT(e.message.size(), 1200u) << e.message;
  for (char c : e.message) {
    auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7F) << "control character in message: " << e.message;
  }
  for (const auto& secret : secrets_in(body)) {
    EXPECT_EQ(e.message.find(secret), std::string::npos) << "message leaks a token: " << e.message;
    EXPECT_EQ(e.provider_description.find(secret), std::string::npos);
  }
}

TEST(TokenResponse, Vectors) {
  auto doc = json::parse(detail::vector_token_responses(), "token_responses.json");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_TRUE(doc->is<json::Array>());
  const auto& cases = doc->get<json::Array>();
  ASSERT_GE(cases.size(), 100u);

  for (const auto& item : cases) {
    ASSERT_TRUE(item.is<json::Object>());
    const auto& c = item.get<json::Object>();
    const std::string name = member_string(c, "name");
    SCOPED_TRACE(name);
    ASSERT_FALSE(name.empty());

    TokenResponseRules rules;
    if (const auto* r = json::get_object(c, "rules")) {
      rules.root = member_string(*r, "root");
      if (const auto* keep = json::get_array(*r, "keep")) {
        for (const auto& k : *keep) {
          ASSERT_TRUE(k.is<std::string>());
          rules.keep.push_back(k.get<std::string>());
        }
      }
      json::get_bool(*r, "expires_in_milliseconds", &rules.expires_in_milliseconds);
    }

    TokenHttpResponse response;
    response.status = static_cast<int>(member_int(c, "status", 200));
    response.content_type = member_string(c, "content_type");
    const std::string* body = json::get_string(c, "body");
    ASSERT_NE(body, nullptr);
    response.body = member_string(c, "body_encoding") == "latin1" ? latin1_bytes(*body) : *body;

    auto result = parse_token_response(response, rules, member_int(c, "now_ms", kNow), member_string(c, "requested_scope"));

    const auto* expect = json::get_object(c, "expect");
    ASSERT_NE(expect, nullptr);
    if (const auto* want = json::get_object(*expect, "ok")) {
      ASSERT_TRUE(result.ok()) << to_string(result.error().code) << ": " << result.error().message;
      const TokenSet& got = *result;
      EXPECT_EQ(got.access_token, member_string(*want, "access_token"));
      EXPECT_EQ(got.refresh_token, member_string(*want, "refresh_token"));
      EXPECT_EQ(got.token_type, member_string(*want, "token_type", "Bearer"));
      EXPECT_EQ(got.expires_at_ms, member_int(*want, "expires_at_ms"));
      EXPECT_EQ(got.scope, member_string(*want, "scope"));
      EXPECT_EQ(got.id_token, member_string(*want, "id_token"));
      // Extras hold JSON text; compare them as JSON values so the vectors stay readable.
      const json::Object empty;
      const auto* extras = json::get_object(*want, "extras");
      if (extras == nullptr) extras = &empty;
      EXPECT_EQ(got.extras.size(), extras->size());
      for (const auto& [key, text] : got.extras) {
        auto it = extras->find(key);
        if (it == extras->end()) {
          ADD_FAILURE() << "unexpected extra " << key;
          continue;
        }
        auto value = json::parse(text, "extra");
        ASSERT_TRUE(value.ok()) << key << " is not JSON text: " << text;
        EXPECT_TRUE(*value == it->second) << key << " = " << text;
      }
      // Extras keep the order of rules.keep.
      std::size_t at = 0;
      for (const auto& [key, text] : got.extras) {
        while (at < rules.keep.size() && rules.keep[at] != key) ++at;
        EXPECT_LT(at, rules.keep.size()) << key << " out of order";
      }
    } else {
      const auto* want_error = json::get_object(*expect, "error");
      ASSERT_NE(want_error, nullptr) << "expect needs ok or error";
      const json::Object& want_e = *want_error;
      ASSERT_FALSE(result.ok()) << "parsed, but expected " << member_string(want_e, "code");
      const Error& e = result.error();
      EXPECT_STREQ(to_string(e.code), member_string(want_e, "code").c_str()) << e.message;
      EXPECT_EQ(e.provider_code, member_string(want_e, "provider_code"));
      EXPECT_EQ(e.http_status, member_int(want_e, "http_status", -1));
      if (const auto* description = json::get_string(want_e, "provider_description")) {
        EXPECT_EQ(e.provider_description, *description);
      }
      if (const auto* parts = json::get_array(want_e, "message_contains")) {
        for (const auto& p : *parts) {
          ASSERT_TRUE(p.is<std::string>());
          EXPECT_NE(e.message.find(p.get<std::string>()), std::string::npos)
              << "message lacks \"" << p.get<std::string>() << "\": " << e.message;
        }
      }
      if (const auto* parts = json::get_array(want_e, "message_excludes")) {
        for (const auto& p : *parts) {
          ASSERT_TRUE(p.is<std::string>());
          EXPECT_EQ(e.message.find(p.get<std::string>()), std::string::npos)
              << "message echoes \"" << p.get<std::string>() << "\": " << e.message;
        }
      }
      check_error_invariants(e, response.body);
    }
  }
}

TEST(TokenResponse, VectorNamesAreUnique) {
  auto doc = json::parse(detail::vector_token_responses(), "token_responses.json");
  ASSERT_TRUE(doc.ok());
  std::vector<std::string> seen;
  for (const auto& item : doc->get<json::Array>()) {
    std::string name = member_string(item.get<json::Object>(), "name");
    for (const auto& s : seen) EXPECT_NE(s, name);
    seen.push_back(name);
  }
}

TokenHttpResponse json_response(std::string body, int status = 200) {
  TokenHttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

/// A valid token response padded to exactly `size` bytes.
std::string padded_body(std::size_t size) {
  std::string head = R"({"access_token":"at-padded","token_type":"Bearer","pad":")";
  std::string tail = R"("})";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

TEST(TokenResponse, TenMegabyteBodyIsRejectedBeforeParsing) {
  auto response = json_response(std::string(10 * 1024 * 1024, '['));
  auto start = std::chrono::steady_clock::now();
  auto result = parse_token_response(response, {}, kNow, "");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::malformed_response);
  EXPECT_NE(result.error().message.find(std::to_string(kMaxTokenResponseBytes)), std::string::npos)
      << result.error().message;
  // The size check comes first: nothing proportional to the body runs.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 200);
}

TEST(TokenResponse, SizeLimitBoundary) {
  auto at_limit = parse_token_response(json_response(padded_body(kMaxTokenResponseBytes)), {}, kNow, "");
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_EQ(at_limit->access_token, "at-padded");

  auto over = parse_token_response(json_response(padded_body(kMaxTokenResponseBytes + 1)), {}, kNow, "");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::malformed_response);
  EXPECT_EQ(over.error().http_status, 200);
  EXPECT_NE(over.error().message.find("limit"), std::string::npos) << over.error().message;
}

TEST(TokenResponse, DeeplyNestedJson) {
  // Far beyond the parser's depth limit: refused, without recursing a million frames deep.
  std::string deep = R"({"access_token":"at-deep","n":)" + std::string(500000, '[') + std::string(500000, ']') + "}";
  auto refused = parse_token_response(json_response(deep), {}, kNow, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::malformed_response);

  std::string objects = R"({"access_token":"at-deep","n":)";
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  auto refused_objects = parse_token_response(json_response(objects), {}, kNow, "");
  ASSERT_FALSE(refused_objects.ok());
  EXPECT_EQ(refused_objects.error().code, ErrorCode::malformed_response);

  // Nesting within the limit is just an unknown member.
  std::string fine = R"({"access_token":"at-nested","n":)" + std::string(50, '[') + std::string(50, ']') + "}";
  auto parsed = parse_token_response(json_response(fine), {}, kNow, "");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->access_token, "at-nested");

  // A deep root path that is not there.
  TokenResponseRules rules;
  rules.root = "a.b.c.d.e.f";
  auto missing = parse_token_response(json_response(R"({"a":{"b":{"c":"x"}}})"), rules, kNow, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::malformed_response);
}

/// Tiny deterministic generator (Numerical Recipes LCG): the same inputs on every target.
struct Lcg {
  std::uint32_t state;
  std::uint32_t next() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : next() % n; }
};

TEST(TokenResponse, RandomInputsNeverCrash) {
  const char* types[] = {"application/json", "application/x-www-form-urlencoded", "text/plain", "text/html", "",
                         "application/problem+json"};
  const int statuses[] = {200, 201, 400, 401, 429, 500, 502};
  const std::string seeds[] = {
      R"({"access_token":"at-seed-0001","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-seed-0001","scope":["a","b"]})",
      R"({"ok":true,"authed_user":{"access_token":"xoxp-seed-0002","expires_in":"43200"},"team":{"id":"T1"}})",
      "access_token=gho_seed0003&scope=repo%2Cgist&token_type=bearer",
      R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})",
      R"({"error":{"message":"Invalid verification code format.","type":"OAuthException","code":100}})",
  };
  const char alphabet[] = "{}[]\":,=&%+0123456789.-eE aA_tn\\u\r\n<>";
  Lcg rng{0x1a7c4e7u};
  TokenResponseRules slack;
  slack.root = "authed_user";
  slack.keep = {"team", "ok"};
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < 600; ++i) {
    std::string body;
    switch (i % 3) {
      case 0: {  // raw bytes, including NUL and bytes above 0x7F
        std::size_t n = rng.below(160);
        for (std::size_t j = 0; j < n; ++j) body.push_back(static_cast<char>(rng.next() & 0xFF));
        break;
      }
      case 1: {  // JSON-ish characters, more likely to get deep into the parser
        std::size_t n = rng.below(160);
        for (std::size_t j = 0; j < n; ++j) body.push_back(alphabet[rng.below(sizeof(alphabet) - 1)]);
        break;
      }
      default: {  // a real answer with a few bytes changed, inserted or cut
        body = seeds[rng.below(std::size(seeds))];
        for (std::size_t k = rng.below(4) + 1; k > 0; --k) {
          std::size_t at = rng.below(body.size());
          switch (rng.below(3)) {
            case 0: body[at] = static_cast<char>(rng.next() & 0xFF); break;
            case 1: body.insert(at, 1, alphabet[rng.below(sizeof(alphabet) - 1)]); break;
            default: body.resize(at); break;
          }
          if (body.empty()) break;
        }
      }
    }
    TokenHttpResponse response;
    response.status = statuses[rng.below(std::size(statuses))];
    response.content_type = types[rng.below(std::size(types))];
    response.body = body;
    auto result = parse_token_response(response, i % 2 ? slack : TokenResponseRules{}, kNow, "requested");
    if (result.ok()) {
      ++ok;
      EXPECT_FALSE(result->access_token.empty());
      EXPECT_EQ(result->token_type, "Bearer");
      EXPECT_TRUE(response.status == 200 || response.status == 201);
    } else {
      ++failed;
      check_error_invariants(result.error(), body);
      EXPECT_EQ(result.error().http_status, response.status);
    }
  }
  EXPECT_EQ(ok + failed, 600);
  EXPECT_GT(failed, 0);
}

TEST(TokenResponse, ErrorMessagesNeverContainTokens) {
  const std::string at = "AT-SECRET-7f3a9c1d2e";
  const std::string rt = "RT-SECRET-4b8e0f6a1c";
  const std::string tokens = R"("access_token":")" + at + R"(","refresh_token":")" + rt + R"(")";
  const std::vector<std::string> bodies = {
      "{" + tokens + R"(,"token_type":"mac"})",
      "{" + tokens + R"(,"expires_in":-5})",
      "{" + tokens + R"(,"expires_in":"soon"})",
      "{" + tokens + R"(,"scope":{"read":true}})",
      "{" + tokens + R"(,"id_token":7})",
      "{" + tokens + R"(,"error":"invalid_grant"})",
      "{" + tokens + R"(,"ok":false})",
      "{" + tokens + R"(,"x":1e999})",
      "{" + tokens + R"(,"x":)",
      "{" + tokens + R"(,"error":{"type":"OAuthException"}})",
      R"({"refresh_token":")" + rt + R"(","token_type":"Bearer"})",
      R"({"access_token":")" + at + R"(","refresh_token":7})",
      "access_token=" + at + "&refresh_token=" + rt + "&token_type=pop",
      "access_token=" + at + "&refresh_token=" + rt + "&expires_in=forever",
      "<html><body>" + at + " " + rt + "</body></html>",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    for (int status : {200, 400, 500}) {
      for (const char* type : {"application/json", "application/x-www-form-urlencoded", "text/html"}) {
        TokenHttpResponse response{status, type, body};
        auto result = parse_token_response(response, {}, kNow, "");
        if (result.ok()) continue;
        const Error& e = result.error();
        EXPECT_EQ(e.message.find(at), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find(rt), std::string::npos) << e.message;
        EXPECT_EQ(e.provider_description.find(at), std::string::npos);
        EXPECT_EQ(e.provider_code.find(rt), std::string::npos);
      }
    }
  }
}

TEST(TokenResponse, ProviderTextIsCleanedAndCapped) {
  // Control characters, a bidi override, C1 controls and a very long description.
  std::string description = "line one\nline two\t\x07\x1b[31m red \u202e\u0085 end ";
  description += std::string(5000, 'd');
  picojson::object o;
  o["error"] = json::str("weird\r\ncode");
  o["error_description"] = json::str(description);
  auto result = parse_token_response(json_response(json::serialize(json::Value(o)), 400), {}, kNow, "");
  ASSERT_FALSE(result.ok());
  const Error& e = result.error();
  EXPECT_EQ(e.code, ErrorCode::provider_error);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.provider_code, "weird  code");
  EXPECT_LE(e.provider_description.size(), 303u);
  EXPECT_EQ(e.provider_description.rfind("line one line two [31m red  end ddd", 0), 0u) << e.provider_description;
  EXPECT_EQ(e.provider_description.substr(e.provider_description.size() - 3), "...");
  EXPECT_LT(e.message.size(), 800u);
  for (char c : e.message) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  EXPECT_EQ(e.message.find("\u202e"), std::string::npos);
  EXPECT_EQ(e.message.find("\u0085"), std::string::npos);

  // Truncation never splits a multi-byte character.
  std::string accents;
  for (int i = 0; i < 400; ++i) accents += "\u00e9";
  o["error_description"] = json::str(accents);
  auto accented = parse_token_response(json_response(json::serialize(json::Value(o)), 400), {}, kNow, "");
  ASSERT_FALSE(accented.ok());
  EXPECT_TRUE(json::is_utf8(accented.error().provider_description));
  EXPECT_TRUE(json::is_utf8(accented.error().message));
}

TEST(TokenResponse, ExpiryArithmetic) {
  // Expiry is computed from the host's clock input only.
  auto a = parse_token_response(json_response(R"({"access_token":"at-clock","expires_in":60})"), {}, 5, "");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->expires_at_ms, 60005);
  // A clock near the end of int64 saturates instead of overflowing.
  const std::int64_t late = INT64_MAX - 1000;
  auto b = parse_token_response(json_response(R"({"access_token":"at-late","expires_in":3600})"), {}, late, "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->expires_at_ms, INT64_MAX);
}

TEST(TokenResponse, ResultHasNoExpiryWithoutExpiresIn) {
  auto r = parse_token_response(json_response(R"({"access_token":"at-forever"})"), {}, kNow, "read write");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expires_at_ms, 0);
  EXPECT_EQ(r->scope, "read write");
  EXPECT_EQ(r->token_type, "Bearer");
  EXPECT_TRUE(r->refresh_token.empty());
  EXPECT_TRUE(r->extras.empty());
}

}  // namespace
}  // namespace latchkey
