#include "return_to.hpp"

#include "latchkey/url.hpp"

namespace latchkey::gateway {

Result<std::string> origin_of(const std::string& url) {
  // parse_url already refuses whitespace, controls, non-ASCII and userinfo; browsers also read
  // a backslash as a slash, and '{' '}' are the core's host templates, so neither is let through.
  if (url.find_first_of("\\{}") != std::string::npos) {
    return make_error(ErrorCode::invalid_request, "'" + url + "' has characters a return URL cannot have");
  }
  auto u = parse_url(url);
  if (!u) return u.error();
  const int default_port = u->scheme == "https" ? 443 : 80;
  std::string origin = u->scheme + "://" + u->host;
  if (u->port != 0 && u->port != default_port) origin += ":" + std::to_string(u->port);
  return origin;
}

Result<std::string> parse_origin(const std::string& text, const char* option) {
  std::string trimmed = text;
  if (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();  // "https://a/" is a common way to write it
  auto origin = origin_of(trimmed);
  if (!origin) return make_error(ErrorCode::invalid_request, std::string(option) + " '" + text + "': " + origin.error().message);
  auto after_scheme = trimmed.find("://");
  if (trimmed.find_first_of("/?#", after_scheme + 3) != std::string::npos) {
    return make_error(ErrorCode::invalid_request, std::string(option) + " '" + text +
                                                      "' must be an origin only, scheme://host[:port] without a path");
  }
  return origin;
}

bool return_to_allowed(const std::string& url, const std::vector<std::string>& allowed) {
  auto origin = origin_of(url);
  if (!origin) return false;
  for (const auto& a : allowed) {
    if (a == *origin) return true;
  }
  return false;
}

std::string return_url(const std::string& return_to, const std::string& status, const std::string& provider,
                       const std::string& account, const std::string& error) {
  Params p{{"latchkey_status", status}};
  if (!provider.empty()) p.emplace_back("provider", provider);
  if (!account.empty()) p.emplace_back("account", account);
  if (!error.empty()) p.emplace_back("error", error);
  return append_query(return_to, p);
}

}  // namespace latchkey::gateway
