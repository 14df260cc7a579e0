// sign_with: the part of signing a request that needs no store, so a host can repeat it for
// every request a RequestSigner covers (sign_request uses it too, so both say the same).
#include <algorithm>
#include <cctype>

#include "headers.hpp"
#include "latchkey/engine.hpp"
#include "origin.hpp"
#include "steps.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

// "scheme://" before any '/', '?' or '#': a query holding a URL does not make a path absolute.
bool has_scheme(const std::string& url) {
  auto sep = url.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  for (std::size_t i = 0; i < sep; ++i) {
    char c = url[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<HttpRequest> sign_with(const RequestSigner& signer, HttpRequest req) {
  if (!has_scheme(req.url)) {
    // A path: relative to the provider's API base URL.
    if (signer.api_base_url.empty()) {
      return make_error(ErrorCode::invalid_request,
                        "'" + signer.provider + "' has no api_base_url: give a full https:// URL");
    }
    std::string base = signer.api_base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    // No path at all (only a query, or nothing) is the base URL itself: an MCP server's
    // resource URL ("https://host/mcp") is its endpoint, and "/mcp/" would be another.
    if (req.url.empty() || req.url.front() == '?') req.url = base + req.url;
    else req.url = base + (req.url.front() != '/' ? "/" : "") + req.url;
  }
  auto url = detail::parse_url(req.url);
  if (!url) return url.error();
  // The origin, not the host name: another port or scheme on the same host is another server.
  const bool clear = url->scheme != "https" && !detail::is_loopback_host(url->host);
  if (clear || !origin_allowed(signer.injection, req.url)) {
    return make_error(ErrorCode::invalid_request, std::string(clear ? "tokens are only sent over https: " : "") + "'" +
                                                      detail::origin_of(*url) + "' is not an origin '" +
                                                      signer.provider + "' tokens may be sent to (allowed: " +
                                                      detail::origins_text(signer.injection.hosts) + ")");
  }
  req.follow_redirects = false;
  detail::add_missing_headers(req.headers, signer.api_headers);
  if (signer.access_token.empty()) return req;  // only the destination was asked about
  const Injection& inj = signer.injection;
  if (!inj.query_param.empty()) {
    req.url = detail::append_query(req.url, {{inj.query_param, signer.access_token}});
  } else {
    std::string name = inj.header.empty() ? "Authorization" : inj.header;
    // The caller's own credentials never travel next to ours.
    req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                     [&](const auto& h) { return detail::find_header({h}, name) != nullptr; }),
                      req.headers.end());
    req.headers.emplace_back(name, inj.prefix + signer.access_token);
  }
  return req;
}

}  // namespace latchkey
