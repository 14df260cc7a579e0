// The ping request and its verdict (latchkey/ping.hpp).
#include "latchkey/ping.hpp"

#include "json.hpp"
#include "text.hpp"

namespace latchkey {

Result<HttpRequest> ping_request(const Provider& provider) {
  if (!provider.ping) {
    return make_error(ErrorCode::invalid_request, "'" + provider.key + "' declares no ping request");
  }
  HttpRequest req;
  req.method = provider.ping->method;
  req.url = provider.ping->url;
  req.headers = provider.ping->headers;
  // The body matters only when the provider says where its verdict is.
  req.max_response_bytes = provider.ping->ok_path.empty() ? 1 << 20 : 256 * 1024;
  return req;
}

namespace {

// What Slack's auth.test (and RFC 6750's invalid_token) call a token that no longer works.
bool refuses_token(const std::string& error) {
  for (const char* code : {"invalid_auth", "token_revoked", "token_expired", "not_authed", "account_inactive",
                           "invalid_token"}) {
    if (error == code) return true;
  }
  return false;
}

}  // namespace

PingVerdict judge_ping(const Provider& provider, const HttpResponse& response) {
  PingVerdict v;
  if (response.status < 200 || response.status >= 300) {
    v.token_refused = response.status == 401;
    return v;
  }
  const std::string path = provider.ping ? provider.ping->ok_path : std::string();
  if (path.empty()) {
    v.ok = true;
    return v;
  }
  auto doc = detail::json::parse(response.body, "the ping answer");
  if (!doc || !doc->is<detail::json::Object>()) {
    v.why = "the answer is not a JSON object, so its " + path + " cannot say the connection works";
    return v;
  }
  const auto& o = doc->get<detail::json::Object>();
  const detail::json::Value* said = detail::json::find_path(o, path);
  if (said && said->is<bool>() && said->get<bool>()) {
    v.ok = true;
    return v;
  }
  v.why = path + " is not true";
  auto err = o.find("error");
  if (err != o.end() && err->second.is<std::string>()) {
    v.why += ": " + detail::clean(err->second.get<std::string>(), 64);
    v.token_refused = refuses_token(err->second.get<std::string>());
  }
  return v;
}

}  // namespace latchkey
