// validate_provider: the rules a definition must meet beyond its JSON types: key and names,
// URLs (https, or http to loopback only), the auth mode's endpoints, templates, scopes,
// parameters latchkey sets itself, token response rules, probes, and where tokens may go.
#include <algorithm>
#include <initializer_list>
#include <map>

#include "latchkey/provider.hpp"
#include "origin.hpp"
#include "provider_checks.hpp"
#include "provider_fields.hpp"
#include "provider_schema.hpp"
#include "provider_templates.hpp"
#include "url.hpp"

namespace latchkey {
namespace detail {
namespace {

/// "\"a\", \"b\" or \"c\"": the schema's allowed values of `path`, for messages.
std::string choices(const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += i + 1 == values.size() ? " or " : ", ";
    out += "\"" + values[i] + "\"";
  }
  return out;
}

/// True if `value` is one of the values the schema allows at `path`.
bool allowed(const char* path, const std::string& value) {
  const auto& values = schema_field(path)->values;
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool valid_host_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!is_lower_alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) return false;
    }
    return true;
  }
  while (true) {
    auto dot = host.find('.');
    if (!valid_host_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

Status check_injection_host(const std::string& pattern, const std::map<std::string, std::string>& samples) {
  std::string what = "injection.hosts entry " + quote(pattern);
  if (pattern != lower(pattern)) return invalid(what + " must be lower-case");
  auto origin = parse_origin(pattern);
  if (!origin) return invalid(origin.error().message);
  // Placeholders stand for one label's worth of characters while checking the shape.
  std::string host = substitute(origin->host, samples);
  bool wildcard = host.size() > 2 && host.substr(0, 2) == "*.";
  std::string_view base = wildcard ? std::string_view(host).substr(2) : std::string_view(host);
  if (!valid_hostname(base)) {
    return invalid(what + " must be an origin (https://api.example.com, https://api.example.com:8443, "
                   "https://*.example.com) or a bare host name (https on 443), without path or query");
  }
  if (wildcard && base.find('.') == std::string_view::npos && pattern.find('{') == std::string::npos) {
    return invalid(what + " covers a whole top-level domain; name the provider's own domain, e.g. https://*.example.com");
  }
  // The same rule as for endpoints: a token travels in clear only to this machine.
  if (origin->scheme == "http" && (wildcard || !is_loopback_host(host))) {
    return invalid(what + " is plain http: tokens go over https, or http to a loopback address only");
  }
  return Ok{};
}

bool is_tchar(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_line_break(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

Status check_headers(const Params& headers, const std::string& field) {
  for (const auto& [name, value] : headers) {
    if (!valid_header_name(name)) return invalid(field + " has an invalid header name " + quote(name));
    if (has_line_break(value)) return invalid(field + "." + name + " must not contain line breaks");
  }
  return Ok{};
}

/// Parameters latchkey sets itself; a provider definition may not override them (a custom
/// provider must not be able to pin `state` or swap `redirect_uri`).
Status check_params(const Params& params, const char* field, std::initializer_list<std::string_view> reserved,
                    std::string_view also_reserved, std::string_view client_id_param) {
  for (const auto& [name, value] : params) {
    if (name.empty()) return invalid(std::string(field) + " has an empty parameter name");
    bool taken = name == also_reserved || name == client_id_param;
    for (std::string_view r : reserved) taken = taken || name == r;
    if (taken) {
      return invalid(std::string(field) + "." + name + " is set by latchkey itself; remove it from " + field);
    }
  }
  return Ok{};
}

/// kDottedPathPattern, by hand: a path may be longer than pattern_matches takes.
bool valid_dotted_path(std::string_view path) {
  if (path.empty()) return false;
  while (true) {
    auto dot = path.find('.');
    if (path.substr(0, dot).empty()) return false;
    if (dot == std::string_view::npos) return true;
    path.remove_prefix(dot + 1);
  }
}

/// Headers a definition adds to requests: never the ones latchkey writes itself (the token's,
/// the client's authentication, the body's framing).
Status check_request_headers(const Params& headers, const std::string& field) {
  LK_TRY(check_headers(headers, field));
  for (const auto& [name, value] : headers) {
    std::string n = lower(name);
    if (n == "authorization" || n == "content-type" || n == "content-length" || n == "host" ||
        n == "transfer-encoding" || n == "cookie") {
      return invalid(field + "." + name + " is set by latchkey itself; remove it from " + field);
    }
  }
  return Ok{};
}

/// A refresh or long-lived exchange grant (GrantStyle).
Status check_grant_style(const Provider& p, const GrantStyle& g, const std::string& field) {
  if (g.method != "POST" && g.method != "GET") return invalid(field + ".method must be \"POST\" or \"GET\"");
  for (const auto& [name, value] : Params{{"grant_type", g.grant_type}, {"token_param", g.token_param}}) {
    if (value.empty()) return invalid(field + "." + name + " must not be empty");
    for (char c : value) {
      // kGrantTypePattern and kScopeParamPattern, by hand: only a grant type may be a URN.
      if (!is_alnum(c) && c != '_' && c != '-' && c != '.' && (c != ':' || name != "grant_type")) {
        return invalid(field + "." + name + " " + quote(value) + " must be a plain parameter name or grant type");
      }
    }
  }
  if (g.token_param == "grant_type" || g.token_param == p.client_id_param || g.token_param == "client_secret") {
    return invalid(field + ".token_param " + quote(g.token_param) + " is set by latchkey itself; choose the provider's name for the token");
  }
  const std::string params_field = field + ".params";
  LK_TRY(check_params(g.params, params_field.c_str(), {"grant_type", "client_id", "client_secret"}, g.token_param,
                      p.client_id_param));
  if (g.root && !g.root->empty()) {
    if (g.root->size() > kMaxTokenResponseName || !valid_dotted_path(*g.root)) {
      return invalid(field + ".root must be a dotted path like \"authed_user\" (or \"\" for the top level, null for token_response.root)");
    }
  }
  return Ok{};
}


// kKeyPattern, by hand (see provider_schema.hpp).
Status check_key(const std::string& key) {
  const char* fix = "; use lower-case letters, digits and single dashes, e.g. \"my-provider\"";
  if (key.empty()) return invalid(std::string("key must not be empty") + fix);
  if (key.size() > kMaxKey) return invalid("key is longer than " + std::to_string(kMaxKey) + " characters" + fix);
  bool after_dash = true;  // a dash may not start the key
  for (char c : key) {
    if (c == '-') {
      if (after_dash) return invalid("key " + quote(key) + " is not kebab-case" + fix);
      after_dash = true;
    } else if (is_lower_alnum(c)) {
      after_dash = false;
    } else {
      return invalid("key " + quote(key) + " is not kebab-case" + fix);
    }
  }
  if (after_dash) return invalid("key " + quote(key) + " is not kebab-case" + fix);
  return Ok{};
}

/// docs_url is a link for people, not an endpoint: it may point into a page (#section).
Status check_docs_url(const std::string& url) {
  auto fragment = url.find('#');
  if (fragment == std::string::npos) return check_endpoint(url, "docs_url");
  return check_endpoint(std::string_view(url).substr(0, fragment), "docs_url");
}

Status require(const std::string& value, const char* field, const char* mode) {
  if (value.empty()) return invalid(std::string(field) + " is required for auth_mode \"" + mode + "\"");
  return Ok{};
}

Status forbid(const std::string& value, const char* field, const char* mode) {
  if (!value.empty()) {
    return invalid(std::string(field) + " must be null for auth_mode \"" + mode + "\"; remove it or change auth_mode");
  }
  return Ok{};
}

Status check_auth_mode(const Provider& p) {
  const char* mode = to_string(p.auth_mode);
  switch (p.auth_mode) {
    case AuthMode::oauth2:
      LK_TRY(require(p.authorization_endpoint, "authorization_endpoint", mode));
      LK_TRY(require(p.token_endpoint, "token_endpoint", mode));
      LK_TRY(forbid(p.request_token_endpoint, "request_token_endpoint", mode));
      break;
    case AuthMode::client_credentials:
      LK_TRY(require(p.token_endpoint, "token_endpoint", mode));
      LK_TRY(forbid(p.authorization_endpoint, "authorization_endpoint", mode));
      LK_TRY(forbid(p.request_token_endpoint, "request_token_endpoint", mode));
      break;
    case AuthMode::oauth1:
      LK_TRY(require(p.request_token_endpoint, "request_token_endpoint", mode));
      LK_TRY(require(p.authorization_endpoint, "authorization_endpoint", mode));
      LK_TRY(require(p.token_endpoint, "token_endpoint", mode));
      break;
  }
  return Ok{};
}

/// The signed client secret's rules; signed_client_secret as the provider's method needs them.
Status check_signed_client_secret(const Provider& p) {
  if (p.token_endpoint_auth_method == ClientAuthMethod::signed_client_secret && !p.signed_client_secret) {
    return invalid("token_endpoint_auth_method \"signed_client_secret\" needs signed_client_secret: "
                   "{\"issuer\": ..., \"audience\": ..., \"algorithm\": \"ES256\", \"lifetime_seconds\": ...}");
  }
  if (!p.signed_client_secret) return Ok{};
  const SignedClientSecret& s = *p.signed_client_secret;
  constexpr std::size_t kMaxClaim = 1024;  // room for template values substituted into a claim
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"issuer", &s.issuer},
                                     std::pair<const char*, const std::string*>{"audience", &s.audience}}) {
    std::string what = std::string("signed_client_secret.") + field;
    if (value->empty()) return invalid(what + " must not be empty");
    if (value->size() > kMaxClaim) {
      return invalid(what + " is longer than " + std::to_string(kMaxClaim) + " characters");
    }
    for (unsigned char c : *value) {
      if (c < 0x20 || c == 0x7f) return invalid(what + " must not contain control characters");
    }
  }
  if (!allowed("signed_client_secret.algorithm", s.algorithm)) {
    return invalid("signed_client_secret.algorithm must be " +
                   choices(schema_field("signed_client_secret.algorithm")->values));
  }
  if (s.lifetime_seconds < kMinSignedSecretLifetimeS || s.lifetime_seconds > kMaxSignedSecretLifetimeS) {
    return invalid("signed_client_secret.lifetime_seconds must be between " +
                   std::to_string(kMinSignedSecretLifetimeS) + " and " + std::to_string(kMaxSignedSecretLifetimeS) + " (six months, Apple's limit)");
  }
  return Ok{};
}

Status check_injection(const Provider& p, const std::map<std::string, std::string>& samples) {
  const Injection& inj = p.injection;
  if (inj.hosts.empty()) {
    return invalid("injection.hosts must list the hosts a token may be sent to (set api_base_url or injection.hosts)");
  }
  for (const auto& h : inj.hosts) LK_TRY(check_injection_host(h, samples));
  if (inj.header.empty() == inj.query_param.empty()) {
    return invalid("injection must set exactly one of header (e.g. \"Authorization\") and query_param");
  }
  if (!inj.header.empty() && !valid_header_name(inj.header)) {
    return invalid("injection.header " + quote(inj.header) + " is not a valid HTTP header name");
  }
  if (has_line_break(inj.prefix)) return invalid("injection.prefix must not contain line breaks");
  if (!inj.query_param.empty() && has_line_break(inj.query_param)) {
    return invalid("injection.query_param must not contain line breaks");
  }
  // Every request latchkey itself makes with a token must go to a host the token may visit.
  struct Target {
    const char* field;
    const std::string* url;
  };
  std::vector<Target> targets = {{"api_base_url", &p.api_base_url}};
  if (p.ping) targets.push_back({"ping.url", &p.ping->url});
  if (p.identity) targets.push_back({"identity.url", &p.identity->url});
  if (p.metadata) targets.push_back({"metadata.url", &p.metadata->url});
  for (const auto& t : targets) {
    if (t.url->empty()) continue;
    auto u = parse_url(*t.url);
    if (!u) return invalid(std::string(t.field) + ": " + u.error().message);
    // Placeholders and all: "https://{shop}.myshopify.com" covers "https://{shop}.myshopify.com/admin".
    if (!origins_cover(inj.hosts, *u)) {
      return invalid(std::string(t.field) + " origin " + quote(origin_of(*u)) +
                     " is not allowed by injection.hosts (" + origins_text(inj.hosts) +
                     "); add that origin (or an https://*.domain pattern) to injection.hosts");
    }
  }
  return Ok{};
}

/// What the picker shows: the category, the logo, one line per scope. Not used to reach the
/// provider, but shown to people, so held to the schema as strictly as the rest.
Status check_presentation(const Provider& p) {
  if (!allowed("category", p.category)) {
    return invalid("category " + quote(p.category) + " must be " + choices(schema_field("category")->values) +
                   " (\"other\" when none fits)");
  }
  if (!p.logo_url.empty()) {
    // Every user's browser loads it as an image: https only (not even to loopback), and the same
    // for every connection, so no {placeholder}.
    if (p.logo_url.rfind("https://", 0) != 0) {
      return invalid("logo_url " + quote(p.logo_url) + " must be an https URL; use https:// or set it to null");
    }
    if (p.logo_url.find_first_of("{}") != std::string::npos) {
      return invalid("logo_url may not hold a {placeholder}: it is shown before any connection value is known");
    }
    LK_TRY(check_endpoint(p.logo_url, "logo_url"));
  }
  for (const auto& [scope, line] : p.scope_descriptions) {
    if (std::find(p.available_scopes.begin(), p.available_scopes.end(), scope) == p.available_scopes.end()) {
      return invalid("scope_descriptions describes the scope " + quote(scope) +
                     ", which is not in available_scopes; add it to available_scopes or remove its description");
    }
    std::string what = "scope_descriptions." + clean(scope, 80);
    if (line.empty()) return invalid(what + " is empty; say in one line what the scope grants");
    if (line.size() > kMaxScopeDescription) {
      return invalid(what + " is longer than " + std::to_string(kMaxScopeDescription) + " bytes; keep it to one line");
    }
    for (unsigned char c : line) {
      if (c < 0x20 || c == 0x7f) return invalid(what + " must be one line without control characters");
    }
  }
  return Ok{};
}

}  // namespace

// kScopePattern, by hand (a scope may be longer than pattern_matches takes):
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
Status check_scopes(const std::vector<std::string>& scopes, const char* field, const std::string& separator) {
  for (const auto& s : scopes) {
    if (s.empty()) return invalid(std::string(field) + " has an empty scope");
    for (unsigned char c : s) {
      if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
        return invalid(std::string(field) + " scope " + quote(s) +
                       " has a character a scope cannot contain (spaces, quotes, backslashes, non-ASCII)");
      }
    }
    if (separator == "," && s.find(',') != std::string::npos) {
      return invalid(std::string(field) + " scope " + quote(s) + " contains the scope_separator ','");
    }
  }
  return Ok{};
}

// kHeaderNamePattern, by hand (a header name may be longer than pattern_matches takes).
bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

}  // namespace detail

using detail::invalid;
using detail::is_alnum;
using detail::quote;

Status validate_provider(const Provider& p) {
  LK_TRY(detail::check_key(p.key));
  if (p.display_name.empty()) return invalid("display_name must not be empty");
  if (p.display_name.size() > detail::kMaxDisplayName) {
    return invalid("display_name is longer than " + std::to_string(detail::kMaxDisplayName) + " characters");
  }
  for (unsigned char c : p.display_name) {
    if (c < 0x20 || c == 0x7f) return invalid("display_name must not contain control characters");
  }
  LK_TRY(detail::check_auth_mode(p));
  for (const auto& [field, value] : detail::url_fields(p)) {
    if (value->empty()) continue;
    if (field == "docs_url") {
      LK_TRY(detail::check_docs_url(*value));
    } else {
      LK_TRY(detail::check_endpoint(*value, field.c_str()));
    }
  }
  if (p.authorization_response_iss_parameter_supported && p.issuer.empty()) {
    return invalid("authorization_response_iss_parameter_supported needs issuer: set issuer to the server's issuer URL");
  }
  std::map<std::string, std::string> samples;
  LK_TRY(detail::check_templates(p, &samples));

  if (!detail::allowed("scope_separator", p.scope_separator)) {
    return invalid("scope_separator must be " + detail::choices(detail::schema_field("scope_separator")->values));
  }
  if (p.scope_param.empty()) return invalid("scope_param must not be empty (it is usually \"scope\")");
  for (char c : p.scope_param) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid("scope_param " + quote(p.scope_param) + " must be a plain parameter name like \"scope\"");
    }
  }
  if (p.client_id_param.empty()) return invalid("client_id_param must not be empty (it is usually \"client_id\")");
  for (char c : p.client_id_param) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid("client_id_param " + quote(p.client_id_param) + " must be a plain parameter name like \"client_id\"");
    }
  }
  if (p.client_id_param == p.scope_param) return invalid("client_id_param and scope_param must differ");
  LK_TRY(detail::check_scopes(p.default_scopes, "default_scopes", p.scope_separator));
  LK_TRY(detail::check_scopes(p.available_scopes, "available_scopes", p.scope_separator));

  LK_TRY(detail::check_params(p.authorization_params, "authorization_params",
                              {"client_id", "redirect_uri", "response_type", "state", "code_challenge",
                               "code_challenge_method"},
                              p.scope_param, p.client_id_param));
  for (const char* field : {"token_params", "exchange_params"}) {
    LK_TRY(detail::check_params(field[0] == 't' ? p.token_params : p.exchange_params, field,
                                {"grant_type", "code", "code_verifier", "redirect_uri", "refresh_token", "client_id",
                                 "client_secret"},
                                std::string_view(), p.client_id_param));
  }
  LK_TRY(detail::check_request_headers(p.token_request_headers, "token_request_headers"));
  LK_TRY(detail::check_request_headers(p.api_headers, "api_headers"));
  if (p.refresh) LK_TRY(detail::check_grant_style(p, *p.refresh, "refresh"));
  if (p.client_credentials_grant_type.empty()) {
    return invalid("client_credentials_grant_type must not be empty (it is usually \"client_credentials\")");
  }
  for (char c : p.client_credentials_grant_type) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.' && c != ':') {
      return invalid("client_credentials_grant_type " + quote(p.client_credentials_grant_type) + " must be a grant type name");
    }
  }
  if (p.long_lived_exchange) {
    if (p.auth_mode != AuthMode::oauth2) return invalid("long_lived_exchange follows a code exchange: it is for auth_mode \"oauth2\"");
    if (p.long_lived_exchange->url.empty()) return invalid("long_lived_exchange.url is required (or set long_lived_exchange to null)");
    if (!p.long_lived_exchange->send_access_token) {
      return invalid("long_lived_exchange.token must be \"access_token\": the exchange trades the new access token");
    }
    LK_TRY(detail::check_grant_style(p, *p.long_lived_exchange, "long_lived_exchange"));
  }
  LK_TRY(detail::check_signed_client_secret(p));

  if (p.token_response.root.size() > kMaxTokenResponseName) {
    return invalid("token_response.root is longer than " + std::to_string(kMaxTokenResponseName) + " characters");
  }
  if (!p.token_response.root.empty() && !detail::valid_dotted_path(p.token_response.root)) {
    return invalid("token_response.root must be a dotted path like \"authed_user\" (or empty for the top level)");
  }
  // Kept members are stored and shown in clear: never a credential, never the token's own object.
  std::string root_head = p.token_response.root.substr(0, p.token_response.root.find('.'));
  for (const auto& k : p.token_response.keep) {
    if (k.empty()) return invalid("token_response.keep has an empty member name");
    if (k.size() > kMaxTokenResponseName) {
      return invalid("token_response.keep has a member name longer than " + std::to_string(kMaxTokenResponseName) +
                     " characters");
    }
    for (const char* secret : {"access_token", "refresh_token", "id_token", "code", "client_secret"}) {
      if (k == secret) {
        return invalid("token_response.keep may not name '" + k +
                       "': kept members are stored unsealed; tokens are kept sealed already");
      }
    }
    if (!root_head.empty() && k == root_head) {
      return invalid("token_response.keep may not name '" + k + "', the object that holds the tokens");
    }
  }
  const detail::SchemaField& buffer = *detail::schema_field("expiry_buffer_seconds");
  if (p.expiry_buffer_seconds < buffer.minimum || p.expiry_buffer_seconds > buffer.maximum) {
    return invalid("expiry_buffer_seconds must be between " + std::to_string(buffer.minimum) + " and " +
                   std::to_string(buffer.maximum));
  }

  if (p.ping) {
    if (!detail::allowed("ping.method", p.ping->method)) {
      return invalid("ping.method must be " + detail::choices(detail::schema_field("ping.method")->values));
    }
    if (p.ping->url.empty()) return invalid("ping.url is required (or set ping to null)");
    if (!p.ping->ok_path.empty() && !detail::valid_dotted_path(p.ping->ok_path)) {
      return invalid("ping.ok_path must be a dotted path into the answer, like \"ok\" (or null)");
    }
    LK_TRY(detail::check_headers(p.ping->headers, "ping.headers"));
  }
  if (p.identity) {
    if (p.identity->url.empty()) return invalid("identity.url is required (or set identity to null)");
    if (!detail::valid_dotted_path(p.identity->account_path)) {
      return invalid("identity.account_path must be a dotted path into the response, like \"email\" or \"data.id\"");
    }
    LK_TRY(detail::check_headers(p.identity->headers, "identity.headers"));
  }
  if (p.metadata) {
    if (!detail::allowed("metadata.method", p.metadata->method)) {
      return invalid("metadata.method must be " + detail::choices(detail::schema_field("metadata.method")->values));
    }
    if (p.metadata->url.empty()) return invalid("metadata.url is required (or set metadata to null)");
    LK_TRY(detail::check_headers(p.metadata->headers, "metadata.headers"));
  }
  LK_TRY(detail::check_injection(p, samples));

  if (p.managed_service_config_key.size() > detail::kMaxManagedConfigKey) {
    return invalid("managed_service_config_key is too long");
  }
  // kManagedConfigKeyPattern, by hand (see provider_schema.hpp).
  for (char c : p.managed_service_config_key) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid("managed_service_config_key may contain only letters, digits, '_', '-' and '.'");
    }
  }
  LK_TRY(detail::check_presentation(p));
  return Ok{};
}

}  // namespace latchkey
