// Where a token may go: the origins (RFC 6454: scheme, host, port) of a provider's injection
// rules. A token for https://127.0.0.1:8443 is not one for https://127.0.0.1:9000, nor for
// http://127.0.0.1:8443: the host name alone is not the boundary, the origin is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/result.hpp"
#include "url.hpp"

namespace latchkey::detail {

/// One injection entry read as an origin. `host` is lower-case text as written: an exact name,
/// an IPv6 literal in brackets, or "*.domain" (strict subdomains of domain, at any depth).
struct Origin {
  std::string scheme;  ///< "https" or "http"
  std::string host;
  int port = 0;        ///< Always explicit: the scheme's default when the entry names none.
};

/// 443 for https, 80 for http.
int default_port(std::string_view scheme);

/// Reads "https://host[:port]", "http://host[:port]" or "https://*.domain[:port]". A bare host
/// name or "*.domain" — the catalog's and older stored providers' form — is https on 443. One
/// trailing '/' is ignored. invalid_request (naming the entry) for a path, query, fragment,
/// credentials, another scheme, a port on a bare name, or a bad port. The host's characters are
/// not checked here ({template} placeholders pass): the provider's validation does that.
Result<Origin> parse_origin(std::string_view entry);

/// "scheme://host", with ":port" only when it is not the scheme's default.
std::string origin_text(const Origin& origin);

/// The origin a URL belongs to, in origin_text's form.
std::string origin_of(const Url& url);

/// An entry in origin_text's form; an entry parse_origin refuses comes back unchanged (the
/// provider's validation then names it).
std::string canonical_origin(std::string_view entry);

/// True when one of the injection entries (parse_origin's forms; entries it refuses match
/// nothing) has the URL's scheme and port (the scheme's default when it names none) and its host:
/// exactly, or a strict subdomain for "*.domain", ignoring the entry's case. The URL's host is
/// compared as text, so a definition's own "https://{shop}.example.com/x" is covered by
/// "https://{shop}.example.com"; origin_allowed refuses placeholders in a request's URL first.
bool origins_cover(const std::vector<std::string>& entries, const Url& url);

/// The entries as origins, comma-separated, for messages that name what is allowed.
std::string origins_text(const std::vector<std::string>& entries);

}  // namespace latchkey::detail
