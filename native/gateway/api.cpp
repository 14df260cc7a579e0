#include "api.hpp"

#include "json.hpp"
#include "keys.hpp"
#include "results_json.hpp"

namespace latchkey::gateway {
namespace {

using detail::json::Array;
using detail::json::Object;
using detail::json::Value;

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request:
    case ErrorCode::invalid_state:
    case ErrorCode::state_expired:
    case ErrorCode::state_reused:
      return 400;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
    // The connection exists but must be connected again by its user: not the caller's key's fault
    // (401 would read as "bad API key"), so the body's code says what to do.
    case ErrorCode::needs_reauth:
      return 409;
    case ErrorCode::provider_error:
    case ErrorCode::invalid_grant:
    case ErrorCode::malformed_response:
    case ErrorCode::transport:
      return 502;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::unsupported:
      return 501;
    case ErrorCode::crypto:
    case ErrorCode::storage:
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

ApiResponse json_response(int status, const Value& v) {
  ApiResponse r;
  r.status = status;
  r.body = detail::json::serialize(v);
  return r;
}

ApiResponse from_error(const Error& e) {
  ApiResponse r = json_response(http_status(e.code), Value(Object{{"error", detail::to_value(e)}}));
  if (e.code == ErrorCode::rate_limited && e.retry_at_ms > 0) {
    std::int64_t s = (e.retry_at_ms - native::Host::now_ms() + 999) / 1000;
    r.headers.emplace_back("Retry-After", std::to_string(s > 0 ? s : 1));
  }
  return r;
}

template <class T>
ApiResponse from_result(const Result<T>& r) {
  if (!r) return from_error(r.error());
  return json_response(200, detail::to_value(*r));
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment ('+' stays '+': this is a path, not a form).
bool decode_segment(const std::string& s, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return !out->empty();
}

struct Target {
  std::vector<std::string> segments;  ///< Decoded.
  std::string query;
};

bool split_target(const std::string& target, Target* t) {
  if (target.empty() || target[0] != '/') return false;
  auto q = target.find('?');
  std::string path = target.substr(0, q);
  if (q != std::string::npos) t->query = target.substr(q + 1);
  std::size_t at = 1;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    std::string raw = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (raw.empty()) {
      if (slash == std::string::npos) break;  // a trailing slash
      return false;
    }
    std::string seg;
    if (!decode_segment(raw, &seg)) return false;
    t->segments.push_back(seg);
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return true;
}

bool query_flag(const std::string& query, const std::string& name) {
  std::size_t at = 0;
  while (at <= query.size()) {
    auto amp = query.find('&', at);
    std::string part = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    if (part == name + "=true" || part == name + "=1" || part == name) return true;
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return false;
}

Result<AppInput> parse_app(const std::string& provider, const std::string& body) {
  auto doc = detail::json::parse(body, "request body");
  if (!doc) return make_error(ErrorCode::invalid_request, "the request body is not valid JSON: " + doc.error().message);
  if (!doc->is<Object>()) return make_error(ErrorCode::invalid_request, "the request body must be a JSON object");
  const Object& o = doc->get<Object>();
  for (const auto& [k, v] : o) {
    if (k != "client_id" && k != "client_secret" && k != "redirect_uri" && k != "scopes" && k != "template_values") {
      return make_error(ErrorCode::invalid_request, "unknown field '" + k + "'");
    }
  }
  AppInput app;
  app.provider = provider;
  const std::string* id = detail::json::get_string(o, "client_id");
  if (!id || id->empty()) return make_error(ErrorCode::invalid_request, "client_id (a string) is required");
  app.client_id = *id;
  if (o.count("client_secret")) {
    const std::string* secret = detail::json::get_string(o, "client_secret");
    if (!secret) return make_error(ErrorCode::invalid_request, "client_secret must be a string");
    app.client_secret = *secret;
  }
  if (o.count("redirect_uri")) {
    const std::string* uri = detail::json::get_string(o, "redirect_uri");
    if (!uri) return make_error(ErrorCode::invalid_request, "redirect_uri must be a string");
    app.redirect_uri = *uri;
  }
  if (o.count("scopes")) {
    const Array* scopes = detail::json::get_array(o, "scopes");
    if (!scopes) return make_error(ErrorCode::invalid_request, "scopes must be an array of strings");
    for (const auto& s : *scopes) {
      if (!s.is<std::string>()) return make_error(ErrorCode::invalid_request, "scopes must be an array of strings");
      app.scopes.push_back(s.get<std::string>());
    }
  }
  if (o.count("template_values")) {
    const Object* values = detail::json::get_object(o, "template_values");
    if (!values) return make_error(ErrorCode::invalid_request, "template_values must be an object of strings");
    for (const auto& [k, v] : *values) {
      if (!v.is<std::string>()) return make_error(ErrorCode::invalid_request, "template_values must be an object of strings");
      app.template_values[k] = v.get<std::string>();
    }
  }
  return app;
}

ApiResponse method_not_allowed(const std::string& allow) {
  ApiResponse r = error_response(405, "invalid_request", "method not allowed here (allowed: " + allow + ")");
  r.headers.emplace_back("Allow", allow);
  return r;
}

ApiResponse route(native::Host& host, Metrics& metrics, const ApiRequest& req, const Target& t, ApiResponse* meta) {
  const auto& s = t.segments;
  const std::string& m = req.method;

  if (s.size() == 1 && s[0] == "healthz") {
    meta->route = "/healthz";
    if (m != "GET") return method_not_allowed("GET");
    return json_response(200, Value(Object{{"ok", Value(true)}}));
  }
  if (s.size() == 1 && s[0] == "metrics") {
    meta->route = "/metrics";
    if (m != "GET") return method_not_allowed("GET");
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics.render();
    return r;
  }
  if (s.empty() || s[0] != "v1") return error_response(404, "not_found", "no such route");

  // Everything under /v1 needs a key.
  const std::string& auth = req.authorization;
  const std::string prefix = "Bearer ";
  if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) {
    meta->route = "/v1/*";
    ApiResponse r = error_response(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  auto key = lookup_key(host, auth.substr(prefix.size()));
  if (!key) return from_error(key.error());
  if (!*key) {
    meta->route = "/v1/*";
    ApiResponse r = error_response(401, "unauthorized", "the API key is not valid");
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  const KeyInfo& caller = **key;
  meta->principal = caller.principal;

  if (s.size() >= 2 && s[1] == "providers") {
    if (s.size() == 2) {
      meta->route = "/v1/providers";
      if (m != "GET") return method_not_allowed("GET");
      return from_result(host.run(host.engine().list_providers({})));
    }
    if (s.size() == 3) {
      meta->route = "/v1/providers/{key}";
      if (m != "GET") return method_not_allowed("GET");
      return from_result(host.run(host.engine().get_provider(s[2])));
    }
    if (s.size() == 4 && s[3] == "app") {
      meta->route = "/v1/providers/{key}/app";
      if (m != "PUT") return method_not_allowed("PUT");
      if (caller.role != "admin") return error_response(403, "forbidden", "setting app credentials needs an admin key");
      auto app = parse_app(s[2], req.body);
      if (!app) return from_error(app.error());
      return from_result(host.run(host.engine().upsert_app(std::move(*app))));
    }
  }
  if (s.size() >= 2 && s[1] == "connections") {
    if (s.size() == 2) {
      meta->route = "/v1/connections";
      if (m != "GET") return method_not_allowed("GET");
      return from_result(host.run(host.engine().list_connections(caller.principal)));
    }
    // The principal always comes from the key, so another principal's connection is simply not found.
    if (s.size() == 4 || (s.size() == 5 && s[4] == "token")) {
      ConnectionRef ref{caller.principal, s[2], s[3]};
      if (s.size() == 5) {
        meta->route = "/v1/connections/{id}/token";
        if (m != "POST") return method_not_allowed("POST");
        auto token = host.run(host.engine().get_token(ref));
        if (!token) return from_error(token.error());
        if (token->refreshed) metrics.count_refresh();
        Object o;
        o["access_token"] = Value(token->access_token);
        o["token_type"] = Value(token->token_type);
        o["expires_at"] = token->expires_at_ms ? Value(token->expires_at_ms) : Value();
        ApiResponse r = json_response(200, Value(o));
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
      }
      meta->route = "/v1/connections/{id}";
      if (m == "GET") return from_result(host.run(host.engine().status(ref)));
      if (m == "DELETE") return from_result(host.run(host.engine().disconnect(ref, query_flag(t.query, "revoke"))));
      return method_not_allowed("GET, DELETE");
    }
  }
  return error_response(404, "not_found", "no such route");
}

}  // namespace

ApiResponse error_response(int status, const std::string& code, const std::string& message) {
  Object e;
  e["code"] = Value(code);
  e["message"] = Value(message);
  return json_response(status, Value(Object{{"error", Value(e)}}));
}

ApiResponse handle(native::Host& host, Metrics& metrics, const ApiRequest& request) {
  Target t;
  if (!split_target(request.target, &t)) {
    ApiResponse r = error_response(400, "invalid_request", "the request path is malformed");
    return r;
  }
  ApiResponse meta;
  ApiResponse r = route(host, metrics, request, t, &meta);
  r.route = meta.route;
  r.principal = meta.principal;
  return r;
}

}  // namespace latchkey::gateway
