// Reading what a token endpoint answered: RFC 6749 §5.1 (success) and §5.2 (error), plus the shapes
// real providers send instead — GitHub's form-encoded legacy body and its errors under HTTP 200,
// Slack's `ok:false` envelope and its user token nested in `authed_user`, expires_in as a numeric
// string (Azure AD v1, GitHub Apps), Facebook's error object, Reddit's numeric `error`, and HTML
// pages from proxies or wrong URLs.
//
// Nothing from the body is echoed into a message except the provider's error code and description
// (cleaned and capped) and a token type: token values never reach a message.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "json.hpp"
#include "latchkey/token_set.hpp"
#include "text.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

namespace json = detail::json;
using detail::clean;
using detail::ends_with;
using detail::http_error;
using detail::http_text;
using detail::is_vschar;
using detail::is_ws;
using detail::whole_number;

// An expires_in beyond ten years is not a token lifetime but a bug (or a unit mix-up), and it keeps
// now_ms + lifetime far away from int64 overflow.
constexpr std::int64_t kMaxExpiresInSeconds = std::int64_t{10} * 365 * 24 * 60 * 60;

Error malformed(int status, const std::string& what) {
  return http_error(ErrorCode::malformed_response, status,
                    "the token endpoint's answer (" + http_text(status) + ") " + what +
                        "; check the token endpoint URL, and report it if this provider really answers like that");
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

/// "Application/JSON; charset=utf-8" → "application/json".
std::string media_type(std::string_view content_type) {
  return to_lower(trim(content_type.substr(0, content_type.find(';'))));
}

/// "code: description", either part possibly empty.
std::string describe(const std::string& code, const std::string& description) {
  if (code.empty()) return description.empty() ? "no error code" : description;
  return description.empty() ? code : code + ": " + description;
}

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (s == n) return true;
  }
  return false;
}

/// An error body (RFC 6749 §5.2, or a provider's variant of it) → provider_error / invalid_grant.
Error provider_failure(int status, const std::string& raw_code, const std::string& raw_description) {
  std::string code = clean(raw_code);
  std::string description = clean(raw_description);
  std::string said = describe(code, description);
  std::string message;
  // Provider-specific names for invalid_grant (GitHub, Slack): they mean the same thing, and a
  // revoked refresh token must lead to needs_reauth whatever the provider calls it.
  const bool grant_rejected =
      code == "invalid_grant" || one_of(code, {"bad_verification_code", "bad_refresh_token", "invalid_code",
                                               "code_already_used", "invalid_refresh_token", "code_expired",
                                               "OAuthException 190"});
  if (grant_rejected) {
    message = "the authorization code or refresh token was rejected (expired, revoked or already used); "
              "connect the account again (the provider said: " + said + ")";
  } else if (one_of(code, {"invalid_client", "incorrect_client_credentials", "bad_client_secret",
                           "invalid_client_id", "invalid_client_secret"})) {
    message = "the provider rejected the app's client credentials (" + said + "); check the client ID and secret";
  } else if (one_of(code, {"unauthorized_client", "unsupported_grant_type"})) {
    message = "the provider does not let this app use this kind of grant (" + said +
              "); check the app's settings at the provider";
  } else if (one_of(code, {"redirect_uri_mismatch", "bad_redirect_uri", "invalid_redirect_uri"})) {
    message = "the redirect URI does not match the one registered at the provider (" + said +
              "); check the app's callback URL";
  } else if (code == "invalid_scope") {
    message = "the provider refused the requested scopes (" + said + "); check the scopes asked for";
  } else if (one_of(code, {"temporarily_unavailable", "server_error", "internal_error", "service_unavailable",
                           "ratelimited"})) {
    message = "the provider could not issue a token right now (" + said + "); try again later";
  } else {
    message = "the token endpoint returned an error (" + said + ", " + http_text(status) +
              "); check the app's settings at the provider and try connecting again";
  }
  Error e = http_error(grant_rejected ? ErrorCode::invalid_grant : ErrorCode::provider_error, status,
                       std::move(message));
  e.provider_code = std::move(code);
  e.provider_description = std::move(description);
  return e;
}

/// A non-success status without an OAuth error body.
Error http_failure(int status) {
  std::string what = "the token endpoint answered " + http_text(status) + " without an OAuth error response";
  if (status == 429) {
    what += " (too many requests); wait and try again";
  } else if (status >= 500) {
    what += " (a server error); the provider may be having trouble, try again later";
  } else if (status == 401 || status == 403) {
    what += "; check the client ID and secret";
  } else if (status == 404 || status == 405 || (status >= 300 && status < 400)) {
    what += "; check the token endpoint URL";
  } else {
    what += "; check the provider settings and try again";
  }
  return http_error(ErrorCode::provider_error, status, std::move(what));
}

bool is_success(int status) { return status == 200 || status == 201; }

/// The text of a member that may be a string or a number ("code": 100), or "".
std::string text_of(const json::Object& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->second.is<std::string>()) return it->second.get<std::string>();
  if (it->second.is<std::int64_t>()) return std::to_string(it->second.get<std::int64_t>());
  return {};
}

/// True if the `error` member means "this is an error body". Some success bodies carry
/// `"error": null`, `false`, `""` or `0`; those are not errors.
bool is_error_value(const json::Value& v) {
  if (v.is<picojson::null>()) return false;
  if (v.is<bool>()) return v.get<bool>();
  if (v.is<std::string>()) return !v.get<std::string>().empty();
  if (v.is<std::int64_t>()) return v.get<std::int64_t>() != 0;
  if (v.is<json::Array>()) return !v.get<json::Array>().empty();
  return true;  // objects (Facebook), non-integral numbers
}

/// The error carried by a body, if any (checked for every status: GitHub and Slack use HTTP 200).
bool body_error(const json::Object& top, int status, Error* out) {
  auto it = top.find("error");
  if (it != top.end() && is_error_value(it->second)) {
    const json::Value& v = it->second;
    std::string code;
    std::string description = text_of(top, "error_description");
    if (v.is<std::string>()) {
      code = v.get<std::string>();
    } else if (v.is<json::Object>()) {
      // Facebook Graph: {"error": {"message": ..., "type": "OAuthException", "code": 100}}
      const auto& o = v.get<json::Object>();
      code = text_of(o, "type");
      if (code.empty()) code = text_of(o, "code");
      // Code 190: the access token traded (Instagram's, Threads' refresh) is expired or revoked.
      else if (text_of(o, "code") == "190") code += " 190";
      if (description.empty()) description = text_of(o, "message");
    } else if (v.is<std::int64_t>()) {
      // Reddit: {"message": "Unauthorized", "error": 401}
      code = std::to_string(v.get<std::int64_t>());
    }
    if (description.empty()) description = text_of(top, "message");
    *out = provider_failure(status, code, description);
    return true;
  }
  // Slack wraps every answer in {"ok": ...}; ok:false without an error name is still a failure.
  bool ok = true;
  if (json::get_bool(top, "ok", &ok) && !ok) {
    *out = http_error(ErrorCode::provider_error, status,
                      "the provider answered ok:false without saying why (" + http_text(status) +
                          "); try again, and check the app's settings at the provider if it persists");
    return true;
  }
  return false;
}

/// An optional string member: absent or null → empty; another type → false.
bool optional_string(const json::Object& o, const std::string& key, std::string* out) {
  auto it = o.find(key);
  if (it == o.end() || it->second.is<picojson::null>()) {
    out->clear();
    return true;
  }
  if (!it->second.is<std::string>()) return false;
  *out = it->second.get<std::string>();
  return true;
}

/// Name=value pairs as GitHub sends them without `Accept: application/json`. Names are plain
/// tokens; values have no whitespace or quotes (a sentence of text/plain is not a form).
bool looks_like_form(std::string_view body) {
  if (body.empty()) return false;
  bool any = false;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    for (char c : pair.substr(0, eq)) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.' || c == '%';
      if (!ok) return false;
    }
    for (char c : pair.substr(eq + 1)) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7F || c == '"' || c == '<' || c == '>') return false;
    }
    any = true;
  }
  return any;
}

enum class Format { json, form, html, empty, unknown };

Format detect(std::string_view lead, const std::string& type) {
  // The body decides first: JSON labelled text/html or text/plain is common (misconfigured
  // frameworks, old Facebook), and an HTML page labelled application/json happens behind proxies.
  if (lead.empty()) return Format::empty;
  if (lead.front() == '{') return Format::json;
  if (lead.front() == '<' || type == "text/html" || type == "application/xhtml+xml") return Format::html;
  if (type == "application/json" || ends_with(type, "+json")) return Format::json;
  if ((type == "application/x-www-form-urlencoded" || type == "text/plain" || type.empty()) &&
      looks_like_form(trim(lead))) {
    return Format::form;
  }
  return Format::unknown;
}

}  // namespace

Result<TokenSet> parse_token_response(const TokenHttpResponse& response, const TokenResponseRules& rules,
                                      std::int64_t now_ms, const std::string& requested_scope) {
  const int status = response.status;
  if (response.body.size() > kMaxTokenResponseBytes) {
    return http_error(ErrorCode::malformed_response, status,
                      "the token endpoint's answer (" + http_text(status) + ") is larger than the " +
                          std::to_string(kMaxTokenResponseBytes) +
                          "-byte limit for a token response; check the token endpoint URL");
  }

  std::string_view lead = response.body;
  // A UTF-8 byte order mark before the JSON (some .NET and PHP servers) is not an error.
  if (lead.substr(0, 3) == "\xEF\xBB\xBF") lead.remove_prefix(3);
  while (!lead.empty() && is_ws(lead.front())) lead.remove_prefix(1);

  json::Object top;
  switch (detect(lead, media_type(response.content_type))) {
    case Format::empty:
      if (!is_success(status)) return http_failure(status);
      return malformed(status, "has an empty body instead of a token response");
    case Format::html: {
      std::string what = "the token endpoint returned an HTML page (" + http_text(status) +
                         ") instead of a token response; check the token endpoint URL";
      if (status >= 500 || status == 429) what += ", or try again later if the provider is having trouble";
      return http_error(ErrorCode::malformed_response, status, std::move(what));
    }
    case Format::unknown:
      if (!is_success(status)) return http_failure(status);
      return malformed(status, "is neither JSON nor form-encoded");
    case Format::json: {
      auto parsed = json::parse(lead, "the token response");
      if (!parsed) {
        if (!is_success(status)) return http_failure(status);
        Error e = std::move(parsed).error();
        e.http_status = status;
        e.message += " (" + http_text(status) + "); check the token endpoint URL";
        return e;
      }
      if (!parsed->is<json::Object>()) {
        if (!is_success(status)) return http_failure(status);
        return malformed(status, "is JSON but not an object");
      }
      top = std::move(parsed->get<json::Object>());
      break;
    }
    case Format::form: {
      auto params = detail::decode_form(trim(lead));
      if (!params) {
        if (!is_success(status)) return http_failure(status);
        return malformed(status, "is form-encoded but has an invalid %-escape");
      }
      for (auto& [name, value] : *params) {
        if (!json::is_utf8(name) || !json::is_utf8(value)) {
          if (!is_success(status)) return http_failure(status);
          return malformed(status, "is form-encoded but not valid UTF-8 text");
        }
        // The first value wins, as with a query string; the rest of the code reads JSON members.
        if (top.find(name) == top.end()) top.emplace(std::move(name), json::str(std::move(value)));
      }
      break;
    }
  }

  Error provider;
  if (body_error(top, status, &provider)) return provider;
  if (!is_success(status)) return http_failure(status);

  const json::Object* token = &top;
  if (!rules.root.empty()) {
    const json::Value* v = json::find_path(top, rules.root);
    if (v == nullptr || !v->is<json::Object>()) {
      return malformed(status, "has no `" + rules.root + "` object holding the token");
    }
    token = &v->get<json::Object>();
  }
  const std::string where = rules.root.empty() ? std::string() : " in `" + rules.root + "`";

  TokenSet set;
  auto access = token->find("access_token");
  if (access == token->end() || access->second.is<picojson::null>()) {
    return malformed(status, "has no access_token" + where);
  }
  if (!access->second.is<std::string>()) return malformed(status, "has an access_token" + where + " that is not a string");
  set.access_token = access->second.get<std::string>();
  if (set.access_token.empty()) return malformed(status, "has an empty access_token" + where);
  if (!is_vschar(set.access_token)) {
    return malformed(status, "has an access_token" + where + " with characters a token cannot contain");
  }

  if (!optional_string(*token, "refresh_token", &set.refresh_token)) {
    return malformed(status, "has a refresh_token" + where + " that is not a string");
  }
  if (!is_vschar(set.refresh_token)) {
    return malformed(status, "has a refresh_token" + where + " with characters a token cannot contain");
  }

  std::string type;
  if (!optional_string(*token, "token_type", &type)) {
    return malformed(status, "has a token_type" + where + " that is not a string");
  }
  std::string lower_type = to_lower(type);
  // Slack labels its bearer tokens by owner: "bot" (top level) and "user" (authed_user).
  if (!type.empty() && lower_type != "bearer" && lower_type != "bot" && lower_type != "user") {
    return http_error(ErrorCode::malformed_response, status,
                      "the provider issued a token of type \"" + clean(type) +
                          "\", which latchkey cannot use (it supports Bearer tokens only); check the provider's "
                          "app settings for a bearer token option");
  }
  set.token_type = "Bearer";

  set.issued_at_ms = now_ms;
  auto expires = token->find("expires_in");
  if (expires != token->end() && !expires->second.is<picojson::null>()) {
    const std::int64_t max = rules.expires_in_milliseconds ? kMaxExpiresInSeconds * 1000 : kMaxExpiresInSeconds;
    std::int64_t n = 0;
    if (!whole_number(expires->second, max, &n)) {
      return malformed(status, "has an expires_in" + where + " that is not a whole number of " +
                                   (rules.expires_in_milliseconds ? "milliseconds" : "seconds") +
                                   " between 0 and ten years");
    }
    std::int64_t delta = rules.expires_in_milliseconds ? n : n * 1000;
    // 0 states no lifetime (Mailchimp's tokens, which never expire): a token issued already
    // expired would be no token at all.
    if (delta > 0) {
      set.expires_at_ms = now_ms > std::numeric_limits<std::int64_t>::max() - delta
                              ? std::numeric_limits<std::int64_t>::max()
                              : now_ms + delta;
    }
  }

  auto scope = token->find("scope");
  if (scope == token->end() || scope->second.is<picojson::null>()) {
    set.scope = requested_scope;  // RFC 6749 §5.1: omitted when identical to the requested scope
  } else if (scope->second.is<std::string>()) {
    set.scope = scope->second.get<std::string>();  // kept as sent: some providers separate with commas
  } else if (scope->second.is<json::Array>()) {
    for (const auto& item : scope->second.get<json::Array>()) {
      if (!item.is<std::string>()) return malformed(status, "has a scope array" + where + " with a non-string item");
      if (!set.scope.empty()) set.scope.push_back(' ');
      set.scope += item.get<std::string>();
    }
  } else {
    return malformed(status, "has a scope" + where + " that is neither a string nor an array of strings");
  }
  // The scope is stored and printed (status, connections list): a terminal escape or a C1
  // control in it would rewrite the user's screen long after this answer.
  if (detail::has_control(set.scope)) {
    return malformed(status, "has a scope" + where + " with control characters (C0/C1), which latchkey refuses to "
                                                     "store");
  }

  if (!optional_string(*token, "id_token", &set.id_token)) {
    return malformed(status, "has an id_token" + where + " that is not a string");
  }

  for (const auto& name : rules.keep) {
    auto it = top.find(name);
    if (it != top.end()) set.extras.emplace_back(name, json::serialize(it->second));
  }
  return set;
}

}  // namespace latchkey
