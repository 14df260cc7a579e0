// URLs as the core reads them: absolute http(s) URLs, endpoint checks, percent- and form-encoding
// and query strings. Nothing here resolves or fetches anything. A host that checks a URL it was
// given (a gateway address, a return address, a redirect's target) uses these, so it accepts
// exactly what the core accepts.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

/// An absolute http(s) URL in parts, as parse_url found them (nothing is decoded).
struct Url {
  std::string scheme;  ///< "http" or "https", lower-case.
  std::string host;    ///< Lower-case; an IPv6 literal keeps its brackets ("[::1]").
  int port = 0;        ///< 1–65535; 0 when the URL names none (the scheme's default).
  std::string path;    ///< Starts with '/', or is empty.
  std::string query;   ///< Without the '?'.
  std::string fragment;  ///< Without the '#'.
};

/// Parses an absolute http or https URL. Refused: anything at or below a space or above '~'
/// (percent-encode it), another scheme, userinfo ("user@host"), an empty host or one with
/// characters no host name has, an unterminated IPv6 literal, a port that is not 1–65535.
///
/// Returns the parts, owned by the caller. Error: ErrorCode::invalid_request, its message quoting
/// the URL (cleaned of control characters, at most 200 bytes) and saying what is wrong. Next:
/// have whoever gave the URL correct it; nothing was fetched or kept.
Result<Url> parse_url(std::string_view text);

/// parse_url's checks without quoting the URL, for a host whose messages must never show one (its
/// path or query may carry a credential). Returns "" when `text` is a URL, its parts then in
/// `*out` (which must not be null); otherwise what is wrong ("it has no host", "its port is not
/// 1–65535", …), to put after the host's own words, and `*out` must not be used. Never fails.
std::string url_problem(std::string_view text, Url* out);

/// An authority's host and port: "[::1]:8443" gives "[::1]" and "8443"; without a port, or with
/// "host:", the port is empty. The views point into the text given (keep it alive while they
/// are used). When the authority cannot be split, `problem` names why ("an unterminated IPv6
/// address", "text after its IPv6 address") and host/port must not be used.
struct HostPort {
  std::string_view host;
  std::string_view port;
  const char* problem = nullptr;  ///< Static text, or nullptr when the split worked.
};
/// Splits `authority` (no scheme, no path); never fails except through HostPort::problem. The
/// port is not checked to be a number.
HostPort split_host_port(std::string_view authority);

/// True for "localhost", 127.0.0.0/8 written as a dotted quad (each part 0–255) and "[::1]": the
/// hosts plain http is allowed to. Compares as given: pass a lower-case host (Url::host is).
bool is_loopback_host(std::string_view host);

/// Checks that `url` is one latchkey may send secrets to: it parses (parse_url), is https or http
/// to a loopback host, and has no #fragment. `what` names the URL in the message
/// ("LATCHKEY_GATEWAY_URL"); it is copied, not kept.
///
/// Returns Ok, or ErrorCode::invalid_request with a message that starts with `what` and says
/// what to change. Next: ask for another URL; nothing was fetched.
Status check_endpoint(std::string_view url, const char* what);

/// RFC 3986 percent-encoding (upper-case hex) of every byte but the unreserved characters
/// A–Z a–z 0–9 - . _ ~: safe for one path segment or query value. Never fails.
std::string percent_encode(std::string_view s);

/// application/x-www-form-urlencoded "name=value&..." (space as '+', everything but unreserved
/// characters percent-encoded), in the order given, duplicates kept. Never fails.
std::string encode_form(const Params& params);

/// Parses a query string or form body (without the '?'): '+' is a space, %XX a byte, empty
/// pairs are skipped, a pair without '=' has an empty value; order and duplicates are kept and
/// the bytes are not checked to be UTF-8.
///
/// Returns the pairs, owned by the caller. Error: ErrorCode::invalid_request ("truncated
/// %-escape in form data" / "invalid %-escape in form data") when a '%' is not followed by two
/// hex digits. Next: answer the sender that its query or form is malformed.
Result<Params> decode_form(std::string_view body);

/// `url` with `params` form-encoded into its query (after any query it has, before any
/// #fragment); `url` itself when `params` is empty. Never fails; `url` is not checked.
std::string append_query(const std::string& url, const Params& params);

/// The value of the first pair named `name` (compared exactly), or nullptr. The pointer is into
/// `params`: valid while it lives and is not changed.
const std::string* find_param(const Params& params, std::string_view name);

}  // namespace latchkey
