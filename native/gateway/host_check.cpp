#include "host_check.hpp"

#include <boost/asio/ip/address.hpp>

#include "latchkey/url.hpp"

namespace latchkey::gateway {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// "host:port" or "[v6]:port" (the core's split) into the host, brackets dropped, and the port
/// text; false if there is no port.
bool host_and_port(std::string_view text, std::string* host, std::string* port) {
  const HostPort hp = split_host_port(text);
  if (hp.problem || hp.port.empty()) return false;
  std::string_view h = hp.host;
  if (h.size() >= 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
  else if (h.find(':') != std::string_view::npos) return false;  // an unbracketed IPv6 literal
  *host = lower(h);
  *port = std::string(hp.port);
  return true;
}

}  // namespace

bool host_names_gateway(std::string_view host_header, std::string_view listen,
                        std::string_view public_host) {
  if (host_header.empty()) return false;
  const std::string asked = lower(host_header);
  if (!public_host.empty() && asked == lower(public_host)) return true;
  std::string listen_host, listen_port, host, port;
  if (!host_and_port(listen, &listen_host, &listen_port)) return false;
  if (!host_and_port(asked, &host, &port) || port != listen_port) return false;
  if (host == listen_host) return true;
  boost::system::error_code ec;
  const auto bound = boost::asio::ip::make_address(listen_host, ec);
  if (ec) return false;
  if (bound.is_loopback() && host == "localhost") return true;
  if (bound.is_unspecified()) {
    boost::asio::ip::make_address(host, ec);
    return !ec;
  }
  return false;
}

}  // namespace latchkey::gateway
