// Browser sign-in: /v1/providers/{key}/authorize starts it, the browser lands on /oauth/callback
// (or an API client posts the code to /v1/oauth/exchange), and a sign-in started with return_to
// sends the browser back there.
#include "api_body.hpp"
#include "api_handlers.hpp"

#include <optional>

#include "host/loopback.hpp"

#include "latchkey/headers.hpp"
#include "latchkey/url.hpp"
#include "responses.hpp"
#include "return_records.hpp"
#include "return_to.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

/// JSON for an inline script: '<' escaped so no string can close the <script> element.
std::string script_json(const Value& v) {
  std::string json = serialize_json(v), out;
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

}  // namespace

std::string callback_uri(const ApiConfig& config, const ApiRequest& req) {
  if (!config.public_url.empty()) return config.public_url + "/oauth/callback";
  if (req.via_proxy && !req.host.empty()) return req.scheme + "://" + req.host + "/oauth/callback";
  std::string base = req.listen;
  auto colon = base.rfind(':');
  std::string bound_host = colon == std::string::npos ? base : base.substr(0, colon);
  std::string bound_port = colon == std::string::npos ? "" : base.substr(colon + 1);
  if (bound_host == "0.0.0.0" || bound_host == "[::]") {
    auto hc = req.host.rfind(':');
    if (hc != std::string::npos && req.host.substr(hc + 1) == bound_port &&
        is_loopback_host(req.host.substr(0, hc))) {
      base = req.host;
    } else {
      base = (bound_host == "[::]" ? "[::1]:" : "127.0.0.1:") + bound_port;
    }
  }
  return req.scheme + "://" + base + "/oauth/callback";
}


namespace {

/// The allow-listed origins plus the gateway's own (its pages, like the vault, may return to it).
std::vector<std::string> return_origins(const ApiConfig& config, const ApiRequest& req) {
  std::vector<std::string> origins = config.return_to_origins;
  std::string own = callback_uri(config, req);
  if (auto o = origin_of(own)) origins.push_back(*o);
  return origins;
}

}  // namespace

ApiResponse oauth_callback(const Call& c) {
  native::Host& host = c.host;
  const ApiRequest& req = c.req;
  const Target& t = c.target;
  auto params = decode_form(t.query);
  if (!params) return callback_error(req, make_error(ErrorCode::invalid_request, "the callback query is malformed"), "");
  // A browser sign-in started with return_to goes back there; API clients asking for JSON get JSON.
  std::optional<ReturnRecord> back;
  const std::string* state = find_param(*params, "state");
  // OAuth 1.0a: the temporary token is the sign-in's handle (authorize returned it as `state`).
  if (!state) state = find_param(*params, "oauth_token");
  if (state && !state->empty() && !wants_json(req)) {
    auto taken = take_return(host, *state);
    if (!taken) return callback_error(req, taken.error(), "");
    // The allow-list is checked again: an origin removed since the sign-in started is not trusted.
    if (*taken && return_to_allowed((*taken)->return_to, return_origins(c.config, req))) back = std::move(*taken);
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
    ApiResponse r = json_response(200, json_form(*conn));
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

ApiResponse authorize(const Call& c) {
  native::Host& host = c.host;
  const ApiRequest& req = c.req;
  auto params = decode_form(c.target.query);
  if (!params) return error_response(400, "invalid_request", "the query string is malformed");
  for (const auto& [name, value] : *params) {
    if (name != "scopes" && name != "account" && name != "return_to") {
      return error_response(400, "invalid_request", "unknown query parameter '" + name + "'");
    }
  }
  const std::string* return_to = find_param(*params, "return_to");
  if (return_to) {
    // Only allow-listed origins: anything else would make the gateway an open redirector.
    auto origin = origin_of(*return_to);
    if (!origin) return error_response(400, "invalid_request", "return_to: " + origin.error().message);
    if (!return_to_allowed(*return_to, return_origins(c.config, req))) {
      return error_response(400, "invalid_request",
                            "return_to's origin " + *origin +
                                " is not allowed; the operator can allow it with --return-to-origin " + *origin +
                                " (or return-to-origin in the config file)");
    }
  }
  AuthorizeRequest a;
  a.principal = c.caller.principal;
  a.provider = c.param("key");
  if (const std::string* account = find_param(*params, "account")) a.account = *account;
  if (const std::string* scopes = find_param(*params, "scopes")) a.scopes = split_list(*scopes);
  a.default_redirect_uri = callback_uri(c.config, req);  // an app's own redirect_uri wins
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
  ApiResponse r = json_response(200, json_form(*start));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse oauth_exchange(const Call& c) {
  auto o = parse_fields(c.req.body, {"code", "state", "iss"});
  if (!o) return from_error(o.error());
  const std::string* code = json_string(*o, "code");
  const std::string* state = json_string(*o, "state");
  if (!code || code->empty() || !state || state->empty()) {
    return error_response(400, "invalid_request", "code and state (strings) are required");
  }
  const std::string* iss = json_string(*o, "iss");
  if (o->count("iss") && !iss) return error_response(400, "invalid_request", "iss must be a string");
  Params q{{"code", *code}, {"state", *state}};
  if (iss) q.emplace_back("iss", *iss);
  CallbackRequest cb;
  cb.principal = c.caller.principal;
  cb.callback = encode_form(q);
  return from_result(c.host.run(c.host.engine().complete_callback(std::move(cb))));
}

}  // namespace latchkey::gateway
