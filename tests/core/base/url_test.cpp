// core/src/base/url.hpp: endpoint checks (RFC 8252 §8.3 loopback exception for http), and
// application/x-www-form-urlencoded encoding as the WHATWG URL standard and RFC 6749 use it.
#include <gtest/gtest.h>

#include <string>

#include "url.hpp"

namespace latchkey::detail {
namespace {

TEST(Url, ParsesPieces) {
  auto u = parse_url("HTTPS://Login.Example.COM:8443/oauth2/v2.0/Authorize?a=1&b=two#frag");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "login.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/oauth2/v2.0/Authorize");  // the path keeps its case
  EXPECT_EQ(u->query, "a=1&b=two");
  EXPECT_EQ(u->fragment, "frag");

  auto bare = parse_url("https://example.com");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "example.com");
  EXPECT_EQ(bare->port, 0);
  EXPECT_EQ(bare->path, "");
  EXPECT_EQ(bare->query, "");
  EXPECT_EQ(bare->fragment, "");

  auto q = parse_url("http://localhost:3000?x=%20y");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->scheme, "http");
  EXPECT_EQ(q->port, 3000);
  EXPECT_EQ(q->path, "");
  EXPECT_EQ(q->query, "x=%20y");

  auto v6 = parse_url("http://[::1]:8080/callback");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->path, "/callback");

  // '#' ends the query; '?' after it belongs to the fragment; '@' in a path is not userinfo.
  auto f = parse_url("https://example.com/a/@me#x?y");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->path, "/a/@me");
  EXPECT_EQ(f->query, "");
  EXPECT_EQ(f->fragment, "x?y");
}

TEST(Url, RejectsBadUrls) {
  for (const char* bad : {
           "https://user:secret@example.com/",  // userinfo
           "https://user@example.com/",
           "https://exa mple.com/",             // spaces
           "https://example.com/a b",
           " https://example.com/",
           "https://example.com/\t",
           "https://example.com/\xc3\xa9",      // raw non-ASCII
           "ftp://example.com/file",             // other schemes
           "javascript://example.com/%0aalert(1)",
           "file:///etc/passwd",
           "example.com/path",                   // not absolute
           "//example.com/path",
           "https:///path",                      // no host
           "https://:443/",
           "https://example.com:0/",             // bad ports
           "https://example.com:65536/",
           "https://example.com:8o/",
           "https://example.com:-1/",
           "https://[::1/",                      // unterminated IPv6 literal
           "https://[::1]x/",
           "https://exa%6dple.com/",
           "",
       }) {
    auto u = parse_url(bad);
    ASSERT_FALSE(u.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(u.error().code, ErrorCode::invalid_request);
  }
  EXPECT_TRUE(parse_url("https://example.com:65535/").ok());
  EXPECT_TRUE(parse_url("https://example.com:1/").ok());
}

TEST(Url, LoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "127.255.255.255", "[::1]"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"example.com", "127.example.com", "127.0.0.1.example.com", "localhost.example.com",
                           "127.0.0", "127.0.0.1.", "128.0.0.1", "10.0.0.1", "[::2]", "127..0.1", "1270.0.0.1",
                           "127.0.0.1234", "127.0.0.256", "127.999.0.1", ""}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(Url, CheckEndpoint) {
  for (const char* ok : {"https://example.com/token", "https://example.com:8443/oauth/token?x=1",
                         "http://127.0.0.1:8080/callback", "http://127.0.0.1/", "http://localhost/callback",
                         "http://localhost:3000", "http://[::1]/callback", "http://[::1]:9000/cb",
                         "HTTP://LOCALHOST/cb"}) {
    EXPECT_TRUE(check_endpoint(ok, "token_endpoint").ok()) << ok;
  }
  for (const char* bad : {"http://example.com/token", "http://127.example.com/token", "http://127.0.0.1.nip.io/",
                          "http://localhost.example.com/", "ftp://example.com/", "https://example.com/#frag",
                          "https://user@example.com/", "token"}) {
    auto s = check_endpoint(bad, "token_endpoint");
    ASSERT_FALSE(s.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(s.error().code, ErrorCode::invalid_request);
    // The message names the field.
    EXPECT_NE(s.error().message.find("token_endpoint"), std::string::npos) << s.error().message;
  }
}

TEST(Url, PercentEncode) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b+c/d?e=f&g"), "a%20b%2Bc%2Fd%3Fe%3Df%26g");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2)), "%00%FF");
}

TEST(Url, FormEncodeDecodeRoundTrip) {
  EXPECT_EQ(form_encode("a b+c"), "a+b%2Bc");
  EXPECT_EQ(form_encode("https://app.example/cb?x=1"), "https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1");
  EXPECT_EQ(form_encode("caf\xc3\xa9 \xe2\x82\xac"), "caf%C3%A9+%E2%82%AC");
  EXPECT_EQ(form_encode("-._~"), "-._~");

  auto plus = form_decode("a+b%2Bc");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(*plus, "a b+c");
  auto spaces = form_decode("%20%20+");
  ASSERT_TRUE(spaces.ok());
  EXPECT_EQ(*spaces, "   ");
  auto utf8 = form_decode("caf%c3%A9+%E2%82%ac");  // hex digits in either case
  ASSERT_TRUE(utf8.ok());
  EXPECT_EQ(*utf8, "caf\xc3\xa9 \xe2\x82\xac");

  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (const std::string& s : {std::string(), std::string("a+b c%2B"), all}) {
    auto back = form_decode(form_encode(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
}

TEST(Url, FormDecodeRejectsBadEscapes) {
  for (const char* bad : {"%", "%4", "a%", "a%4", "abc%2", "%zz", "%4g", "%g4", "a=%2", "%%41", "% 41"}) {
    auto r = form_decode(bad);
    ASSERT_FALSE(r.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  }
  EXPECT_FALSE(decode_form("a=1&b=%2").ok());
  EXPECT_FALSE(decode_form("a%=1").ok());
  auto last = form_decode("ab%41");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, "abA");
}

TEST(Url, EncodeAndDecodeForm) {
  Params p = {{"grant_type", "authorization_code"}, {"code", "a+b/c="}, {"redirect_uri", "http://127.0.0.1:8080/cb"},
              {"scope", "read write"}};
  std::string body = encode_form(p);
  EXPECT_EQ(body,
            "grant_type=authorization_code&code=a%2Bb%2Fc%3D&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb"
            "&scope=read+write");
  auto back = decode_form(body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_EQ(encode_form({}), "");
}

TEST(Url, DecodeFormKeepsDuplicatesAndOrder) {
  auto r = decode_form("b=2&a=1&b=3&flag&empty=&=v&&c=x=y");
  ASSERT_TRUE(r.ok());
  Params want = {{"b", "2"}, {"a", "1"}, {"b", "3"}, {"flag", ""}, {"empty", ""}, {"", "v"}, {"c", "x=y"}};
  EXPECT_EQ(*r, want);
  const std::string* b = find_param(*r, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b, "2");  // the first one
  EXPECT_EQ(find_param(*r, "missing"), nullptr);
  auto empty = decode_form("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Url, AppendQuery) {
  Params p = {{"state", "s 1"}, {"code_challenge", "abc"}};
  EXPECT_EQ(append_query("https://example.com/authorize", p),
            "https://example.com/authorize?state=s+1&code_challenge=abc");
  EXPECT_EQ(append_query("https://example.com/authorize?tenant=x", p),
            "https://example.com/authorize?tenant=x&state=s+1&code_challenge=abc");
  EXPECT_EQ(append_query("https://example.com/authorize?", p),
            "https://example.com/authorize?state=s+1&code_challenge=abc");
  EXPECT_EQ(append_query("https://example.com/authorize#frag", p),
            "https://example.com/authorize?state=s+1&code_challenge=abc#frag");
  EXPECT_EQ(append_query("https://example.com/authorize?tenant=x#frag", p),
            "https://example.com/authorize?tenant=x&state=s+1&code_challenge=abc#frag");
  EXPECT_EQ(append_query("https://example.com/authorize?tenant=x", {}), "https://example.com/authorize?tenant=x");
}

}  // namespace
}  // namespace latchkey::detail
