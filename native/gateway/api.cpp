#include "api.hpp"

#include "host/clock.hpp"
#include "host/loopback.hpp"

#include "authorization.hpp"
#include "crypto.hpp"
#include "host_check.hpp"
#include "json.hpp"
#include "key_throttle.hpp"
#include "keys.hpp"
#include "proxy.hpp"
#include "responses.hpp"
#include "results_json.hpp"
#include "return_records.hpp"
#include "return_to.hpp"
#include "static_files.hpp"
#include "target.hpp"
#include "url.hpp"

#include <algorithm>
#include <optional>

namespace latchkey::gateway {
namespace {

using detail::json::Array;
using detail::json::Object;
using detail::json::Value;

Result<Object> parse_object(const std::string& body) {
  auto doc = detail::json::parse(body, "request body");
  if (!doc) return make_error(ErrorCode::invalid_request, "the request body is not valid JSON: " + doc.error().message);
  if (!doc->is<Object>()) return make_error(ErrorCode::invalid_request, "the request body must be a JSON object");
  return doc->get<Object>();
}

/// The body as an object whose fields are all in `allowed` ("unknown field 'x'" otherwise). An
/// empty body is an empty object when `optional`.
Result<Object> parse_fields(const std::string& body, std::initializer_list<const char*> allowed,
                            bool optional = false) {
  if (optional && body.empty()) return Object();
  auto o = parse_object(body);
  if (!o) return o.error();
  for (const auto& [k, v] : *o) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }) == allowed.end()) {
      return make_error(ErrorCode::invalid_request, "unknown field '" + k + "'");
    }
  }
  return o;
}

Result<std::vector<std::string>> string_array(const Object& o, const std::string& name) {
  std::vector<std::string> out;
  if (!o.count(name)) return out;
  const Array* a = detail::json::get_array(o, name);
  if (!a) return make_error(ErrorCode::invalid_request, name + " must be an array of strings");
  for (const auto& v : *a) {
    if (!v.is<std::string>()) return make_error(ErrorCode::invalid_request, name + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<AppInput> parse_app(const std::string& provider, const std::string& body) {
  auto parsed = parse_fields(body, {"client_id", "client_secret", "redirect_uri", "scopes", "template_values",
                                    "token_endpoint_auth_method", "key_id"});
  if (!parsed) return parsed.error();
  const Object& o = *parsed;
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
  // private_key_jwt: the PEM key is the client_secret (write-only like any secret).
  for (auto [name, slot] : {std::pair{"token_endpoint_auth_method", &app.token_endpoint_auth_method},
                            std::pair{"key_id", &app.key_id}}) {
    if (!o.count(name)) continue;
    const std::string* v = detail::json::get_string(o, name);
    if (!v) return make_error(ErrorCode::invalid_request, std::string(name) + " must be a string");
    *slot = *v;
  }
  if (o.count("redirect_uri")) {
    const std::string* uri = detail::json::get_string(o, "redirect_uri");
    if (!uri) return make_error(ErrorCode::invalid_request, "redirect_uri must be a string");
    app.redirect_uri = *uri;
  }
  auto scopes = string_array(o, "scopes");
  if (!scopes) return scopes.error();
  app.scopes = std::move(*scopes);
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



/// JSON for an inline script: '<' escaped so no string can close the <script> element.
std::string script_json(const Value& v) {
  std::string json = detail::json::serialize(v), out;
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out.push_back(c);
  }
  return out;
}

// The page the browser lands on after consent: no third-party anything, the code stripped from
// the address bar, and only non-secret fields told to the opener / other tabs of this origin.
ApiResponse callback_page(int status, const std::string& title, const std::string& detail, const Value& message) {
  ApiResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + native::escape_html(title) +
           "</title></head><body><h1>" + native::escape_html(title) + "</h1><p>" + native::escape_html(detail) +
           "</p><p>You can close this window.</p><script>\n"
           "history.replaceState(null, '', '/oauth/callback');\n"
           "const m = " + script_json(message) + ";\n"
           "try { window.opener?.postMessage(m, location.origin); } catch (e) {}\n"
           "try { new BroadcastChannel('latchkey-oauth').postMessage(m); } catch (e) {}\n"
           "</script></body></html>\n";
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

bool wants_json(const ApiRequest& req) { return req.accept.find("application/json") != std::string::npos; }

ApiResponse callback_error(const ApiRequest& req, const Error& e, const std::string& provider) {
  if (wants_json(req)) {
    ApiResponse r = from_error(e);
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  Object m;
  m["type"] = Value(std::string("latchkey:error"));
  m["provider"] = provider.empty() ? Value() : Value(provider);
  m["status"] = Value(std::string("error"));
  m["code"] = Value(std::string(to_string(e.code)));
  m["message"] = Value(e.message);  // the core's messages carry no secrets: the page shows it too
  return callback_page(http_status(e.code), "Not connected", e.message, Value(m));
}

/// The browser goes back to the app that started the sign-in: 303 to its return_to with the
/// outcome in the query. Never the code, state or a token, and no Referer leaks the callback URL.
ApiResponse redirect_back(const std::string& location) {
  ApiResponse r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

/// http://<address>/oauth/callback for the address browsers reach this gateway at: the bound
/// address, or — when bound to every interface — a loopback Host header on the same port.
std::string callback_uri(const ApiRequest& req) {
  std::string base = req.listen;
  auto colon = base.rfind(':');
  std::string bound_host = colon == std::string::npos ? base : base.substr(0, colon);
  std::string bound_port = colon == std::string::npos ? "" : base.substr(colon + 1);
  if (bound_host == "0.0.0.0" || bound_host == "[::]") {
    auto hc = req.host.rfind(':');
    if (hc != std::string::npos && req.host.substr(hc + 1) == bound_port &&
        detail::is_loopback_host(req.host.substr(0, hc))) {
      base = req.host;
    } else {
      base = (bound_host == "[::]" ? "[::1]:" : "127.0.0.1:") + bound_port;
    }
  }
  return "http://" + base + "/oauth/callback";
}

/// The allow-listed origins plus the gateway's own (its pages, like the vault, may return to it).
std::vector<std::string> return_origins(const ApiConfig& config, const ApiRequest& req) {
  std::vector<std::string> origins = config.return_to_origins;
  std::string own = callback_uri(req);
  if (auto o = origin_of(own)) origins.push_back(*o);
  return origins;
}

ApiResponse oauth_callback(native::Host& host, const ApiConfig& config, const ApiRequest& req, const Target& t) {
  auto params = detail::decode_form(t.query);
  if (!params) return callback_error(req, make_error(ErrorCode::invalid_request, "the callback query is malformed"), "");
  // A browser sign-in started with return_to goes back there; API clients asking for JSON get JSON.
  std::optional<ReturnRecord> back;
  const std::string* state = detail::find_param(*params, "state");
  // OAuth 1.0a: the temporary token is the sign-in's handle (authorize returned it as `state`).
  if (!state) state = detail::find_param(*params, "oauth_token");
  if (state && !state->empty() && !wants_json(req)) {
    auto taken = take_return(host, *state);
    if (!taken) return callback_error(req, taken.error(), "");
    // The allow-list is checked again: an origin removed since the sign-in started is not trusted.
    if (*taken && return_to_allowed((*taken)->return_to, return_origins(config, req))) back = std::move(*taken);
  }
  // The browser brings no API key: the core completes the sign-in for the principal that
  // started it, which its pending record names (the state is the proof).
  CallbackRequest cb;
  cb.principal.clear();
  cb.callback = t.query;
  auto conn = host.run(host.engine().complete_callback(std::move(cb)));
  if (!conn) {
    if (back) return redirect_back(return_url(back->return_to, "error", back->provider, "", to_string(conn.error().code)));
    return callback_error(req, conn.error(), "");
  }
  if (back) return redirect_back(return_url(back->return_to, "connected", conn->provider, conn->account, ""));
  if (wants_json(req)) {
    ApiResponse r = json_response(200, detail::to_value(*conn));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  Object m;
  m["type"] = Value(std::string("latchkey:connected"));
  m["provider"] = Value(conn->provider);
  m["account"] = Value(conn->account);
  m["status"] = Value(conn->status);
  return callback_page(200, "Connected",
                       conn->provider + " is connected (account " + conn->account + ", status " + conn->status + ").",
                       Value(m));
}


ApiResponse authorize(native::Host& host, const ApiConfig& config, const ApiRequest& req, const Target& t,
                      const std::string& principal, const std::string& provider) {
  auto params = detail::decode_form(t.query);
  if (!params) return error_response(400, "invalid_request", "the query string is malformed");
  for (const auto& [name, value] : *params) {
    if (name != "scopes" && name != "account" && name != "return_to") {
      return error_response(400, "invalid_request", "unknown query parameter '" + name + "'");
    }
  }
  const std::string* return_to = detail::find_param(*params, "return_to");
  if (return_to) {
    // Only allow-listed origins: anything else would make the gateway an open redirector.
    auto origin = origin_of(*return_to);
    if (!origin) return error_response(400, "invalid_request", "return_to: " + origin.error().message);
    if (!return_to_allowed(*return_to, return_origins(config, req))) {
      return error_response(400, "invalid_request",
                            "return_to's origin " + *origin +
                                " is not allowed; the operator can allow it with --return-to-origin " + *origin +
                                " (or return-to-origin in the config file)");
    }
  }
  AuthorizeRequest a;
  a.principal = principal;
  a.provider = provider;
  if (const std::string* account = detail::find_param(*params, "account")) a.account = *account;
  if (const std::string* scopes = detail::find_param(*params, "scopes")) a.scopes = detail::split_list(*scopes);
  a.redirect_uri = callback_uri(req);
  ReturnRecord back;
  if (return_to) {
    back.return_to = *return_to;
    back.provider = a.provider;
    back.account = a.account;
  }
  auto start = host.run(host.engine().authorize(std::move(a)));
  if (!start) return from_error(start.error());
  if (return_to) {
    back.expires_at_ms = start->expires_at_ms;
    if (auto saved = save_return(host, start->state, back); !saved) return from_error(saved.error());
  }
  ApiResponse r = json_response(200, detail::to_value(*start));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse exchange(native::Host& host, const ApiRequest& req, const std::string& principal) {
  auto o = parse_fields(req.body, {"code", "state", "iss"});
  if (!o) return from_error(o.error());
  const std::string* code = detail::json::get_string(*o, "code");
  const std::string* state = detail::json::get_string(*o, "state");
  if (!code || code->empty() || !state || state->empty()) {
    return error_response(400, "invalid_request", "code and state (strings) are required");
  }
  const std::string* iss = detail::json::get_string(*o, "iss");
  if (o->count("iss") && !iss) return error_response(400, "invalid_request", "iss must be a string");
  Params q{{"code", *code}, {"state", *state}};
  if (iss) q.emplace_back("iss", *iss);
  CallbackRequest cb;
  cb.principal = principal;
  cb.callback = detail::encode_form(q);
  return from_result(host.run(host.engine().complete_callback(std::move(cb))));
}

/// The {account?, scopes?} body of connect and device: the account, when named, is non-empty.
struct AccountScopes {
  std::optional<std::string> account;
  std::vector<std::string> scopes;
};
Result<AccountScopes> account_scopes(const Object& o) {
  AccountScopes out;
  if (o.count("account")) {
    const std::string* account = detail::json::get_string(o, "account");
    if (!account || account->empty()) return make_error(ErrorCode::invalid_request, "account must be a non-empty string");
    out.account = *account;
  }
  auto scopes = string_array(o, "scopes");
  if (!scopes) return scopes.error();
  out.scopes = std::move(*scopes);
  return out;
}
Result<AccountScopes> parse_account_scopes(const std::string& body) {
  auto o = parse_fields(body, {"account", "scopes"}, true);
  if (!o) return o.error();
  return account_scopes(*o);
}

ApiResponse connect_cc(native::Host& host, const ApiRequest& req, const std::string& principal,
                       const std::string& provider) {
  auto in = parse_account_scopes(req.body);
  if (!in) return from_error(in.error());
  ConnectionRef ref{principal, provider, in->account.value_or("default")};
  return from_result(host.run(host.engine().connect_client_credentials(std::move(ref), std::move(in->scopes))));
}

/// POST /v1/providers/{key}/device: asks the provider for a user code for the caller. An
/// optional "timeout_ms" (1 to 3600000) ends the sign-in sooner than the code's own lifetime: polls
/// after it answer state_expired, as for an expired code.
ApiResponse device_start(native::Host& host, const ApiRequest& req, const std::string& principal,
                         const std::string& provider) {
  auto o = parse_fields(req.body, {"account", "scopes", "timeout_ms"}, true);
  if (!o) return from_error(o.error());
  std::int64_t timeout_ms = 0;
  if (o->count("timeout_ms")) {
    const Value& t = o->at("timeout_ms");
    if (!t.is<std::int64_t>() || t.get<std::int64_t>() < 1 || t.get<std::int64_t>() > 3600000) {
      return error_response(400, "invalid_request", "timeout_ms must be a whole number of milliseconds, 1 to 3600000");
    }
    timeout_ms = t.get<std::int64_t>();
  }
  auto in = account_scopes(*o);
  if (!in) return from_error(in.error());
  DeviceRequest d;
  d.timeout_ms = timeout_ms;
  d.principal = principal;
  d.provider = provider;
  d.account = in->account.value_or("");
  d.scopes = std::move(in->scopes);
  return from_result(host.run(host.engine().device_authorize(std::move(d))));
}

/// POST /v1/providers/{key}/device/poll: one poll, answered at once — 200 with the connection,
/// 202 while the user has not decided, or the core's error. It never waits for the user: the
/// Host this request borrowed goes back to the pool, so a few devices waiting for their users
/// cannot starve every other request (see --engines). The core asks the provider at most once
/// per interval however often clients poll. The handle only works for the principal that
/// started it and the provider in the path.
ApiResponse device_poll(native::Host& host, const ApiRequest& req, const std::string& principal,
                        const std::string& provider) {
  auto o = parse_fields(req.body, {"handle"});
  if (!o) return from_error(o.error());
  const std::string* handle = detail::json::get_string(*o, "handle");
  if (!handle || handle->empty()) return error_response(400, "invalid_request", "handle (a string) is required");
  DevicePollRequest p;
  p.principal = principal;  // never empty here: the key names the principal, so the handle alone is not enough
  p.provider = provider;
  p.handle = *handle;
  auto polled = host.run(host.engine().device_poll_once(std::move(p)));
  if (!polled) return from_error(polled.error());
  if (!polled->pending) return json_response(200, detail::to_value(polled->connection));
  Object pending;
  pending["pending"] = Value(true);
  pending["interval_ms"] = Value(polled->interval_ms);
  pending["next_poll_at_ms"] = Value(polled->next_poll_at_ms);
  pending["expires_at_ms"] = Value(polled->expires_at_ms);
  ApiResponse r = json_response(202, Value(pending));
  // RFC 9110 §10.2.3 in whole seconds, at least 1: when asking again can change the answer.
  const std::int64_t wait_ms = std::max<std::int64_t>(polled->next_poll_at_ms - native::Host::now_ms(), 0);
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>((wait_ms + 999) / 1000, 1)));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// PUT's body names the provider in the path; a "key" in the body must agree.
Result<std::string> provider_body(const std::string& key, const std::string& body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  if (o->count("key")) {
    const std::string* k = detail::json::get_string(*o, "key");
    if (!k || *k != key) return make_error(ErrorCode::invalid_request, "the body's key must match the path's ('" + key + "')");
  } else {
    (*o)["key"] = Value(key);
  }
  return detail::json::serialize(Value(*o));
}

/// POST /v1/providers/discover: {url, key, mcp?, allow_private_network?}. Issuer metadata
/// (OpenID / RFC 8414) first, as the CLI does; with mcp, or when the URL has none, the URL is a
/// protected resource (an MCP server, RFC 9728) and latchkey registers itself at its
/// authorization server with this gateway's callback. 201 with the provider and, when an app
/// was registered, has_client_secret (never the secret) and client_secret_expires_at_ms.
ApiResponse discover(native::Host& host, const ApiRequest& req) {
  auto o = parse_fields(req.body, {"url", "key", "mcp", "allow_private_network"});
  if (!o) return from_error(o.error());
  const std::string* url = detail::json::get_string(*o, "url");
  const std::string* key = detail::json::get_string(*o, "key");
  if (!url || url->empty() || !key || key->empty()) {
    return error_response(400, "invalid_request", "url and key (strings) are required");
  }
  bool mcp = false;
  bool allow_private = false;
  for (auto [name, slot] : {std::pair{"mcp", &mcp}, std::pair{"allow_private_network", &allow_private}}) {
    if (o->count(name) && !detail::json::get_bool(*o, name, slot)) {
      return error_response(400, "invalid_request", std::string(name) + " must be a boolean");
    }
  }
  ResourceDiscoveryRequest r;
  r.key = *key;
  r.resource_url = *url;
  r.redirect_uri = callback_uri(req);  // where authorize sends the browser back
  r.allow_private_network = allow_private;
  r.issuer_first = !mcp;
  auto info = host.run(host.engine().discover_resource(std::move(r)));
  if (!info) return from_error(info.error());
  Value v = detail::to_value(*info);
  if (info->has_app && v.is<Object>()) {
    auto app = host.run(host.engine().get_app(*key));
    if (!app) return from_error(app.error());
    Object& o = v.get<Object>();
    o["has_client_secret"] = Value(app->has_client_secret);
    // When the registered secret stops working (null: never); the registration access token stays sealed.
    o["client_secret_expires_at_ms"] = app->client_secret_expires_at_ms ? Value(app->client_secret_expires_at_ms) : Value();
  }
  return json_response(201, v);
}

/// The provider's declared cheap authenticated call, made with the connection (a 401 refreshes
/// once): {ok, status, ms} and, if the provider could not be reached, error.
ApiResponse ping(native::Host& host, const ConnectionRef& ref) {
  const std::int64_t started = native::steady_ms();
  auto sent = host.ping(ref);
  const std::int64_t ms = native::steady_ms() - started;
  if (!sent) return from_error(sent.error());
  Object o;
  const bool reached = sent->transport_error.empty();
  o["ok"] = Value(reached && sent->response.status >= 200 && sent->response.status < 300);
  o["status"] = reached ? Value(static_cast<std::int64_t>(sent->response.status)) : Value();
  o["ms"] = Value(static_cast<std::int64_t>(ms));
  if (!reached) o["error"] = Value(sent->transport_error);
  return json_response(200, Value(o));
}

/// The caller's key into `caller`, or the answer refusing it: 401 without a key or with an unknown
/// one (which `throttle` counts against the caller's address), 429 while that address is throttled.
std::optional<ApiResponse> authenticate(native::Host& host, Metrics& metrics, KeyThrottle& throttle,
                                        const ApiRequest& req, KeyInfo* caller) {
  const auto api_key = bearer_key(req.authorization);
  if (!api_key) {
    ApiResponse r = error_response(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::int64_t now = native::steady_ms();
  if (const std::int64_t wait_ms = throttle.blocked_for_ms(req.client, now); wait_ms > 0) {
    metrics.count_key_throttled();
    const std::int64_t seconds = (wait_ms + 999) / 1000;
    ApiResponse r = error_response(429, "rate_limited",
                                   "too many unknown API keys from this address; try again in " +
                                       std::to_string(seconds) + " s with a valid key");
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return r;
  }
  auto key = lookup_key(host, std::string(*api_key));
  if (!key) return from_error(key.error());
  if (!*key) {
    throttle.failed(req.client, now);
    metrics.count_key_failure();
    ApiResponse r = error_response(401, "unauthorized", "the API key is not valid");
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return r;
  }
  *caller = std::move(**key);
  return std::nullopt;
}

/// 421 unless the Host header names this gateway (host_check.hpp): for the routes without a key
/// that a page in a browser could otherwise read through DNS rebinding.
std::optional<ApiResponse> misdirected(const ApiRequest& req) {
  if (host_names_gateway(req.host, req.listen)) return std::nullopt;
  return error_response(421, "invalid_request",
                        "the Host header does not name this gateway; use its address, http://" + req.listen);
}

ApiResponse route(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                  const ApiRequest& req, const Target& t, ApiResponse* meta) {
  const auto& s = t.segments;
  const std::string& m = req.method;

  if (s.size() == 1 && s[0] == "healthz") {
    meta->route = "/healthz";
    if (m != "GET") return method_not_allowed("GET");
    if (auto refused = misdirected(req)) return *refused;
    return json_response(200, Value(Object{{"ok", Value(true)}}));
  }
  if (s.size() == 1 && s[0] == "metrics") {
    meta->route = "/metrics";
    if (m != "GET") return method_not_allowed("GET");
    if (auto refused = misdirected(req)) return *refused;
    if (config.metrics_key_required) {
      KeyInfo caller;
      if (auto refused = authenticate(host, metrics, throttle, req, &caller)) return *refused;
      meta->principal = caller.principal;
      if (caller.role != "admin") return error_response(403, "forbidden", "reading /metrics needs an admin key");
    }
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics.render();
    return r;
  }
  if (s.size() == 2 && s[0] == "oauth" && s[1] == "callback") {
    meta->route = "/oauth/callback";
    if (m != "GET") return method_not_allowed("GET");
    return oauth_callback(host, config, req, t);
  }
  if (s.empty() || s[0] != "v1") {
    // The API's own prefixes are never files, whatever the web root holds.
    const bool reserved = !s.empty() && (s[0] == "oauth" || s[0] == "healthz" || s[0] == "metrics");
    if (!config.web_root.empty() && !reserved) {
      meta->route = "/*";
      return serve_static(config.web_root, m, s);
    }
    return error_response(404, "not_found", "no such route");
  }

  // Everything under /v1 needs a key.
  KeyInfo caller;
  if (auto refused = authenticate(host, metrics, throttle, req, &caller)) {
    meta->route = "/v1/*";
    return *refused;
  }
  meta->principal = caller.principal;

  if (s.size() >= 3 && s[1] == "proxy") {
    meta->route = kProxyRoute;
    return proxy(host, metrics, req, t, caller.principal);
  }
  if (s.size() >= 2 && s[1] == "providers") {
    const bool admin = caller.role == "admin";
    if (s.size() == 2) {
      meta->route = "/v1/providers";
      if (m == "GET") return from_result(host.run(host.engine().list_providers({})));
      if (m != "POST") return method_not_allowed("GET, POST");
      if (!admin) return error_response(403, "forbidden", "registering providers needs an admin key");
      auto o = parse_object(req.body);
      if (!o) return from_error(o.error());
      ApiResponse r = from_result(host.run(host.engine().register_provider(req.body)));
      if (r.status == 200) r.status = 201;
      return r;
    }
    if (s.size() == 3 && s[2] == "discover" && m == "POST") {
      // POST is no method of /v1/providers/{key}: a provider named "discover" keeps its GET, PUT, DELETE.
      meta->route = "/v1/providers/discover";
      if (!admin) return error_response(403, "forbidden", "registering providers needs an admin key");
      return discover(host, req);
    }
    if (s.size() == 3) {
      meta->route = "/v1/providers/{key}";
      if (m == "GET") return from_result(host.run(host.engine().get_provider(s[2])));
      if (m != "PUT" && m != "DELETE") return method_not_allowed("GET, PUT, DELETE");
      if (!admin) return error_response(403, "forbidden", "changing providers needs an admin key");
      if (m == "DELETE") return from_result(host.run(host.engine().remove_provider(s[2], query_flag(t.query, "force"))));
      auto body = provider_body(s[2], req.body);
      if (!body) return from_error(body.error());
      return from_result(host.run(host.engine().update_provider(std::move(*body))));
    }
    if (s.size() == 4 && s[3] == "authorize") {
      meta->route = "/v1/providers/{key}/authorize";
      if (m != "GET") return method_not_allowed("GET");
      return authorize(host, config, req, t, caller.principal, s[2]);
    }
    if (s.size() == 4 && s[3] == "connect") {
      meta->route = "/v1/providers/{key}/connect";
      if (m != "POST") return method_not_allowed("POST");
      return connect_cc(host, req, caller.principal, s[2]);
    }
    if (s.size() == 4 && s[3] == "device") {
      meta->route = "/v1/providers/{key}/device";
      if (m != "POST") return method_not_allowed("POST");
      return device_start(host, req, caller.principal, s[2]);
    }
    if (s.size() == 5 && s[3] == "device" && s[4] == "poll") {
      meta->route = "/v1/providers/{key}/device/poll";
      if (m != "POST") return method_not_allowed("POST");
      return device_poll(host, req, caller.principal, s[2]);
    }
    if (s.size() == 4 && s[3] == "app") {
      meta->route = "/v1/providers/{key}/app";
      // Reads say whether a client secret is set (has_client_secret), never the secret.
      if (m == "GET") return from_result(host.run(host.engine().get_app(s[2])));
      if (m != "PUT" && m != "DELETE") return method_not_allowed("GET, PUT, DELETE");
      if (caller.role != "admin") return error_response(403, "forbidden", "changing app credentials needs an admin key");
      if (m == "DELETE") return from_result(host.run(host.engine().delete_app(s[2])));
      auto app = parse_app(s[2], req.body);
      if (!app) return from_error(app.error());
      return from_result(host.run(host.engine().upsert_app(std::move(*app))));
    }
  }
  if (s.size() == 2 && s[1] == "whoami") {
    meta->route = "/v1/whoami";
    if (m != "GET") return method_not_allowed("GET");
    return json_response(200, Value(Object{{"principal", Value(caller.principal)}, {"role", Value(caller.role)}}));
  }
  if (s.size() == 3 && s[1] == "oauth" && s[2] == "exchange") {
    meta->route = "/v1/oauth/exchange";
    if (m != "POST") return method_not_allowed("POST");
    return exchange(host, req, caller.principal);
  }
  if (s.size() >= 2 && s[1] == "connections") {
    if (s.size() == 2) {
      meta->route = "/v1/connections";
      if (m != "GET") return method_not_allowed("GET");
      return from_result(host.run(host.engine().list_connections(caller.principal)));
    }
    // The principal always comes from the key, so another principal's connection is simply not found.
    if (s.size() == 4 || (s.size() == 5 && (s[4] == "token" || s[4] == "ping"))) {
      ConnectionRef ref{caller.principal, s[2], s[3]};
      if (s.size() == 5 && s[4] == "ping") {
        meta->route = "/v1/connections/{id}/ping";
        if (m != "POST") return method_not_allowed("POST");
        return ping(host, ref);
      }
      if (s.size() == 5) {
        meta->route = "/v1/connections/{id}/token";
        if (m != "POST") return method_not_allowed("POST");
        auto token = host.run(host.engine().get_token(ref, query_flag(t.query, "force_refresh")));
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

bool streams_body(const std::string& target) { return target.rfind("/v1/proxy/", 0) == 0; }

ApiResponse handle(native::Host& host, Metrics& metrics, KeyThrottle& throttle, const ApiConfig& config,
                   const ApiRequest& request) {
  Target t;
  if (!split_target(request.target, &t)) {
    ApiResponse r = error_response(400, "invalid_request", "the request path is malformed");
    return r;
  }
  ApiResponse meta;
  ApiResponse r = route(host, metrics, throttle, config, request, t, &meta);
  r.route = meta.route;
  r.principal = meta.principal;
  return r;
}

}  // namespace latchkey::gateway
