#include "origin.hpp"

#include "latchkey/provider.hpp"
#include "text.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

Error bad_origin(std::string_view entry, const std::string& why) {
  std::string shown = clean(entry, 120);  // a provider definition's text: quoted cleaned
  return make_error(ErrorCode::invalid_request, "injection.hosts entry '" + shown + "' " + why);
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    if (host.size() <= suffix.size() || host.substr(host.size() - suffix.size()) != suffix) return false;
    return host[host.size() - suffix.size() - 1] != '.';
  }
  return pattern == host;
}

}  // namespace

int default_port(std::string_view scheme) { return scheme == "http" ? 80 : 443; }

Result<Origin> parse_origin(std::string_view entry) {
  Origin o;
  std::string_view rest = entry;
  auto sep = entry.find("://");
  bool bare = sep == std::string_view::npos;
  if (bare) {
    o.scheme = "https";
  } else {
    o.scheme = std::string(entry.substr(0, sep));
    if (o.scheme != "https" && o.scheme != "http") return bad_origin(entry, "must be an https:// (or http:// to loopback) origin");
    rest = entry.substr(sep + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@\\") != std::string_view::npos) {
    return bad_origin(entry, "must be an origin (scheme, host and port) without path, query or credentials");
  }
  HostPort hp = split_host_port(rest);
  if (hp.problem) return bad_origin(entry, std::string("has ") + hp.problem);
  std::string_view host = hp.host, port = hp.port;
  if (port.empty() && !host.empty() && rest.size() > host.size()) return bad_origin(entry, "has an empty port");
  if (host.empty()) return bad_origin(entry, "has no host");
  if (!port.empty() && bare) {
    // Which scheme a bare "host:8080" means is a guess; a token's destination must not be one.
    return bad_origin(entry, "names a port without a scheme; write the origin, e.g. https://" + std::string(rest));
  }
  o.host = std::string(host);
  o.port = default_port(o.scheme);
  if (!port.empty()) {
    o.port = parse_port(port);
    if (o.port == 0) return bad_origin(entry, "has a port that is not a number from 1 to 65535");
  }
  return o;
}

std::string origin_text(const Origin& o) {
  std::string out = o.scheme + "://" + o.host;
  if (o.port != default_port(o.scheme)) out += ":" + std::to_string(o.port);
  return out;
}

std::string origin_of(const Url& url) {
  return origin_text(Origin{url.scheme, url.host, url.port ? url.port : default_port(url.scheme)});
}

std::string canonical_origin(std::string_view entry) {
  auto o = parse_origin(entry);
  return o ? origin_text(*o) : std::string(entry);
}

bool origins_cover(const std::vector<std::string>& entries, const Url& url) {
  const int port = url.port ? url.port : default_port(url.scheme);
  for (const auto& entry : entries) {
    auto pattern = parse_origin(entry);
    if (!pattern || pattern->scheme != url.scheme || pattern->port != port) continue;
    // parse_url lower-cases the URL's host; an entry is compared as if it were too.
    for (char& c : pattern->host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (host_matches(pattern->host, url.host)) return true;
  }
  return false;
}

std::string origins_text(const std::vector<std::string>& entries) {
  std::string s;
  for (const auto& e : entries) s += (s.empty() ? "" : ", ") + canonical_origin(e);
  return s;
}

}  // namespace latchkey::detail

namespace latchkey {

bool origin_allowed(const Injection& injection, const std::string& url_text) {
  auto url = detail::parse_url(url_text);
  if (!url) return false;
  // parse_url lets template placeholders through for provider definitions; a request has none.
  if (url->host.find_first_of("{}") != std::string::npos) return false;
  return detail::origins_cover(injection.hosts, *url);
}

}  // namespace latchkey
