#include "http/request_target.hpp"

#include <cctype>

#include "http/ascii.hpp"

namespace latchkey::native::client {

std::string parse_target(std::string_view url, Target* t) {
  std::string why = url_problem(url, &t->url);
  const std::string& host = t->url.host;
  // Stricter than the core, which also reads templates: a host here is resolved or dialled.
  if (why.empty() && host.front() == '[') {
    if (host.size() == 2) why = "it has no host";
    for (std::size_t i = 1; why.empty() && i + 1 < host.size(); ++i) {
      const char c = host[i];
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) why = "it has an invalid IPv6 address";
    }
  } else if (why.empty() && host.find_first_of("{}") != std::string::npos) {
    why = "the host has characters a host name cannot have";
  }
  if (!why.empty()) return "the request URL is not valid: " + why;
  t->tls = t->url.scheme == "https";
  const int scheme_port = t->tls ? 443 : 80;
  t->port = t->url.port != 0 ? t->url.port : scheme_port;
  t->default_port = t->port == scheme_port;
  // The core's Url cannot tell "/a?" from "/a"; the server may (a signature may cover it). No
  // '?' can come before the path, so one before the fragment starts the query.
  t->has_query = url.substr(0, url.find('#')).find('?') != std::string_view::npos;
  return {};
}

std::string host_name(std::string_view url_host) {
  if (url_host.size() >= 2 && url_host.front() == '[' && url_host.back() == ']') {
    url_host = url_host.substr(1, url_host.size() - 2);
  }
  std::string name;
  name.reserve(url_host.size());
  for (char c : url_host) name += lower_ascii(c);
  return name;
}

bool is_loopback_name(std::string_view host) {
  std::string lowered(host);
  for (char& c : lowered) c = lower_ascii(c);
  return is_loopback_host(lowered);
}

bool same_origin(const Target& a, const Target& b) {
  return a.tls == b.tls && a.port == b.port && a.url.host == b.url.host;
}

std::string resolve_location(const Target& base, std::string_view location) {
  auto colon = location.find("://");
  if (colon != std::string_view::npos && location.find_first_of("/?#") > colon) return std::string(location);
  std::string out = base.url.scheme + "://";
  if (location.substr(0, 2) == "//") {
    out += location.substr(2);
    return out;
  }
  out += base.url.host;
  if (base.url.port != 0) out += ":" + std::to_string(base.url.port);
  const std::string& path = base.url.path;
  if (!location.empty() && location.front() == '/') {
    out += location;
  } else if (!location.empty() && location.front() == '?') {
    out += path.empty() ? std::string("/") : path;
    out += location;
  } else {
    auto slash = path.rfind('/');
    out += slash == std::string::npos ? std::string("/") : path.substr(0, slash + 1);
    out += location;
  }
  return out;
}

}  // namespace latchkey::native::client
