// latchkeyd's checks on hostile input that need no server: request framing (Transfer-Encoding),
// proxied path segments, the Host check, and the API-key throttle with a clock the test moves.
#include <gtest/gtest.h>

#include <boost/beast/http/message.hpp>

#include "host_check.hpp"
#include "key_throttle.hpp"
#include "proxy_path.hpp"
#include "request_head.hpp"
#include "target.hpp"

namespace latchkey::gateway {
namespace {

namespace http = boost::beast::http;

std::optional<FramingRefusal> te(std::initializer_list<const char*> values) {
  http::request_header<> head;
  head.method(http::verb::post);
  head.target("/v1/proxy/p/x");
  for (const char* v : values) head.insert(http::field::transfer_encoding, v);
  return transfer_encoding_refusal(head);
}

TEST(TransferEncoding, OnlyAFinalSingleChunkedPasses) {
  EXPECT_FALSE(te({}));
  EXPECT_FALSE(te({"chunked"}));
  EXPECT_FALSE(te({"Chunked"}));
  for (auto values : {std::initializer_list<const char*>{"gzip"}, {"chunked, gzip"}, {"chunked", "gzip"}, {""},
                      {"identity"}, {"chunked, chunked"}, {"gzip, chunked, chunked"}, {"gzip", "chunked", "chunked"}}) {
    auto r = te(values);
    ASSERT_TRUE(r) << *values.begin();
    EXPECT_EQ(r->status, 400) << *values.begin();
  }
  auto gz = te({"gzip, chunked"});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 501);
  EXPECT_NE(gz->message.find("gzip"), std::string::npos);
}

/// What proxy_segment_refusal says of a raw (percent-encoded) segment, decoded as split_target does.
std::string refusal(const std::string& raw) {
  std::string decoded;
  if (!decode_segment(raw, &decoded)) return "undecodable";
  return proxy_segment_refusal(decoded);
}

TEST(ProxyPath, RefusesWhatCouldLeaveTheBasePath) {
  for (const char* ok : {"me", "a;b", "...", "..a", "caf%c3%a9", "%e2%82%ac", "%f0%9f%98%80", "x%2fy", "%25"}) {
    EXPECT_EQ(refusal(ok), "") << ok;
  }
  const std::pair<const char*, const char*> bad[] = {
      {".", "'.' or '..'"},       {"..", "'.' or '..'"},        {"..;", "'.' or '..'"},
      {"..;x=1", "'.' or '..'"},  {"%2e%2e;", "'.' or '..'"},   {".;", "'.' or '..'"},
      {"a%2f..", "'.' or '..'"},  {"%252e%252e", "'.' or '..'"}, {"%252e%252e%3b", "'.' or '..'"},
      {"%00", "NUL"},             {"a%00b", "NUL"},             {"%2500", "NUL"},
      {"%c0%ae", "UTF-8"},        {"%c0%ae%c0%ae", "UTF-8"},    {"%e0%80%ae", "UTF-8"},
      {"%c1%9c", "UTF-8"},        {"%ed%a0%80", "UTF-8"},       {"%f4%90%80%80", "UTF-8"},
      {"%ff", "UTF-8"},           {"%c3", "UTF-8"},             {"%25c0%25ae", "UTF-8"},
      {"a%5cb", "backslash"},     {"%255c", "backslash"},
  };
  for (const auto& [raw, why] : bad) EXPECT_NE(refusal(raw).find(why), std::string::npos) << raw << ": " << refusal(raw);
}

TEST(HostCheck, TheListenAddressAndLoopbackNames) {
  EXPECT_TRUE(host_names_gateway("127.0.0.1:8787", "127.0.0.1:8787"));
  EXPECT_TRUE(host_names_gateway("localhost:8787", "127.0.0.1:8787"));
  EXPECT_TRUE(host_names_gateway("LOCALHOST:8787", "127.0.0.1:8787"));
  EXPECT_TRUE(host_names_gateway("[::1]:8787", "[::1]:8787"));
  EXPECT_TRUE(host_names_gateway("localhost:8787", "[::1]:8787"));
  EXPECT_FALSE(host_names_gateway("evil.example", "127.0.0.1:8787"));
  EXPECT_FALSE(host_names_gateway("evil.example:8787", "127.0.0.1:8787"));
  EXPECT_FALSE(host_names_gateway("127.0.0.1:8788", "127.0.0.1:8787"));
  EXPECT_FALSE(host_names_gateway("127.0.0.1", "127.0.0.1:8787"));
  EXPECT_FALSE(host_names_gateway("", "127.0.0.1:8787"));
  EXPECT_FALSE(host_names_gateway("localhost:8787", "10.0.0.5:8787"));  // not loopback: localhost is elsewhere
  // Listening everywhere: an IP literal with the port is fine, a name is not.
  EXPECT_TRUE(host_names_gateway("10.0.0.5:8787", "0.0.0.0:8787"));
  EXPECT_TRUE(host_names_gateway("[fe80::1]:8787", "[::]:8787"));
  EXPECT_FALSE(host_names_gateway("evil.example:8787", "0.0.0.0:8787"));
  // The public addresses a later --public-url adds.
  EXPECT_TRUE(host_names_gateway("Gw.Example.com", "127.0.0.1:8787", "gw.example.com"));
  EXPECT_FALSE(host_names_gateway("gw.example.com:444", "127.0.0.1:8787", "gw.example.com"));
}

TEST(KeyThrottle, TwentyFailuresAMinuteThenRefusedUntilTheWindowEnds) {
  KeyThrottle t;  // the gateway's defaults: 20 a minute
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(t.blocked_for_ms("10.0.0.1", t0 + i * 1000), 0) << i;
    t.failed("10.0.0.1", t0 + i * 1000);
  }
  EXPECT_EQ(t.blocked_for_ms("10.0.0.1", t0 + 20'000), 40'000);  // the window started at t0
  EXPECT_EQ(t.blocked_for_ms("10.0.0.2", t0 + 20'000), 0);       // another address
  EXPECT_EQ(t.blocked_for_ms("10.0.0.1", t0 + 59'999), 1);
  EXPECT_EQ(t.blocked_for_ms("10.0.0.1", t0 + 60'000), 0);
  t.failed("10.0.0.1", t0 + 60'000);  // a new window, one failure in it
  EXPECT_EQ(t.blocked_for_ms("10.0.0.1", t0 + 60'001), 0);
}

TEST(KeyThrottle, SpreadOutFailuresNeverBlock) {
  KeyThrottle t(3, 1000);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(t.blocked_for_ms("a", i * 500), 0) << i;
    t.failed("a", i * 500);  // two per window
  }
}

TEST(KeyThrottle, ClientsAreIPv4AddressesAndIPv6Slash64s) {
  EXPECT_EQ(throttle_client("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(throttle_client("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(throttle_client("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_client("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_client("not an address"), "");
}

}  // namespace
}  // namespace latchkey::gateway
