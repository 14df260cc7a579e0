// The template-parameter pattern subset (core/src/provider/pattern.hpp). Expected results follow from
// ordinary regular-expression semantics with a whole-value match.
#include "pattern.hpp"

#include <gtest/gtest.h>

#include <string>

namespace latchkey::detail {
namespace {

bool valid(const std::string& pattern) { return check_pattern(pattern).ok(); }

TEST(Pattern, AnchorsAreRequired) {
  EXPECT_TRUE(valid("^abc$"));
  EXPECT_FALSE(valid("abc"));
  EXPECT_FALSE(valid("^abc"));
  EXPECT_FALSE(valid("abc$"));
  EXPECT_FALSE(valid(""));
  EXPECT_FALSE(valid("^"));
  EXPECT_TRUE(valid("^$"));
  // ^ and $ only at the ends; an escaped dollar is a literal.
  EXPECT_FALSE(valid("^a^b$"));
  EXPECT_FALSE(valid("^a$b$"));
  EXPECT_FALSE(valid("^(a$)$"));
  EXPECT_FALSE(valid("^a\\$"));
  EXPECT_TRUE(pattern_matches("^a\\$$", "a$"));
  EXPECT_TRUE(pattern_matches("^a\\^b$", "a^b"));
}

TEST(Pattern, MatchesTheWholeValue) {
  EXPECT_TRUE(pattern_matches("^abc$", "abc"));
  EXPECT_FALSE(pattern_matches("^abc$", "abcd"));
  EXPECT_FALSE(pattern_matches("^abc$", "xabc"));
  EXPECT_FALSE(pattern_matches("^abc$", "ab"));
  EXPECT_FALSE(pattern_matches("^abc$", ""));
  EXPECT_TRUE(pattern_matches("^$", ""));
  EXPECT_FALSE(pattern_matches("^$", "a"));
  EXPECT_FALSE(pattern_matches("^abc$", "ABC"));  // case-sensitive
}

TEST(Pattern, ClassesRangesAndNegation) {
  EXPECT_TRUE(pattern_matches("^[a-z0-9._-]+$", "my.shop_1-x"));
  EXPECT_FALSE(pattern_matches("^[a-z0-9._-]+$", "My"));
  EXPECT_FALSE(pattern_matches("^[a-z0-9._-]+$", "a/b"));
  EXPECT_TRUE(pattern_matches("^[0-9a-fA-F]{4}$", "00fF"));
  EXPECT_FALSE(pattern_matches("^[0-9a-fA-F]{4}$", "00fg"));
  EXPECT_TRUE(pattern_matches("^[^/?#]+$", "tenant"));
  EXPECT_FALSE(pattern_matches("^[^/?#]+$", "a/b"));
  EXPECT_FALSE(pattern_matches("^[^/?#]+$", "a#b"));
  // '-' first or last is literal; escapes inside a class.
  EXPECT_TRUE(pattern_matches("^[-a]+$", "-a-"));
  EXPECT_TRUE(pattern_matches("^[a-]+$", "a-a"));
  EXPECT_FALSE(pattern_matches("^[a-]+$", "b"));
  EXPECT_TRUE(pattern_matches("^[\\]\\\\]+$", "]\\"));
  EXPECT_TRUE(pattern_matches("^[\\d]+$", "0123"));
  EXPECT_FALSE(pattern_matches("^[^\\d]$", "5"));
  EXPECT_TRUE(pattern_matches("^[^\\d]$", "x"));
  // '.' is any character except line breaks.
  EXPECT_TRUE(pattern_matches("^a.c$", "abc"));
  EXPECT_TRUE(pattern_matches("^a.c$", "a-c"));
  EXPECT_FALSE(pattern_matches("^a.c$", "ac"));
  EXPECT_FALSE(pattern_matches("^a.c$", "a\nc"));
}

TEST(Pattern, Escapes) {
  EXPECT_TRUE(pattern_matches("^a\\.b$", "a.b"));
  EXPECT_FALSE(pattern_matches("^a\\.b$", "axb"));
  EXPECT_TRUE(pattern_matches("^a\\-b$", "a-b"));
  EXPECT_TRUE(pattern_matches("^\\\\$", "\\"));
  EXPECT_TRUE(pattern_matches("^\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|$", "()[]{}*+?|"));
  EXPECT_TRUE(pattern_matches("^\\d{3}$", "123"));
  EXPECT_FALSE(pattern_matches("^\\d{3}$", "12a"));
  EXPECT_TRUE(pattern_matches("^\\w+$", "ab_9Z"));
  EXPECT_FALSE(pattern_matches("^\\w+$", "a-b"));
  // Letter escapes other than \d and \w are not in the subset.
  EXPECT_FALSE(valid("^\\s$"));
  EXPECT_FALSE(valid("^\\b$"));
  EXPECT_FALSE(valid("^\\1$"));
  EXPECT_FALSE(valid("^a\\"));
}

TEST(Pattern, Alternation) {
  EXPECT_TRUE(pattern_matches("^(foo|bar)$", "foo"));
  EXPECT_TRUE(pattern_matches("^(foo|bar)$", "bar"));
  EXPECT_FALSE(pattern_matches("^(foo|bar)$", "foobar"));
  EXPECT_FALSE(pattern_matches("^(foo|bar)$", "fo"));
  EXPECT_TRUE(pattern_matches("^(?:eu|us)-[0-9]$", "eu-1"));
  EXPECT_FALSE(pattern_matches("^(?:eu|us)-[0-9]$", "ap-1"));
  EXPECT_TRUE(pattern_matches("^(a|)b$", "b"));
  EXPECT_TRUE(pattern_matches("^(a|)b$", "ab"));
  EXPECT_TRUE(pattern_matches("^x(a|b(c|d))y$", "xbdy"));
  EXPECT_FALSE(pattern_matches("^x(a|b(c|d))y$", "xby"));
  // ^a|b$ means (^a)|(b$) in most engines: refused rather than guessed.
  Status top = check_pattern("^a|b$");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().code, ErrorCode::invalid_request);
  EXPECT_NE(top.error().message.find("parentheses"), std::string::npos);
  EXPECT_FALSE(valid("^(?=a)$"));
}

TEST(Pattern, Quantifiers) {
  EXPECT_TRUE(pattern_matches("^a?b$", "b"));
  EXPECT_TRUE(pattern_matches("^a?b$", "ab"));
  EXPECT_FALSE(pattern_matches("^a?b$", "aab"));
  EXPECT_TRUE(pattern_matches("^a*$", ""));
  EXPECT_TRUE(pattern_matches("^a*$", "aaaa"));
  EXPECT_FALSE(pattern_matches("^a+$", ""));
  EXPECT_TRUE(pattern_matches("^a+$", "aaa"));
  EXPECT_TRUE(pattern_matches("^a{3}$", "aaa"));
  EXPECT_FALSE(pattern_matches("^a{3}$", "aa"));
  EXPECT_FALSE(pattern_matches("^a{3}$", "aaaa"));
  EXPECT_TRUE(pattern_matches("^a{2,}$", "aa"));
  EXPECT_TRUE(pattern_matches("^a{2,}$", "aaaaaaa"));
  EXPECT_FALSE(pattern_matches("^a{2,}$", "a"));
  EXPECT_TRUE(pattern_matches("^a{2,3}$", "aa"));
  EXPECT_TRUE(pattern_matches("^a{2,3}$", "aaa"));
  EXPECT_FALSE(pattern_matches("^a{2,3}$", "aaaa"));
  EXPECT_TRUE(pattern_matches("^a{0}b$", "b"));
  EXPECT_TRUE(pattern_matches("^(ab){2}$", "abab"));
  EXPECT_FALSE(pattern_matches("^(ab){2}$", "aba"));
  EXPECT_TRUE(pattern_matches("^(a|bc)+$", "abcabc"));
  EXPECT_FALSE(pattern_matches("^a{1000}$", std::string(256, 'a')));  // needs 1000 a's
  EXPECT_TRUE(valid("^a{0,1000}$"));
}

TEST(Pattern, RejectsMalformedPatterns) {
  const char* bad[] = {
      "^(a$",      "^a)$",     "^((a)$",   "^[a-z$",     "^a]$",    "^a}$",      "^a{5,2}$", "^a{1001}$",
      "^a{1,1001}$", "^a{,5}$", "^a{$",     "^a{2$",      "^*a$",    "^+$",       "^?$",      "^a**$",
      "^a+?$",     "^a{2}{3}$", "^[z-a]$",  "^[]$",       "^[^]$",   "^[a-\\d]$", "^[[]$",   "^(?<n>a)$",
  };
  for (const char* p : bad) {
    Status st = check_pattern(p);
    EXPECT_FALSE(st.ok()) << p;
    if (!st.ok()) {
      EXPECT_EQ(st.error().code, ErrorCode::invalid_request) << p;
      EXPECT_NE(st.error().message.find("pattern"), std::string::npos) << p;
    }
    EXPECT_FALSE(pattern_matches(p, "a")) << p;
  }
  // Non-printable and non-ASCII pattern bytes are refused.
  EXPECT_FALSE(valid("^a\tb$"));
  EXPECT_FALSE(valid("^\xc3\xa9$"));
}

TEST(Pattern, LimitsLengthAndNesting) {
  // Pattern length: 512 characters at most.
  std::string long_ok = "^" + std::string(510, 'a') + "$";
  EXPECT_TRUE(valid(long_ok));
  EXPECT_FALSE(valid("^" + std::string(511, 'a') + "$"));
  // Group nesting: 16 levels at most.
  auto nested = [](int depth) { return "^" + std::string(depth, '(') + "a" + std::string(depth, ')') + "$"; };
  EXPECT_TRUE(valid(nested(16)));
  EXPECT_TRUE(pattern_matches(nested(16), "a"));
  EXPECT_FALSE(valid(nested(17)));
  // Values: 256 bytes at most.
  EXPECT_TRUE(pattern_matches("^a*$", std::string(256, 'a')));
  EXPECT_FALSE(pattern_matches("^a*$", std::string(257, 'a')));
}

TEST(Pattern, TypicalCatalogPatterns) {
  const std::string guid =
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
  EXPECT_TRUE(pattern_matches(guid, "72f988bf-86f1-41af-91ab-2d7cd011db47"));
  EXPECT_FALSE(pattern_matches(guid, "72f988bf-86f1-41af-91ab-2d7cd011db4"));
  EXPECT_FALSE(pattern_matches(guid, "72f988bf86f141af91ab2d7cd011db47"));

  const std::string tenant = "^(common|organizations|consumers|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|"
                             "[a-z0-9-]+(\\.[a-z0-9-]+)+)$";
  EXPECT_TRUE(valid(tenant));
  EXPECT_TRUE(pattern_matches(tenant, "common"));
  EXPECT_TRUE(pattern_matches(tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47"));
  EXPECT_TRUE(pattern_matches(tenant, "contoso.onmicrosoft.com"));
  EXPECT_FALSE(pattern_matches(tenant, "contoso"));
  EXPECT_FALSE(pattern_matches(tenant, "common/evil"));

  const std::string shop = "^[a-zA-Z0-9][a-zA-Z0-9-]{0,59}$";
  EXPECT_TRUE(pattern_matches(shop, "my-store"));
  EXPECT_FALSE(pattern_matches(shop, "-store"));
  EXPECT_FALSE(pattern_matches(shop, "evil.com"));
  EXPECT_FALSE(pattern_matches(shop, "a b"));
  EXPECT_FALSE(pattern_matches(shop, std::string(61, 'a')));
  EXPECT_TRUE(pattern_matches(shop, std::string(60, 'a')));

  const std::string okta = "^[a-z0-9-]+\\.(okta|oktapreview|okta-emea)\\.com$";
  EXPECT_TRUE(pattern_matches(okta, "dev-123456.okta.com"));
  EXPECT_TRUE(pattern_matches(okta, "acme.oktapreview.com"));
  EXPECT_FALSE(pattern_matches(okta, "dev-123456.okta.com.evil.com"));
  EXPECT_FALSE(pattern_matches(okta, "dev-123456xokta.com"));

  const std::string host_labels =
      "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";
  EXPECT_TRUE(pattern_matches(host_labels, "dev-123456.okta.com"));
  EXPECT_TRUE(pattern_matches(host_labels, "a.b"));
  EXPECT_FALSE(pattern_matches(host_labels, "localhost"));
  EXPECT_FALSE(pattern_matches(host_labels, "a-.b"));
  EXPECT_FALSE(pattern_matches(host_labels, "a..b"));
}

// Patterns that take exponential time in a backtracking engine. These must finish (the test
// itself would hang otherwise) and, being far inside the work budget, give the exact answer.
TEST(Pattern, HostilePatternsTerminate) {
  const std::string as(256, 'a');
  const std::string as_then_b = std::string(255, 'a') + "b";
  EXPECT_TRUE(pattern_matches("^(a|aa)*$", as));
  EXPECT_FALSE(pattern_matches("^(a|aa)*$", as_then_b));
  EXPECT_TRUE(pattern_matches("^a(a|aa)*$", as));
  EXPECT_FALSE(pattern_matches("^a(a|aa)*$", as_then_b));
  EXPECT_FALSE(pattern_matches("^(a+)+$", as_then_b));
  EXPECT_FALSE(pattern_matches("^(a*)*b$", as));
  EXPECT_FALSE(pattern_matches("^(a|a)*c$", as));
  EXPECT_FALSE(pattern_matches("^((a*)*)*(a*)*c$", as));
  EXPECT_TRUE(pattern_matches("^(.*a){20}$", as));
  EXPECT_FALSE(pattern_matches("^(.*a){20}$", std::string(256, 'b')));
  EXPECT_TRUE(pattern_matches("^((a{1,1000}){1,1000}){1,1000}$", as));
  EXPECT_FALSE(pattern_matches("^((a{1,1000}){1,1000}){1,1000}b$", as));
  std::string deep = "^";
  for (int i = 0; i < 16; ++i) deep += "(";
  deep += "a|aa";
  for (int i = 0; i < 16; ++i) deep += ")*";
  deep += "$";
  EXPECT_TRUE(valid(deep));
  EXPECT_FALSE(pattern_matches(deep, as_then_b));
}

}  // namespace
}  // namespace latchkey::detail
