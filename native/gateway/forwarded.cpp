#include "forwarded.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>

#include "api.hpp"
#include "key_throttle.hpp"

namespace latchkey::gateway {
namespace {

bool to_bytes(std::string_view text, std::array<unsigned char, 16>* out) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (address.is_v4()) {
    *out = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes();
  } else {
    *out = address.to_v6().to_bytes();
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Every value of header `name`, joined with "," (several X-Forwarded-For lines are one list).
std::string header_values(const ApiRequest& req, std::string_view name) {
  std::string out;
  for (const auto& [n, v] : req.headers) {
    if (!boost::beast::iequals(n, name)) continue;
    if (!out.empty()) out += ',';
    out += v;
  }
  return out;
}

/// An address as X-Forwarded-For may carry it: "[v6]:port" and "v4:port" lose the port.
std::string bare_address(std::string_view item) {
  item = trim(item);
  if (!item.empty() && item.front() == '[') {
    auto close = item.find(']');
    return close == std::string_view::npos ? std::string() : std::string(item.substr(1, close - 1));
  }
  if (auto colon = item.find(':'); colon != std::string_view::npos && item.find(':', colon + 1) == std::string_view::npos) {
    item = item.substr(0, colon);  // one colon: IPv4 with a port
  }
  return std::string(item);
}

// From a trusted peer (client_address still the peer's): the forwarded client, scheme and host.
void resolve_forwarded(const std::vector<Cidr>& trusted, ApiRequest* req) {
  const std::string peer = req->client_address;
  if (!in_ranges(trusted, peer)) return;
  req->via_proxy = true;
  const std::string chain = header_values(*req, "X-Forwarded-For");
  std::size_t end = chain.size();
  while (end > 0) {
    const std::size_t comma = chain.rfind(',', end - 1);
    const std::size_t begin = comma == std::string::npos ? 0 : comma + 1;
    const std::string address = bare_address(std::string_view(chain).substr(begin, end - begin));
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    if (ec) break;  // not an address: the chain is not ours from here on
    req->client_address = address;
    if (!in_ranges(trusted, address)) break;
    if (comma == std::string::npos) break;
    end = comma;
  }
  const std::string proto(trim(header_values(*req, "X-Forwarded-Proto")));
  if (boost::beast::iequals(proto, "https")) req->scheme = "https";
  else if (boost::beast::iequals(proto, "http")) req->scheme = "http";
  const std::string host(trim(header_values(*req, "X-Forwarded-Host")));
  if (!host.empty() && host.find(',') == std::string::npos) req->host = host;
}

}  // namespace

Result<Cidr> parse_cidr(const std::string& text) {
  const auto fail = [&] {
    return make_error(ErrorCode::invalid_request,
                      "--trusted-proxy '" + text + "' is not an address or a range (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1)");
  };
  Cidr c;
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(address, ec);
  if (ec || !to_bytes(address, &c.bytes)) return fail();
  const int max_bits = parsed.is_v4() ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) return fail();
    bits = std::stoi(digits);
    if (bits > max_bits) return fail();
  }
  c.prefix = parsed.is_v4() ? bits + 96 : bits;
  return c;
}

bool in_ranges(const std::vector<Cidr>& ranges, std::string_view address) {
  std::array<unsigned char, 16> bytes;
  if (ranges.empty() || !to_bytes(address, &bytes)) return false;
  for (const Cidr& r : ranges) {
    int bits = r.prefix;
    bool match = true;
    for (int i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
      match = (bytes[i] & mask) == (r.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

void resolve_origin(const ApiConfig& config, const std::string& peer, ApiRequest* req) {
  req->client_address = peer;
  req->scheme = config.tls ? "https" : "http";
  req->via_proxy = false;
  resolve_forwarded(config.trusted, req);
  req->client = throttle_client(req->client_address);
}

}  // namespace latchkey::gateway
