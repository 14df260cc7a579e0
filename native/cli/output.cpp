#include "output.hpp"

#include <boost/beast/http/status.hpp>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "latchkey/encoding.hpp"
#include "latchkey/headers.hpp"
#include "latchkey/json_forms.hpp"
#include "latchkey/text.hpp"

namespace latchkey::cli {

namespace http = boost::beast::http;

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::needs_reauth:
    case ErrorCode::invalid_grant:
    // A sign-in that expired or ran out of time: nothing local is wrong, the user authorizes again.
    case ErrorCode::state_expired:
      return kNeedsReauth;
    case ErrorCode::provider_error:
    case ErrorCode::malformed_response:
    case ErrorCode::transport:
    case ErrorCode::rate_limited:
      return kProviderError;
    default:
      return kUserError;
  }
}

std::string term(std::string_view text) { return clean_text(text, std::string_view::npos); }

int report(const Error& error, bool json) {
  // The sentence always goes to stderr for people; --json adds the typed error on stdout.
  std::cerr << "latchkey: " << term(error.message) << "\n";
  if (json) {
    JsonObject o;
    o["error"] = json_form(error);
    print_json(JsonValue(o));
  }
  return exit_code_for(error.code);
}

void print_json(const JsonValue& value) {
  const std::string text = value.serialize();
  std::string out;
  out.reserve(text.size());
  static const char* hex = "0123456789abcdef";
  auto escape = [&out](unsigned code) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(hex[(code >> shift) & 0xF]);
  };
  // Outside strings JSON has only ASCII, so these byte sequences are always inside one.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t n = hidden_code_point(text, i);
    auto b1 = n ? static_cast<unsigned char>(text[i + 1]) : 0u;
    auto b2 = n == 3 ? static_cast<unsigned char>(text[i + 2]) : 0u;
    if (n == 2) escape(b1);  // U+0080..U+009F
    else if (n == 3) escape(0x2000u | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu));
    else out.push_back(text[i]);
    if (n) i += n - 1;
  }
  std::cout << out << "\n";
}

JsonValue connection_json(const ConnectionInfo& c) {
  JsonValue v = json_form(c);
  JsonArray scopes;
  for (auto& s : latchkey::split_list(c.scope)) scopes.emplace_back(std::move(s));
  v.get<JsonObject>()["scopes"] = JsonValue(std::move(scopes));
  return v;
}

void print_connection(const ConnectionInfo& c, bool json) {
  if (json) {
    print_json(connection_json(c));
    return;
  }
  std::printf("connected %s as %s\n", term(c.provider).c_str(), term(c.account).c_str());
  if (!c.scope.empty()) std::printf("  scopes   %s\n", term(c.scope).c_str());
  std::printf("  expires  %s%s\n", format_time(c.expires_at_ms).c_str(),
              c.has_refresh_token ? " (refreshed automatically)" : "");
}

void print_statuses(const std::vector<ConnectionInfo>& list, bool json) {
  if (json) {
    JsonArray a;
    for (const auto& c : list) a.push_back(connection_json(c));
    print_json(JsonValue(std::move(a)));
    return;
  }
  auto line = [](const char* label, const std::string& value) { std::printf("%-14s %s\n", label, value.c_str()); };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const ConnectionInfo& c = list[i];
    if (i) std::printf("\n");
    line("id", term(c.id));
    line("provider", term(c.provider));
    line("account", term(c.account));
    line("status", term(c.status));
    line("grant", term(c.grant));
    line("scopes", term(join(latchkey::split_list(c.scope), ", ")));
    line("expires", format_time(c.expires_at_ms) + (c.has_refresh_token ? " (refreshed automatically)" : ""));
    line("refresh token", c.has_refresh_token ? "yes" : "no");
    if (!c.last_error.empty()) line("last error", term(c.last_error));
  }
}

void print_connections(const std::vector<ConnectionInfo>& list, bool json) {
  if (json) {
    JsonArray a;
    for (const auto& c : list) a.push_back(connection_json(c));
    print_json(JsonValue(std::move(a)));
    return;
  }
  std::printf("%-16s %-28s %-13s %s\n", "PROVIDER", "ACCOUNT", "STATUS", "EXPIRES");
  for (const auto& c : list) {
    std::printf("%-16s %-28s %-13s %s\n", term(c.provider).c_str(), term(c.account).c_str(), term(c.status).c_str(),
                format_time(c.expires_at_ms).c_str());
  }
}

void print_token(const AccessToken& t, bool json) {
  if (json) print_json(json_form(t));
  else std::cout << t.access_token << "\n";
}

void print_disconnect(const std::string& provider, const DisconnectResult& r, bool revoke, bool json) {
  if (json) {
    print_json(json_form(r));
    return;
  }
  std::printf("disconnected %s%s\n", term(provider).c_str(), r.revoked ? " (tokens revoked)" : "");
  if (revoke && !r.revoked) std::cerr << "latchkey: not revoked: " << term(r.revocation_error) << "\n";
}

int finish_ping(const EffectResult& r, const PingVerdict& verdict, std::int64_t ms, bool json) {
  bool ok = r.transport_error.empty() && verdict.ok;
  if (json) {
    JsonObject o;
    o["ok"] = JsonValue(ok);
    o["status"] = JsonValue(static_cast<std::int64_t>(r.response.status));
    o["ms"] = JsonValue(ms);
    if (!r.transport_error.empty()) o["error"] = JsonValue(r.transport_error);
    else if (!verdict.why.empty()) o["error"] = JsonValue(verdict.why);
    print_json(JsonValue(o));
  } else if (!r.transport_error.empty()) {
    std::cerr << "latchkey: " << term(r.transport_error) << "\n";
  } else {
    std::printf("%s: HTTP %d in %lld ms%s\n", ok ? "ok" : "failed", r.response.status, static_cast<long long>(ms),
                verdict.why.empty() ? "" : (" (" + term(verdict.why) + ")").c_str());
  }
  if (ok) return kOk;
  return r.transport_error.empty() && verdict.token_refused ? kNeedsReauth : kProviderError;
}

namespace {

// "insufficient_scope" challenges name the scope that would have worked (RFC 6750 §3.1).
std::string missing_scope(const HttpResponse& r) {
  const std::string* challenge = find_header(r.headers, "www-authenticate");
  if (!challenge || challenge->find("insufficient_scope") == std::string::npos) return {};
  auto at = challenge->find("scope=\"");
  if (at == std::string::npos) return "?";
  auto end = challenge->find('"', at + 7);
  return challenge->substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

}  // namespace


namespace {

std::string status_line(int status) {
  // Beast's table of reason phrases, as latchkeyd's proxy writes them.
  std::string reason(http::obsolete_reason(static_cast<http::status>(status)));
  if (reason == "<unknown-status>") reason.clear();
  return "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// {name: value} with names in lower case (HTTP's are case-insensitive); a repeated header's values
// joined with ", " as RFC 9110 §5.3 allows.
JsonValue headers_json(const Params& headers) {
  JsonObject o;
  for (const auto& [k, v] : headers) {
    auto [it, fresh] = o.emplace(lower(k), JsonValue(v));
    if (!fresh) it->second = JsonValue(it->second.get<std::string>() + ", " + v);
  }
  return JsonValue(std::move(o));
}

}  // namespace

int finish_request(const std::string& provider, const HttpResponse& r, const RequestOutput& out) {
  if (!out.output_file.empty() && !out.head) {
    std::ofstream file(out.output_file, std::ios::binary);
    file << r.body;
    if (!file) return report(make_error(ErrorCode::invalid_request, "cannot write " + out.output_file), out.json);
  }
  if (out.json) {
    JsonObject o;
    o["status"] = JsonValue(static_cast<std::int64_t>(r.status));
    o["headers"] = headers_json(r.headers);
    if (out.head || !out.output_file.empty()) {
      o["body"] = JsonValue();
    } else if (auto parsed = parse_json(r.body, "the body"); parsed && !r.body.empty()) {
      o["body"] = std::move(*parsed);
    } else if (is_utf8(r.body)) {
      o["body"] = JsonValue(r.body);
    } else {
      o["body"] = JsonValue();
      o["body_base64"] = JsonValue(base64_encode(r.body));  // JSON text cannot hold these bytes
    }
    print_json(JsonValue(std::move(o)));
  } else {
    if (out.include || out.head) {
      std::cout << status_line(r.status) << "\n";
      for (const auto& [k, v] : r.headers) std::cout << term(k) << ": " << term(v) << "\n";
      if (!out.head) std::cout << "\n";
    }
    if (out.output_file.empty() && !out.head) {
      std::cout << r.body;
      if (!r.body.empty() && r.body.back() != '\n') std::cout << "\n";
    }
  }
  if (r.status >= 400 && !out.silent) {
    // An error answer without a body would otherwise print nothing at all.
    if (r.body.empty() && !out.include && !out.head && !out.json) std::cerr << status_line(r.status) << "\n";
    if (r.status == 401) {
      std::cerr << "latchkey: " << term(provider) << " still answers 401 after a refresh; run `latchkey connect "
                << term(provider) << "`\n";
    }
    if (r.status == 403) {
      std::string scope = missing_scope(r);
      if (!scope.empty()) {
        std::cerr << "latchkey: the connection lacks a scope this request needs; run `latchkey scopes add "
                  << term(provider) << " " << (scope == "?" ? "SCOPE" : term(scope)) << "`\n";
      }
    }
  }
  if (r.status == 401) return kNeedsReauth;
  return r.status >= 400 ? int(kProviderError) : int(kOk);
}

void trace_request(const HttpRequest& r, const std::string& token_header, const std::string& token_param) {
  std::string url = r.url;
  if (!token_param.empty()) {
    // The token's value in the query: from after "name=" to the next '&' or '#'.
    const auto q = url.find('?');
    for (std::size_t at = q; at != std::string::npos && at < url.size(); at = url.find('&', at + 1)) {
      if (url.compare(at + 1, token_param.size() + 1, token_param + "=") != 0) continue;
      const std::size_t from = at + token_param.size() + 2;
      const std::size_t to = std::min(url.find('&', from), url.find('#', from));
      url.replace(from, (to == std::string::npos ? url.size() : to) - from, "[hidden]");
    }
  }
  std::cerr << "> " << term(r.method) << " " << term(url) << "\n";
  const std::string hidden = lower(token_header);
  for (const auto& [k, v] : r.headers) {
    const std::string n = lower(k);
    const bool secret = n == "authorization" || n == "proxy-authorization" || n == "cookie" || (!hidden.empty() && n == hidden);
    std::cerr << "> " << term(k) << ": " << (secret ? std::string("[hidden]") : term(v)) << "\n";
  }
  if (!r.body.empty()) std::cerr << "> (body: " << r.body.size() << " bytes)\n";
  std::cerr << std::flush;
}

void trace_response(const EffectResult& r) {
  if (!r.transport_error.empty()) {
    std::cerr << "* no answer: " << term(r.transport_error) << "\n";
    return;
  }
  std::cerr << "< " << status_line(r.response.status) << "\n";
  for (const auto& [k, v] : r.response.headers) {
    // A session cookie is a credential too.
    const bool secret = lower(k) == "set-cookie";
    std::cerr << "< " << term(k) << ": " << (secret ? std::string("[hidden]") : term(v)) << "\n";
  }
  std::cerr << std::flush;
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    for (auto& part : latchkey::split_list(item)) out.push_back(std::move(part));
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string format_time(std::int64_t ms) { return ms == 0 ? "never" : utc_text(ms); }

}  // namespace latchkey::cli
