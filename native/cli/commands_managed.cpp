#include "managed.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "host/clock.hpp"
#include "latchkey/json_forms.hpp"
#include "latchkey/url.hpp"
#include "output.hpp"
#include "session.hpp"

namespace latchkey::cli::managed {
namespace {

using Array = JsonArray;
using Object = JsonObject;
using Value = JsonValue;

// Polling starts quick (people finish consent in seconds) and settles at one request every 2 s.
std::int64_t poll_interval_ms(int round) { return std::min<std::int64_t>(2000, 500 + 250 * round); }

std::string provider_path(const std::string& provider) { return "/v1/providers/" + percent_encode(provider); }

// The gateway addresses a connection by provider and account. Without --account the CLI picks the
// only one, as the local engine does, and words none and several the same way.
Result<std::string> resolve_account(GatewayClient& gw, const std::string& provider, const std::string& account) {
  if (!account.empty()) return account;
  auto all = list(gw);
  if (!all) return all.error();
  std::vector<std::string> accounts;
  for (const auto& c : *all) {
    if (c.provider == provider) accounts.push_back(c.account);
  }
  if (accounts.empty()) {
    return make_error(ErrorCode::not_found, "no connection to '" + provider + "': run `latchkey connect " + provider + "`");
  }
  if (accounts.size() > 1) {
    return make_error(ErrorCode::invalid_request, "there are several '" + provider + "' connections (" +
                                                      join(accounts, ", ") + "): choose one with --account");
  }
  return accounts.front();
}

// The proxy reaches only api_base_url: a full URL must lie under it and becomes a path.
Result<std::string> proxy_target(const Provider& p, const std::string& url_or_path) {
  std::string rest = url_or_path;
  if (rest.find("://") != std::string::npos) {
    std::string base = p.api_base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    bool under = !base.empty() && rest.compare(0, base.size(), base) == 0 &&
                 (rest.size() == base.size() || rest[base.size()] == '/' || rest[base.size()] == '?');
    if (!under) {
      return make_error(ErrorCode::invalid_request,
                        "'" + p.key + "' is in managed mode: requests go through the gateway's proxy, which reaches only " +
                            (base.empty() ? std::string("the provider's API base URL") : base) +
                            "; give a path under it");
    }
    rest = rest.substr(base.size());
  }
  if (rest.empty() || rest.front() != '/') rest.insert(0, "/");
  return "/v1/proxy/" + percent_encode(p.key) + rest;
}

// The caller's Authorization would carry our API key's place; the gateway injects the token.
void prepare_proxied(HttpRequest& req, const std::string& account) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                   [&](const auto& h) {
                                     std::string n = lower(h.first);
                                     return n == "authorization" || n.rfind("x-latchkey-", 0) == 0;
                                   }),
                    req.headers.end());
  if (!account.empty()) req.headers.emplace_back("X-Latchkey-Account", account);
}

// The gateway's callback, as its consent link names it ("" when the link does not: a pushed
// authorization request carries only its request_uri).
std::string redirect_uri_of(const std::string& authorization_url) {
  Url u;
  if (!url_problem(authorization_url, &u).empty()) return {};
  auto params = decode_form(u.query);
  if (!params) return {};
  const std::string* r = find_param(*params, "redirect_uri");
  return r ? *r : std::string();
}

Result<ConnectionInfo> connection_from(Result<Value> v) {
  if (!v) return v.error();
  return connection_from_json_form(*v, "the gateway");
}

int connect_client_credentials(GatewayClient& gw, const Provider& p, const std::vector<std::string>& scopes,
                               const std::string& account, bool json) {
  Object body;
  if (!account.empty()) body["account"] = Value(account);
  if (!scopes.empty()) {
    Array a;
    for (const auto& s : scopes) a.emplace_back(s);
    body["scopes"] = Value(a);
  }
  auto c = connection_from(gw.call("POST", provider_path(p.key) + "/connect", serialize_json(Value(body))));
  if (!c) return report(c.error(), json);
  print_connection(*c, json);
  return kOk;
}

}  // namespace

Result<std::vector<ConnectionInfo>> list(GatewayClient& gw) {
  auto v = gw.call("GET", "/v1/connections");
  if (!v) return v.error();
  return connections_from_json_form(*v, "the gateway");
}

int connect(GatewayClient& gw, const ProviderInfo& info, const std::vector<std::string>& scopes,
            const std::string& account, bool open_browser, int timeout_s, bool json) {
  const Provider& p = info.provider;
  if (p.auth_mode == AuthMode::client_credentials) return connect_client_credentials(gw, p, scopes, account, json);

  // What the gateway holds before the sign-in, so the wait can tell the new connection (or the
  // reconnected one, whose updated_at_ms moves) from what was there. This also checks the key
  // before anyone is sent to a consent page.
  auto before = list(gw);
  if (!before) return report(before.error(), json);
  std::map<std::string, std::int64_t> seen;
  for (const auto& c : *before) seen[c.id] = c.updated_at_ms;

  Params query;
  if (!scopes.empty()) query.emplace_back("scopes", join(scopes, ","));
  if (!account.empty()) query.emplace_back("account", account);
  auto start = gw.call("GET", provider_path(p.key) + "/authorize" + (query.empty() ? "" : "?" + encode_form(query)));
  if (!start) return report(start.error(), json);
  const std::string* url = start->is<Object>() ? json_string(start->get<Object>(), "authorization_url") : nullptr;
  if (!url || url->empty()) {
    return report(make_error(ErrorCode::malformed_response, "the gateway's authorize answer has no authorization_url"), json);
  }

  if (json && !open_browser) print_consent_link(*url, redirect_uri_of(*url));
  std::cerr << "Open this link to connect " << term(p.display_name) << ":\n  " << term(*url) << "\n";
  if (open_browser && !open_in_browser(*url)) {
    std::cerr << "(could not start a browser with xdg-open; open the link yourself)\n";
  }
  std::cerr << "Waiting for the sign-in to finish at the gateway (up to " << timeout_s << " s)...\n" << std::flush;

  const std::int64_t deadline = native::steady_ms() + std::int64_t{timeout_s} * 1000;
  std::string unreachable;  // a gateway restarting mid-sign-in is not the end of it: keep polling
  for (int round = 0;; ++round) {
    std::int64_t left = deadline - native::steady_ms();
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, poll_interval_ms(round))));
    auto now = list(gw);
    if (!now) {
      if (now.error().code != ErrorCode::transport) return report(now.error(), json);
      unreachable = now.error().message;
      continue;
    }
    unreachable.clear();
    for (const auto& c : *now) {
      if (c.provider != p.key || (!account.empty() && c.account != account)) continue;
      auto was = seen.find(c.id);
      if (was == seen.end() || was->second != c.updated_at_ms) {
        print_connection(c, json);
        return kOk;
      }
    }
  }
  return report(make_error(ErrorCode::invalid_request,
                           "timed out after " + std::to_string(timeout_s) +
                               " s waiting for the sign-in to finish at the gateway; run connect again (or raise "
                               "--timeout)" +
                               (unreachable.empty() ? "" : "; the last poll failed: " + unreachable)),
                json);
}

Result<ConnectionInfo> status(GatewayClient& gw, const std::string& provider, const std::string& account) {
  auto a = resolve_account(gw, provider, account);
  if (!a) return a.error();
  return connection_from(gw.call("GET", connection_path(provider, *a)));
}

Result<AccessToken> token(GatewayClient& gw, const std::string& provider, const std::string& account) {
  auto a = resolve_account(gw, provider, account);
  if (!a) return a.error();
  auto v = gw.call("POST", connection_path(provider, *a) + "/token");
  if (!v) return v.error();
  const std::string* access = v->is<Object>() ? json_string(v->get<Object>(), "access_token") : nullptr;
  if (!access || access->empty()) {
    return make_error(ErrorCode::malformed_response, "the gateway's token answer has no access_token");
  }
  AccessToken t;
  t.access_token = *access;
  const Object& o = v->get<Object>();
  if (const std::string* type = json_string(o, "token_type")) t.token_type = *type;
  json_int(o, "expires_at", &t.expires_at_ms);
  return t;
}

Result<DisconnectResult> disconnect(GatewayClient& gw, const std::string& provider, const std::string& account,
                                    bool revoke) {
  auto a = resolve_account(gw, provider, account);
  if (!a) return a.error();
  auto v = gw.call("DELETE", connection_path(provider, *a) + (revoke ? "?revoke=true" : ""));
  if (!v) return v.error();
  if (!v->is<Object>()) return make_error(ErrorCode::malformed_response, "the gateway's disconnect answer is not an object");
  const Object& o = v->get<Object>();
  DisconnectResult d;
  json_bool(o, "deleted", &d.deleted);
  json_bool(o, "revoked", &d.revoked);
  if (const std::string* why = json_string(o, "revocation_error")) d.revocation_error = *why;
  return d;
}

int request(GatewayClient& gw, const ProviderInfo& info, const std::string& account, HttpRequest req,
            const RequestOutput& out, bool verbose) {
  auto target = proxy_target(info.provider, req.url);
  if (!target) return report(target.error(), out.json);
  req.url = *target;
  prepare_proxied(req, account);
  if (verbose) {
    HttpRequest shown = req;
    shown.url = gw.url() + req.url;
    shown.headers.emplace_back("Authorization", "");  // the API key, added by the client: shown as hidden
    trace_request(shown, "", "");
  }
  auto r = gw.proxy(std::move(req));
  if (!r) return report(r.error(), out.json);
  if (verbose) {
    EffectResult answered;
    answered.response = *r;
    trace_response(answered);
  }
  if (auto e = gw.own_error(*r)) return report(*e, out.json);
  return finish_request(info.provider.key, *r, out);
}

int ping(GatewayClient& gw, const ProviderInfo& info, const std::string& account, bool json) {
  const Provider& p = info.provider;
  auto req = ping_request(p);
  if (!req) return report(req.error(), json);
  auto target = proxy_target(p, req->url);
  if (!target) return report(target.error(), json);
  req->url = *target;
  prepare_proxied(*req, account);
  auto started = native::steady_ms();
  auto r = gw.proxy(std::move(*req));
  std::int64_t ms = native::steady_ms() - started;
  if (!r) return report(r.error(), json);
  if (auto e = gw.own_error(*r)) return report(*e, json);
  EffectResult result;
  result.response = std::move(*r);
  return finish_ping(result, judge_ping(p, result.response), ms, json);
}

}  // namespace latchkey::cli::managed
