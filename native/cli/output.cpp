#include "output.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "latchkey/headers.hpp"
#include "latchkey/json_forms.hpp"
#include "latchkey/text.hpp"

namespace latchkey::cli {

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

void print_connection(const ConnectionInfo& c, bool json) {
  if (json) {
    print_json(json_form(c));
    return;
  }
  std::printf("connected %s as %s\n", term(c.provider).c_str(), term(c.account).c_str());
  if (!c.scope.empty()) std::printf("  scopes   %s\n", term(c.scope).c_str());
  std::printf("  expires  %s%s\n", format_time(c.expires_at_ms).c_str(),
              c.has_refresh_token ? " (refreshed automatically)" : "");
}

void print_status(const ConnectionInfo& c, bool json) {
  if (json) {
    print_json(json_form(c));
    return;
  }
  std::printf("%-10s %s\n", "provider", term(c.provider).c_str());
  std::printf("%-10s %s\n", "account", term(c.account).c_str());
  std::printf("%-10s %s\n", "status", term(c.status).c_str());
  std::printf("%-10s %s\n", "grant", term(c.grant).c_str());
  std::printf("%-10s %s\n", "scopes", term(c.scope).c_str());
  std::printf("%-10s %s%s\n", "expires", format_time(c.expires_at_ms).c_str(),
              c.has_refresh_token ? " (refreshed automatically)" : "");
  if (!c.last_error.empty()) std::printf("%-10s %s\n", "last error", term(c.last_error).c_str());
}

void print_connections(const std::vector<ConnectionInfo>& list, bool json) {
  if (json) {
    print_json(json_form(list));
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

int finish_request(const std::string& provider, const HttpResponse& r, bool include, const std::string& output_file) {
  if (include) {
    std::cout << "HTTP " << r.status << "\n";
    for (const auto& [k, v] : r.headers) std::cout << term(k) << ": " << term(v) << "\n";
    std::cout << "\n";
  }
  if (!output_file.empty()) {
    std::ofstream out(output_file, std::ios::binary);
    out << r.body;
    if (!out) return report(make_error(ErrorCode::invalid_request, "cannot write " + output_file), false);
  } else {
    std::cout << r.body;
    if (!r.body.empty() && r.body.back() != '\n') std::cout << "\n";
  }
  if (r.status == 401) {
    std::cerr << "latchkey: " << term(provider) << " still answers 401 after a refresh; run `latchkey connect " << term(provider)
              << "`\n";
    return kNeedsReauth;
  }
  if (r.status == 403) {
    std::string scope = missing_scope(r);
    if (!scope.empty()) {
      std::cerr << "latchkey: the connection lacks a scope this request needs; run `latchkey scopes add " << term(provider)
                << " " << (scope == "?" ? "SCOPE" : term(scope)) << "`\n";
    }
  }
  return r.status >= 400 ? int(kProviderError) : int(kOk);
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

std::string format_time(std::int64_t ms) {
  if (ms == 0) return "never";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace latchkey::cli
