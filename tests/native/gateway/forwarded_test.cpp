// Who a request came from behind a reverse proxy: X-Forwarded-* believed from trusted peers only.
#include "forwarded.hpp"

#include <gtest/gtest.h>

#include "api.hpp"
#include "keys.hpp"

namespace latchkey::gateway {
namespace {

std::vector<Cidr> ranges(std::initializer_list<const char*> texts) {
  std::vector<Cidr> out;
  for (const char* t : texts) {
    auto c = parse_cidr(t);
    EXPECT_TRUE(c.ok()) << t;
    if (c) out.push_back(*c);
  }
  return out;
}

/// resolve_origin with the listener `scheme` and these trusted ranges.
void resolve(const std::vector<Cidr>& trusted, const std::string& peer, const char* scheme, ApiRequest* req) {
  ApiConfig config;
  config.trusted = trusted;
  config.tls = std::string(scheme) == "https";
  resolve_origin(config, peer, req);
}

ApiRequest with_headers(std::vector<std::pair<std::string, std::string>> headers, std::string host = "gw:8787") {
  ApiRequest r;
  r.host = std::move(host);
  r.headers = std::move(headers);
  return r;
}

TEST(Cidr, ParsesAddressesAndRanges) {
  auto nets = ranges({"127.0.0.1", "10.0.0.0/8", "192.168.1.0/24", "::1", "fd00::/8"});
  EXPECT_TRUE(in_ranges(nets, "127.0.0.1"));
  EXPECT_FALSE(in_ranges(nets, "127.0.0.2"));
  EXPECT_TRUE(in_ranges(nets, "10.255.3.4"));
  EXPECT_FALSE(in_ranges(nets, "11.0.0.1"));
  EXPECT_TRUE(in_ranges(nets, "192.168.1.77"));
  EXPECT_FALSE(in_ranges(nets, "192.168.2.1"));
  EXPECT_TRUE(in_ranges(nets, "::1"));
  EXPECT_TRUE(in_ranges(nets, "fd12:3456::1"));
  EXPECT_FALSE(in_ranges(nets, "fe80::1"));
  EXPECT_TRUE(in_ranges(nets, "::ffff:10.1.2.3")) << "an IPv4 peer on a dual-stack socket";
  EXPECT_FALSE(in_ranges(nets, "not an address"));
  EXPECT_FALSE(in_ranges({}, "127.0.0.1"));
  auto all = ranges({"0.0.0.0/0"});
  EXPECT_TRUE(in_ranges(all, "203.0.113.9"));
  EXPECT_FALSE(in_ranges(all, "2001:db8::1")) << "an IPv4 range holds no IPv6 address";
}

TEST(Cidr, RefusesWhatIsNotARange) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.com", "10.0.0.0/8/8"}) {
    auto c = parse_cidr(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, ErrorCode::invalid_request);
    EXPECT_NE(c.error().message.find("--trusted-proxy '" + std::string(bad) + "'"), std::string::npos);
  }
}

TEST(ResolveOrigin, AnUntrustedPeerIsItselfWhateverItSends) {
  auto r = with_headers({{"X-Forwarded-For", "198.51.100.7"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil"}});
  resolve(ranges({"127.0.0.1"}), "203.0.113.5", "http", &r);
  EXPECT_EQ(r.client_address, "203.0.113.5");
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.host, "gw:8787");
  EXPECT_FALSE(r.via_proxy);
}

TEST(ResolveOrigin, ATrustedProxyNamesTheClientSchemeAndHost) {
  auto r = with_headers({{"x-forwarded-for", "198.51.100.7, 203.0.113.5"}, {"X-Forwarded-Proto", "https"},
                         {"X-Forwarded-Host", "vault.example.com"}});
  resolve(ranges({"127.0.0.1"}), "127.0.0.1", "http", &r);
  // The right-most untrusted address: what our proxy saw. The left part is the client's claim.
  EXPECT_EQ(r.client_address, "203.0.113.5");
  EXPECT_EQ(r.client, "203.0.113.5") << "the key throttle counts the forwarded client";
  EXPECT_EQ(r.scheme, "https");
  EXPECT_EQ(r.host, "vault.example.com");
  EXPECT_TRUE(r.via_proxy);
}

TEST(ResolveOrigin, AChainOfTrustedProxiesIsWalkedThrough) {
  auto r = with_headers({{"X-Forwarded-For", "198.51.100.7, 203.0.113.5"}, {"X-Forwarded-For", "10.0.0.2, [::1]:443"}});
  resolve(ranges({"127.0.0.1", "10.0.0.0/8", "::1"}), "127.0.0.1", "https", &r);
  EXPECT_EQ(r.client_address, "203.0.113.5");
  EXPECT_EQ(r.scheme, "https") << "no X-Forwarded-Proto: the listener's";
}

TEST(ResolveOrigin, GarbageInTheChainStopsTheWalk) {
  auto r = with_headers({{"X-Forwarded-For", "198.51.100.7, unknown, 10.0.0.3"}, {"X-Forwarded-Proto", "gopher"}});
  resolve(ranges({"127.0.0.1", "10.0.0.0/8"}), "127.0.0.1", "http", &r);
  EXPECT_EQ(r.client_address, "10.0.0.3") << "the last address before what is not one";
  EXPECT_EQ(r.scheme, "http") << "only http or https is taken";
  auto none = with_headers({});
  resolve(ranges({"127.0.0.1"}), "127.0.0.1", "http", &none);
  EXPECT_EQ(none.client_address, "127.0.0.1") << "a trusted peer that forwards nothing is the client";
}

TEST(Duration, ReadsDaysHoursMinutesSeconds) {
  EXPECT_EQ(*parse_duration("90d"), 90LL * 86400 * 1000);
  EXPECT_EQ(*parse_duration("12h"), 12LL * 3600 * 1000);
  EXPECT_EQ(*parse_duration("30m"), 30LL * 60 * 1000);
  EXPECT_EQ(*parse_duration("45s"), 45000);
  EXPECT_EQ(*parse_duration("3600"), 3600000);
  for (const char* bad : {"", "0d", "-1h", "1w", "h", "1.5h", "99999999999d"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace latchkey::gateway
