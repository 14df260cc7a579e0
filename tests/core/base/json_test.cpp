// core/src/base/json.hpp: the picojson wrapper must turn every malformed document into an error
// value, never an abort, an exception or a stack overflow (the wasm stacks are 1 MiB).
#include <gtest/gtest.h>

#include <string>

#include "json.hpp"

namespace latchkey::detail::json {
namespace {

TEST(Json, ParsesAnObject) {
  auto v = parse(R"( {"access_token":"abc","expires_in":3600,"ok":true,"scope":null,
                     "ratio":0.5,"list":[1,"two",{"three":3}],"nested":{"k":"\u00e9\ud83d\ude00"}} )",
                 "token response");
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_TRUE(v->is<Object>());
  const Object& o = v->get<Object>();
  const std::string* token = get_string(o, "access_token");
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(*token, "abc");
  std::int64_t n = 0;
  EXPECT_TRUE(get_int(o, "expires_in", &n));
  EXPECT_EQ(n, 3600);
  bool b = false;
  EXPECT_TRUE(get_bool(o, "ok", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(o.at("scope").is<picojson::null>());
  const Array* list = get_array(o, "list");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(list->at(1).get<std::string>(), "two");
  const Object* nested = get_object(o, "nested");
  ASSERT_NE(nested, nullptr);
  // \u00e9 is é (C3 A9); the surrogate pair is U+1F600 (F0 9F 98 80).
  const std::string* k = get_string(*nested, "k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(*k, "\xc3\xa9\xf0\x9f\x98\x80");

  // Wrong types and missing members give nullptr / false, never an abort.
  EXPECT_EQ(get_string(o, "expires_in"), nullptr);
  EXPECT_EQ(get_string(o, "missing"), nullptr);
  EXPECT_EQ(get_object(o, "list"), nullptr);
  EXPECT_EQ(get_array(o, "nested"), nullptr);
  EXPECT_FALSE(get_bool(o, "access_token", &b));
  EXPECT_FALSE(get_int(o, "access_token", &n));

  // Scalars and whitespace-only padding are fine at the top level.
  EXPECT_TRUE(parse("42", "x").ok());
  EXPECT_TRUE(parse(" \"s\" \n", "x").ok());
  EXPECT_TRUE(parse("[]", "x").ok());
}

TEST(Json, RejectsTruncatedDocuments) {
  for (const char* text : {"", " ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "[1,2", "\"abc", "tru",
                           "{\"a\":\"\\u12\"}", "-", "[-]"}) {
    auto v = parse(text, "document");
    ASSERT_FALSE(v.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(v.error().code, ErrorCode::malformed_response);
    EXPECT_NE(v.error().message.find("document"), std::string::npos) << v.error().message;
  }
}

TEST(Json, RejectsTrailingGarbage) {
  for (const char* text : {"{} x", "{}{}", "[1] ,", "1 2", "\"a\"\"b\"", "{}\x01", "null;"}) {
    EXPECT_FALSE(parse(text, "document").ok()) << "accepted '" << text << "'";
  }
  EXPECT_TRUE(parse("{}  \r\n\t", "document").ok());
}

TEST(Json, RejectsInvalidUtf8) {
  const char* bad[] = {
      "\"\xc0\xaf\"",          // overlong '/'
      "\"\xe0\x80\xaf\"",      // overlong '/' in three bytes
      "\"\xf0\x80\x80\xaf\"",  // overlong '/' in four bytes
      "\"\x80\"",              // lone continuation byte
      "\"a\xbf\"",             // lone continuation byte after ASCII
      "\"\xed\xa0\x80\"",      // UTF-16 surrogate U+D800 encoded as UTF-8
      "\"\xed\xbf\xbf\"",      // surrogate U+DFFF
      "\"\xf4\x90\x80\x80\"",  // U+110000, beyond Unicode
      "\"\xc3\"",              // truncated sequence
      "\"\xe2\x82\"",          // truncated sequence
      "\"\xff\"",              // never valid
      "{\"k\xc0\":1}",         // in a key
  };
  for (const char* text : bad) {
    EXPECT_FALSE(parse(text, "document").ok()) << "accepted '" << text << "'";
    EXPECT_FALSE(is_utf8(std::string_view(text + 1, std::string_view(text).size() - 2)));
  }
  EXPECT_TRUE(is_utf8("plain ascii"));
  EXPECT_TRUE(is_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"));
  EXPECT_TRUE(parse("\"\xc3\xa9\xe2\x82\xac\"", "document").ok());
}

TEST(Json, RejectsNumbersADoubleCannotHold) {
  // picojson's value(double) throws on non-finite numbers: these must come back as errors.
  for (const char* text : {"1e999", "-1e999", "[1e999]", "{\"expires_in\":1e400}", "{\"a\":-1E+999}"}) {
    auto v = parse(text, "document");
    ASSERT_FALSE(v.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(v.error().code, ErrorCode::malformed_response);
  }
  for (const char* text : {"NaN", "Infinity", "-Infinity", "[nan]"}) {
    EXPECT_FALSE(parse(text, "document").ok()) << "accepted '" << text << "'";
  }
  // Large but finite numbers are fine.
  EXPECT_TRUE(parse("1e308", "document").ok());
  EXPECT_TRUE(parse("-1.5e300", "document").ok());
}

TEST(Json, LimitsNestingDepth) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(nested(kMaxDepth), "document").ok());
  EXPECT_FALSE(parse(nested(kMaxDepth + 1), "document").ok());

  std::string objects;
  for (std::size_t i = 0; i < kMaxDepth + 1; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(kMaxDepth + 1, '}');
  EXPECT_FALSE(parse(objects, "document").ok());

  // Far deeper than any stack could recurse: an error, not a crash.
  auto deep = parse(std::string(100000, '['), "document");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, ErrorCode::malformed_response);
  EXPECT_FALSE(parse(nested(100000), "document").ok());
  std::string mixed;
  for (int i = 0; i < 50000; ++i) mixed += "[{\"a\":";
  EXPECT_FALSE(parse(mixed, "document").ok());
}

TEST(Json, StringsKeepEveryEscapeBetweenPlainRuns) {
  // Plain runs are taken at once and escapes one by one: each kind of escape at the start, in
  // the middle and at the end of a value, and values that are only escapes.
  auto v = parse(R"({"a":"\"start","b":"mid\\dle\/x","c":"end\n","d":"\b\f\n\r\t","e":"\u0041\u00e9z",)"
                 R"("f":"","g":"http:\/\/127.0.0.1\/cb","h":"{\"k\":\"v\"}","i":"caf\u00e9 \ud83d\ude00!","j":"é😀 raw"})",
                 "document");
  ASSERT_TRUE(v.ok()) << v.error().message;
  const Object& o = v->get<Object>();
  EXPECT_EQ(*get_string(o, "a"), "\"start");
  EXPECT_EQ(*get_string(o, "b"), "mid\\dle/x");
  EXPECT_EQ(*get_string(o, "c"), "end\n");
  EXPECT_EQ(*get_string(o, "d"), "\b\f\n\r\t");
  EXPECT_EQ(*get_string(o, "e"), "A\xc3\xa9z");
  EXPECT_EQ(*get_string(o, "f"), "");
  EXPECT_EQ(*get_string(o, "g"), "http://127.0.0.1/cb");
  EXPECT_EQ(*get_string(o, "h"), R"({"k":"v"})");
  EXPECT_EQ(*get_string(o, "i"), "caf\xc3\xa9 \xf0\x9f\x98\x80!");  // a surrogate pair between runs
  EXPECT_EQ(*get_string(o, "j"), "\xc3\xa9\xf0\x9f\x98\x80 raw");     // UTF-8 bytes are plain bytes
}

TEST(Json, StringsRefuseControlBytesAndUnknownEscapes) {
  for (const char* text : {"\"a\x01" "b\"", "\"tab\there\"", "\"line\nbreak\"", "\"bad \\x escape\"", "\"\\\"",
                           "\"ends in a backslash\\", "{\"k\":\"v\x1f\"}"}) {
    auto v = parse(text, "document");
    EXPECT_FALSE(v.ok()) << "accepted '" << text << "'";
  }
}

TEST(Json, ErrorsCountLinesAcrossStrings) {
  // Strings are read a run at a time; the line count stays picojson's.
  auto v = parse("{\n\"a\":\"xxxxxxxx\",\n\"b\":\n\"yyyy\",\n\"c\": nope}", "document");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("line 5"), std::string::npos) << v.error().message;
}

TEST(Json, HugeStringValue) {
  const std::size_t n = 10 * 1024 * 1024;
  std::string text = "{\"blob\":\"";
  text.append(n, 'x');
  text += "\"}";
  auto v = parse(text, "document");
  if (v.ok()) {
    ASSERT_TRUE(v->is<Object>());
    const std::string* blob = get_string(v->get<Object>(), "blob");
    ASSERT_NE(blob, nullptr);
    EXPECT_EQ(blob->size(), n);
  } else {
    EXPECT_EQ(v.error().code, ErrorCode::malformed_response);
  }
  // Unterminated, it is an error either way.
  text.resize(text.size() - 2);
  EXPECT_FALSE(parse(text, "document").ok());
}

TEST(Json, GetIntOnlyForIntegerLiterals) {
  auto v = parse(R"({"i":42,"neg":-7,"zero":0,"big":9007199254740993,"frac":1.5,"point":2.0,"exp":1e2,
                    "str":"42","huge":123456789012345678901234567890,"t":true,"n":null})",
                 "document");
  ASSERT_TRUE(v.ok());
  const Object& o = v->get<Object>();
  std::int64_t n = 0;
  EXPECT_TRUE(get_int(o, "i", &n));
  EXPECT_EQ(n, 42);
  EXPECT_TRUE(get_int(o, "neg", &n));
  EXPECT_EQ(n, -7);
  EXPECT_TRUE(get_int(o, "zero", &n));
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(get_int(o, "big", &n));  // 2^53 + 1: exact, not rounded through a double
  EXPECT_EQ(n, 9007199254740993LL);
  n = 99;
  for (const char* key : {"frac", "point", "exp", "str", "huge", "t", "n", "missing"}) {
    EXPECT_FALSE(get_int(o, key, &n)) << key;
  }
  EXPECT_EQ(n, 99);  // untouched on failure
}

TEST(Json, FindPath) {
  auto v = parse(R"({"authed_user":{"access_token":"xoxp","team":{"id":"T1"}},"ok":true,"a.b":1})", "document");
  ASSERT_TRUE(v.ok());
  const Object& o = v->get<Object>();
  const Value* token = find_path(o, "authed_user.access_token");
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->get<std::string>(), "xoxp");
  const Value* team = find_path(o, "authed_user.team.id");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->get<std::string>(), "T1");
  const Value* user = find_path(o, "authed_user");
  ASSERT_NE(user, nullptr);
  EXPECT_TRUE(user->is<Object>());
  EXPECT_NE(find_path(o, "ok"), nullptr);
  EXPECT_EQ(find_path(o, "authed_user.missing"), nullptr);
  EXPECT_EQ(find_path(o, "missing.access_token"), nullptr);
  EXPECT_EQ(find_path(o, "ok.value"), nullptr);  // through a non-object
  EXPECT_EQ(find_path(o, "authed_user.access_token.x"), nullptr);
  EXPECT_EQ(find_path(o, "a.b"), nullptr);  // dots always separate
  EXPECT_EQ(find_path(o, ""), nullptr);
}

TEST(Json, SerializeRoundTrip) {
  Object o;
  o["s"] = str("a\"b\\c\n");
  o["n"] = num(-12);
  o["b"] = boolean(false);
  std::string text = serialize(Value(o));
  auto back = parse(text, "document");
  ASSERT_TRUE(back.ok()) << text;
  const Object& p = back->get<Object>();
  const std::string* s = get_string(p, "s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s, "a\"b\\c\n");
  std::int64_t n = 0;
  EXPECT_TRUE(get_int(p, "n", &n));
  EXPECT_EQ(n, -12);
  bool b = true;
  EXPECT_TRUE(get_bool(p, "b", &b));
  EXPECT_FALSE(b);
}

}  // namespace
}  // namespace latchkey::detail::json
