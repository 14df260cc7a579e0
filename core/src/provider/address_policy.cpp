#include "address_policy.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "provider_fields.hpp"
#include "text.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

/// A canonical dotted quad ("10.0.0.1": four decimal octets, no leading zeros).
std::optional<std::array<int, 4>> dotted_quad(std::string_view s) {
  std::array<int, 4> out{};
  std::size_t part = 0, digits = 0;
  int value = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (digits == 0 || part > 3) return std::nullopt;
      out[part++] = value;
      digits = 0;
      value = 0;
      continue;
    }
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (digits == 1 && value == 0) return std::nullopt;  // a leading zero reads as octal to some resolvers
    value = value * 10 + (c - '0');
    if (++digits > 3 || value > 255) return std::nullopt;
  }
  if (part != 4) return std::nullopt;
  return out;
}

bool private_v4(const std::array<int, 4>& a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||  // this network, private, loopback, multicast/reserved
         (a[0] == 100 && a[1] >= 64 && a[1] < 128) ||                // CGNAT
         (a[0] == 169 && a[1] == 254) ||                             // link-local (cloud metadata services)
         (a[0] == 172 && a[1] >= 16 && a[1] < 32) || (a[0] == 192 && a[1] == 168) ||
         (a[0] == 192 && a[1] == 0 && a[2] == 0) ||                   // IETF protocol assignments
         (a[0] == 198 && (a[1] == 18 || a[1] == 19));                 // benchmarking
}

/// An IPv6 literal (without brackets) as 16 bytes; nullopt if it is not one.
std::optional<std::array<std::uint8_t, 16>> ipv6(std::string_view s) {
  std::array<std::uint8_t, 16> out{};
  std::vector<std::uint16_t> head, tail;
  bool gap = false;
  std::vector<std::uint16_t>* cur = &head;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = true;
    cur = &tail;
    i = 2;
  }
  while (i < s.size()) {
    std::size_t end = s.find(':', i);
    std::string_view group = s.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (group.find('.') != std::string_view::npos) {  // a trailing IPv4 part
      if (end != std::string_view::npos) return std::nullopt;
      auto v4 = dotted_quad(group);
      if (!v4) return std::nullopt;
      cur->push_back(static_cast<std::uint16_t>((*v4)[0] << 8 | (*v4)[1]));
      cur->push_back(static_cast<std::uint16_t>((*v4)[2] << 8 | (*v4)[3]));
      break;
    }
    if (group.empty() || group.size() > 4) return std::nullopt;
    std::uint16_t v = 0;
    for (char c : group) {
      int d = hex_value(c);
      if (d < 0) return std::nullopt;
      v = static_cast<std::uint16_t>(v << 4 | d);
    }
    cur->push_back(v);
    if (end == std::string_view::npos) break;
    i = end + 1;
    if (i < s.size() && s[i] == ':') {
      if (gap) return std::nullopt;
      gap = true;
      cur = &tail;
      ++i;
    } else if (i == s.size()) {
      return std::nullopt;
    }
  }
  std::size_t groups = head.size() + tail.size();
  if (gap ? groups > 7 : groups != 8) return std::nullopt;
  for (std::size_t g = 0; g < head.size(); ++g) {
    out[2 * g] = static_cast<std::uint8_t>(head[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(head[g]);
  }
  for (std::size_t g = 0; g < tail.size(); ++g) {
    std::size_t at = 8 - tail.size() + g;
    out[2 * at] = static_cast<std::uint8_t>(tail[g] >> 8);
    out[2 * at + 1] = static_cast<std::uint8_t>(tail[g]);
  }
  return out;
}

bool private_v6(const std::array<std::uint8_t, 16>& a) {
  bool zero_prefix = true;
  for (int i = 0; i < 10; ++i) zero_prefix = zero_prefix && a[i] == 0;
  // ::ffff:a.b.c.d and the deprecated ::a.b.c.d reach IPv4 addresses: judge those.
  if (zero_prefix && ((a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0))) {
    if (a[10] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1) return true;  // :: and ::1
    return private_v4({a[12], a[13], a[14], a[15]});
  }
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {  // NAT64 64:ff9b::/96
    return private_v4({a[12], a[13], a[14], a[15]});
  }
  return (a[0] & 0xfe) == 0xfc ||                     // unique local fc00::/7
         (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||  // link-local fe80::/10
         (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||  // site-local fec0::/10 (deprecated)
         a[0] == 0xff ||                              // multicast
         (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8);  // documentation
}

}  // namespace

bool is_private_host(std::string_view host) {
  if (host.empty()) return true;
  if (host.front() == '[') {
    if (host.back() != ']') return true;
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find('%') != std::string_view::npos) return true;  // a zone id only makes sense on a local link
    auto a = ipv6(inner);
    return !a || private_v6(*a);
  }
  std::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name == "localhost" || ends_with(name, ".localhost")) return true;
  if (auto quad = dotted_quad(name)) return private_v4(*quad);
  // Not a canonical quad, yet its last label looks numeric ("2130706433", "0x7f.1", "127.1"):
  // inet_aton would take it as an address, and no real top-level domain is numeric.
  std::size_t dot = name.rfind('.');
  std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() && last.front() >= '0' && last.front() <= '9';
}

Status check_metadata_url(std::string_view url, const char* what, bool allow_private) {
  if (auto s = check_endpoint(url, what); !s) return s;
  auto u = parse_url(url);
  if (!u) return u.error();
  if (!allow_private && is_private_host(u->host)) {
    return make_error(ErrorCode::invalid_request,
                      std::string(what) + " '" + clean(url, 200) +
                          "' is a loopback, private or reserved address; latchkey refuses it unless private "
                          "networks are allowed (--allow-private-network; allow_private_network in the gateway's "
                          "POST /v1/providers/discover, allowPrivateNetwork in JS) — metadata must not steer "
                          "requests into your network");
  }
  return Ok{};
}

Status check_discovered_endpoints(const Provider& provider, bool allow_private) {
  for (const auto& [what, url] : url_fields(provider)) {
    if (url->empty()) continue;
    if (auto s = check_metadata_url(*url, what.c_str(), allow_private); !s) return s;
  }
  return Ok{};
}

}  // namespace latchkey::detail
