// Where a browser sign-in returns to: only origins the operator allow-listed (no open
// redirector), and only non-secret fields told to them.
#pragma once

#include <string>
#include <vector>

#include "latchkey/result.hpp"

namespace latchkey::gateway {

/// The origin ("https://app.example:8443") of an absolute http(s) URL, lower-case, with the
/// scheme's default port left out so "https://a:443" and "https://a" are one origin. Refuses
/// userinfo, backslashes, templates, whitespace and control characters.
Result<std::string> origin_of(const std::string& url);

/// Checks a configured origin: exactly scheme://host[:port] (no path, query or fragment).
/// Returns it normalized as origin_of does. invalid_request naming `option` and the value.
Result<std::string> parse_origin(const std::string& text, const char* option);

/// Whether `url` may be redirected to: its origin is one of `allowed` (normalized origins).
bool return_to_allowed(const std::string& url, const std::vector<std::string>& allowed);

/// `return_to` with the outcome added to its query (before any fragment): latchkey_status
/// (connected | error), provider, and account or error. Never a code, state or token.
std::string return_url(const std::string& return_to, const std::string& status, const std::string& provider,
                       const std::string& account, const std::string& error);

}  // namespace latchkey::gateway
