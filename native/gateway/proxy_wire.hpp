// The proxy's wire rules, shared by the worker threads' blocking proxy (proxy.cpp) and the event
// loop's (session.cpp): which request headers go upstream, which response headers come back,
// and how the answer is framed for the caller.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "latchkey/effects.hpp"

namespace latchkey::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// The caller's headers that may go upstream: not hop-by-hop (nor named by Connection), Host,
/// Content-Length, Authorization, Cookie, Expect or X-Latchkey-*. `account` gets the value of
/// X-Latchkey-Account (trimmed), if sent.
Params upstream_request_headers(const HeaderList& headers, std::string* account);

/// The upstream's answer without its hop-by-hop headers, cookies or Server header (Content-Length
/// stays: the caller's framing follows it, or chunks the body when it is absent).
HttpResponse caller_response_head(HttpResponse upstream);

/// The status line and headers sent to the caller for `head` (already filtered). Sets `chunked`
/// when the body must be chunked (no Content-Length, and a body is allowed).
std::string serialize_response_head(const HttpResponse& head, bool head_request, bool close, bool* chunked);

/// Appends body bytes, as one chunk when `chunked`.
void append_body(std::string& out, const char* bytes, std::size_t n, bool chunked);

}  // namespace latchkey::gateway
