// Where a request goes: its URL read by the core's URL parser, with the HTTPS client's extra
// rules (a host that can be resolved, never a template), and the same-origin redirect rules.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/url.hpp"

namespace latchkey::native::client {

struct Target {
  Url url;          ///< scheme and host lower-case; IPv6 literals keep their brackets
  bool tls = true;          ///< https
  int port = 443;           ///< the URL's, or the scheme's default
  bool default_port = true; ///< the port is the scheme's default (the Host header leaves it out)
  bool has_query = false;   ///< a '?' before any fragment, even with nothing after it
};

/// Reads an absolute http(s) URL into `t`. Answers "" or what is wrong, without quoting the URL
/// (its path or query may carry a credential): "the request URL is not valid: it has no host".
std::string parse_target(std::string_view url, Target* t);

/// A URL's host as a name to resolve or an address to parse: lower-cased, without the brackets
/// of an IPv6 literal.
std::string host_name(std::string_view url_host);

/// localhost, 127.0.0.0/8 as a dotted quad, or [::1] (the core's rule, so both agree).
bool is_loopback_name(std::string_view host);

bool same_origin(const Target& a, const Target& b);

/// Resolves a Location header against the URL it answered (RFC 3986 §5.2, without removing dot
/// segments: the server sees them as it wrote them).
std::string resolve_location(const Target& base, std::string_view location);

}  // namespace latchkey::native::client
