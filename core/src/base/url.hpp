// The small part of URL handling the core needs: checking endpoints, building query strings,
// reading callback queries. Hosts do real HTTP; this never resolves or fetches anything.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"
#include "latchkey/url.hpp"

namespace latchkey::detail {

// The types are the public ones (latchkey/url.hpp), so a host's Url and the core's are one.
using Url = latchkey::Url;
using HostPort = latchkey::HostPort;

HostPort split_host_port(std::string_view authority);
/// A port's text as 1–65535, or 0 when it is not a number or out of range.
int parse_port(std::string_view port);

/// Parses an absolute http(s) URL. No userinfo, no whitespace or control characters.
Result<Url> parse_url(std::string_view text);
/// parse_url's checks, answering what is wrong without quoting the URL ("it has no host", …; empty
/// when `text` is fine and `*out` holds it): for hosts whose messages must never show a URL,
/// since its path or query may carry a credential.
std::string parse_url_into(std::string_view text, Url* out);

/// True for localhost, 127.0.0.0/8 and [::1].
bool is_loopback_host(std::string_view host);

/// https, or http to a loopback host; `what` names the field in the error message.
Status check_endpoint(std::string_view url, const char* what);

/// The value of one hex digit (either case), or -1.
int hex_value(char c);

/// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view s);
/// application/x-www-form-urlencoded encoding of one name or value (space → '+').
std::string form_encode(std::string_view s);
/// Decodes %XX and '+'; invalid escapes fail.
Result<std::string> form_decode(std::string_view s);

/// name=value&... with form encoding.
std::string encode_form(const Params& params);
/// Parses a query string or form body; keeps order and duplicates.
Result<Params> decode_form(std::string_view body);

/// Appends params to a URL that may already have a query.
std::string append_query(const std::string& url, const Params& params);

/// First value of `name`, or nullptr.
const std::string* find_param(const Params& params, std::string_view name);

}  // namespace latchkey::detail
