// Provider definitions: the catalog schema's JSON form, its validation rules, template
// resolution ({tenant}, {shop}) and providers built from discovery documents.
#include "latchkey/provider.hpp"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "json.hpp"
#include "origin.hpp"
#include "pattern.hpp"
#include "provider_fields.hpp"
#include "text.hpp"
#include "url.hpp"

#define LK_TRY(expr)                                    \
  do {                                                  \
    auto lk_try_status_ = (expr);                       \
    if (!lk_try_status_) return std::move(lk_try_status_).error(); \
  } while (0)

namespace latchkey {
namespace {

using detail::json::Array;
using detail::json::Object;
using detail::json::Value;
using detail::url_fields;

constexpr std::size_t kMaxProviderJson = 256 * 1024;
constexpr std::size_t kMaxKey = 64;
constexpr std::size_t kMaxDisplayName = 128;
constexpr std::size_t kMaxTemplateValue = 256;
constexpr std::int64_t kMaxExpiryBuffer = 86400;

// Every validation message quotes the definition's own text (names, members, values), which may
// hold anything: it is cleaned once here, whatever part of it was quoted.
Error invalid(std::string message) { return make_error(ErrorCode::invalid_request, detail::clean(message, 1000)); }
Error malformed(std::string message) { return make_error(ErrorCode::malformed_response, std::move(message)); }

/// Quotes untrusted text in a message, cut short so a hostile document cannot flood logs, and
/// cleaned (provider_text.hpp): a cut never splits a UTF-8 character, no control character passes.
std::string quote(std::string_view s) { return "'" + detail::clean(s, 80) + "'"; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// ---------------------------------------------------------------------------------------------
// Enum names (shared by parsing and to_string)

template <class T>
struct EnumName {
  const char* name;
  T value;
};

constexpr EnumName<AuthMode> kAuthModes[] = {
    {"oauth2", AuthMode::oauth2}, {"client_credentials", AuthMode::client_credentials}, {"oauth1", AuthMode::oauth1}};
constexpr EnumName<PkceSupport> kPkce[] = {
    {"required", PkceSupport::required}, {"supported", PkceSupport::supported}, {"unsupported", PkceSupport::unsupported}};
constexpr EnumName<ClientAuthMethod> kClientAuth[] = {{"client_secret_basic", ClientAuthMethod::client_secret_basic},
                                                      {"client_secret_post", ClientAuthMethod::client_secret_post},
                                                      {"none", ClientAuthMethod::none},
                                                      {"private_key_jwt", ClientAuthMethod::private_key_jwt}};
constexpr EnumName<BodyFormat> kBodyFormats[] = {{"form", BodyFormat::form}, {"json", BodyFormat::json}};
constexpr EnumName<SignatureMethod> kSignatureMethods[] = {{"HMAC-SHA1", SignatureMethod::hmac_sha1},
                                                           {"HMAC-SHA256", SignatureMethod::hmac_sha256},
                                                           {"RSA-SHA1", SignatureMethod::rsa_sha1},
                                                           {"PLAINTEXT", SignatureMethod::plaintext}};
constexpr EnumName<bool> kExpiresUnits[] = {{"seconds", false}, {"milliseconds", true}};

template <class T, std::size_t N>
const char* enum_name(const EnumName<T> (&table)[N], T value) {
  for (const auto& e : table) {
    if (e.value == value) return e.name;
  }
  return "unknown";
}

template <class T, std::size_t N>
std::string enum_choices(const EnumName<T> (&table)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += i + 1 == N ? " or " : ", ";
    out += std::string("\"") + table[i].name + "\"";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading one JSON object of the schema: unknown members and wrong types are errors; absent
// members keep the default already in the output.

class Reader {
 public:
  Reader(const Object& o, std::string prefix) : o_(o), prefix_(std::move(prefix)) {}

  std::string field(const char* member) const { return prefix_ + member; }

  Status only(std::initializer_list<const char*> members) const {
    for (const auto& kv : o_) {
      bool known = false;
      for (const char* m : members) {
        if (kv.first == m) {
          known = true;
          break;
        }
      }
      if (!known) {
        std::string where = prefix_.empty() ? "the provider definition" : prefix_.substr(0, prefix_.size() - 1);
        return invalid(where + " has an unknown member " + quote(kv.first) +
                       "; remove it or check its spelling against the provider schema");
      }
    }
    return Ok{};
  }

  const Value* get(const char* member) const {
    auto it = o_.find(member);
    return it == o_.end() ? nullptr : &it->second;
  }

  /// A string; null gives "" when `nullable`.
  Status str(const char* member, std::string* out, bool nullable) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (v->is<std::string>()) {
      *out = v->get<std::string>();
      return Ok{};
    }
    if (nullable && v->is<picojson::null>()) {
      out->clear();
      return Ok{};
    }
    return invalid(field(member) + (nullable ? " must be a string or null" : " must be a string"));
  }

  Status required_str(const char* member, std::string* out) const {
    if (!get(member) || get(member)->is<picojson::null>()) {
      return invalid(field(member) + " is required");
    }
    return str(member, out, false);
  }

  Status boolean(const char* member, bool* out) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<bool>()) return invalid(field(member) + " must be true or false");
    *out = v->get<bool>();
    return Ok{};
  }

  Status integer(const char* member, std::int64_t* out) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<std::int64_t>()) return invalid(field(member) + " must be a whole number");
    *out = v->get<std::int64_t>();
    return Ok{};
  }

  Status strings(const char* member, std::vector<std::string>* out) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<Array>()) return invalid(field(member) + " must be an array of strings");
    out->clear();
    for (const Value& item : v->get<Array>()) {
      if (!item.is<std::string>()) return invalid(field(member) + " must be an array of strings");
      out->push_back(item.get<std::string>());
    }
    return Ok{};
  }

  /// {"name": "value", ...}; picojson keeps objects sorted, so the order is by name.
  Status params(const char* member, Params* out) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<Object>()) return invalid(field(member) + " must be an object of string values, e.g. {\"prompt\": \"consent\"}");
    out->clear();
    for (const auto& kv : v->get<Object>()) {
      if (!kv.second.is<std::string>()) {
        return invalid(field(member) + "." + kv.first + " must be a string (write numbers and booleans in quotes)");
      }
      out->emplace_back(kv.first, kv.second.get<std::string>());
    }
    return Ok{};
  }

  /// An object member; *out stays nullptr when absent (or null, if `nullable`).
  Status object(const char* member, const Object** out, bool nullable) const {
    *out = nullptr;
    const Value* v = get(member);
    if (!v) return Ok{};
    if (v->is<Object>()) {
      *out = &v->get<Object>();
      return Ok{};
    }
    if (nullable && v->is<picojson::null>()) return Ok{};
    return invalid(field(member) + (nullable ? " must be an object or null" : " must be an object"));
  }

  template <class T, std::size_t N>
  Status enumeration(const char* member, const EnumName<T> (&table)[N], T* out) const {
    const Value* v = get(member);
    if (!v) return Ok{};
    if (v->is<std::string>()) {
      for (const auto& e : table) {
        if (v->get<std::string>() == e.name) {
          *out = e.value;
          return Ok{};
        }
      }
    }
    return invalid(field(member) + " must be one of " + enum_choices(table));
  }

 private:
  const Object& o_;
  std::string prefix_;
};

Status read_probe(const Reader& parent, const char* member, std::optional<ProbeRequest>* out) {
  const Object* o = nullptr;
  LK_TRY(parent.object(member, &o, true));
  if (!o) {
    out->reset();
    return Ok{};
  }
  Reader r(*o, parent.field(member) + ".");
  LK_TRY(r.only({"method", "url", "headers"}));
  ProbeRequest probe;
  LK_TRY(r.str("method", &probe.method, false));
  LK_TRY(r.required_str("url", &probe.url));
  LK_TRY(r.params("headers", &probe.headers));
  *out = std::move(probe);
  return Ok{};
}

Status read_identity(const Reader& parent, const char* member, std::optional<Identity>* out) {
  const Object* o = nullptr;
  LK_TRY(parent.object(member, &o, true));
  if (!o) {
    out->reset();
    return Ok{};
  }
  Reader r(*o, parent.field(member) + ".");
  LK_TRY(r.only({"url", "account_path", "headers"}));
  Identity id;
  LK_TRY(r.required_str("url", &id.url));
  LK_TRY(r.required_str("account_path", &id.account_path));
  LK_TRY(r.params("headers", &id.headers));
  *out = std::move(id);
  return Ok{};
}

Status read_template_params(const Reader& parent, std::vector<TemplateParam>* out) {
  const Object* o = nullptr;
  LK_TRY(parent.object("template_params", &o, false));
  out->clear();
  if (!o) return Ok{};
  for (const auto& kv : *o) {
    std::string name = "template_params." + kv.first;
    if (!kv.second.is<Object>()) {
      return invalid(name + " must be an object {\"pattern\": \"^...$\", \"default\": ..., \"description\": \"...\"}");
    }
    Reader r(kv.second.get<Object>(), name + ".");
    LK_TRY(r.only({"pattern", "default", "description"}));
    TemplateParam tp;
    tp.name = kv.first;
    LK_TRY(r.required_str("pattern", &tp.pattern));
    if (const Value* d = r.get("default")) {
      if (d->is<std::string>()) {
        tp.default_value = d->get<std::string>();
      } else if (!d->is<picojson::null>()) {
        return invalid(name + ".default must be a string or null");
      }
    }
    LK_TRY(r.str("description", &tp.description, false));
    out->push_back(std::move(tp));
  }
  return Ok{};
}

Result<Provider> provider_from_object(const Object& o) {
  Reader r(o, "");
  LK_TRY(r.only({"key",
                 "display_name",
                 "auth_mode",
                 "authorization_endpoint",
                 "token_endpoint",
                 "request_token_endpoint",
                 "signature_method",
                 "revocation_endpoint",
                 "userinfo_endpoint",
                 "device_authorization_endpoint",
                 "pushed_authorization_request_endpoint",
                 "resource",
                 "issuer",
                 "authorization_response_iss_parameter_supported",
                 "api_base_url",
                 "default_scopes",
                 "scope_separator",
                 "scope_param",
                 "pkce",
                 "token_endpoint_auth_method",
                 "authorization_params",
                 "token_params",
                 "token_response",
                 "template_params",
                 "expiry_buffer_seconds",
                 "token_exchange_body_format",
                 "refresh_endpoint",
                 "ping",
                 "identity",
                 "injection",
                 "available_scopes",
                 "requires_client_secret",
                 "managed_service_config_key",
                 "docs_url"}));
  Provider p;
  LK_TRY(r.required_str("key", &p.key));
  LK_TRY(r.required_str("display_name", &p.display_name));
  LK_TRY(r.enumeration("auth_mode", kAuthModes, &p.auth_mode));
  LK_TRY(r.str("authorization_endpoint", &p.authorization_endpoint, true));
  LK_TRY(r.str("token_endpoint", &p.token_endpoint, true));
  LK_TRY(r.str("request_token_endpoint", &p.request_token_endpoint, true));
  if (const Value* sm = r.get("signature_method"); sm && !sm->is<picojson::null>()) {
    // Only OAuth 1.0a signs requests: elsewhere the member would be silently meaningless.
    if (p.auth_mode != AuthMode::oauth1) return invalid("signature_method is only for auth_mode \"oauth1\"; remove it");
    LK_TRY(r.enumeration("signature_method", kSignatureMethods, &p.signature_method));
  }
  LK_TRY(r.str("revocation_endpoint", &p.revocation_endpoint, true));
  LK_TRY(r.str("userinfo_endpoint", &p.userinfo_endpoint, true));
  LK_TRY(r.str("device_authorization_endpoint", &p.device_authorization_endpoint, true));
  LK_TRY(r.str("pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint, true));
  LK_TRY(r.str("resource", &p.resource, true));
  LK_TRY(r.str("issuer", &p.issuer, true));
  LK_TRY(r.boolean("authorization_response_iss_parameter_supported", &p.authorization_response_iss_parameter_supported));
  LK_TRY(r.str("api_base_url", &p.api_base_url, true));
  LK_TRY(r.strings("default_scopes", &p.default_scopes));
  LK_TRY(r.str("scope_separator", &p.scope_separator, false));
  LK_TRY(r.str("scope_param", &p.scope_param, false));
  LK_TRY(r.enumeration("pkce", kPkce, &p.pkce));
  LK_TRY(r.enumeration("token_endpoint_auth_method", kClientAuth, &p.token_endpoint_auth_method));
  LK_TRY(r.params("authorization_params", &p.authorization_params));
  LK_TRY(r.params("token_params", &p.token_params));

  const Object* tr_obj = nullptr;
  LK_TRY(r.object("token_response", &tr_obj, false));
  if (tr_obj) {
    Reader tr(*tr_obj, "token_response.");
    LK_TRY(tr.only({"root", "keep", "expires_in_unit"}));
    LK_TRY(tr.str("root", &p.token_response.root, false));
    LK_TRY(tr.strings("keep", &p.token_response.keep));
    LK_TRY(tr.enumeration("expires_in_unit", kExpiresUnits, &p.token_response.expires_in_milliseconds));
  }

  LK_TRY(read_template_params(r, &p.template_params));
  LK_TRY(r.integer("expiry_buffer_seconds", &p.expiry_buffer_seconds));
  LK_TRY(r.enumeration("token_exchange_body_format", kBodyFormats, &p.token_exchange_body_format));
  LK_TRY(r.str("refresh_endpoint", &p.refresh_endpoint, true));
  LK_TRY(read_probe(r, "ping", &p.ping));
  LK_TRY(read_identity(r, "identity", &p.identity));

  const Object* inj_obj = nullptr;
  LK_TRY(r.object("injection", &inj_obj, false));
  bool hosts_given = false;
  if (inj_obj) {
    Reader inj(*inj_obj, "injection.");
    LK_TRY(inj.only({"hosts", "header", "prefix", "query_param"}));
    hosts_given = inj.get("hosts") != nullptr;
    LK_TRY(inj.strings("hosts", &p.injection.hosts));
    LK_TRY(inj.str("header", &p.injection.header, true));
    LK_TRY(inj.str("prefix", &p.injection.prefix, false));
    LK_TRY(inj.str("query_param", &p.injection.query_param, true));
  }
  // Entries are origins; a bare host name (the catalog's form, older stored providers') is
  // https on 443, and is written back as the origin it means.
  for (auto& entry : p.injection.hosts) entry = detail::canonical_origin(entry);
  if (!hosts_given && !p.api_base_url.empty()) {
    // A custom provider that names only its API base URL may send tokens to that origin alone.
    auto u = detail::parse_url(p.api_base_url);
    if (u) p.injection.hosts = {detail::origin_of(*u)};
  }

  LK_TRY(r.strings("available_scopes", &p.available_scopes));
  LK_TRY(r.boolean("requires_client_secret", &p.requires_client_secret));
  LK_TRY(r.str("managed_service_config_key", &p.managed_service_config_key, true));
  LK_TRY(r.str("docs_url", &p.docs_url, true));

  LK_TRY(validate_provider(p));
  return p;
}

// ---------------------------------------------------------------------------------------------
// Writing

Value opt_str(const std::string& s) { return s.empty() ? Value() : detail::json::str(s); }

Value str_array(const std::vector<std::string>& items) {
  Array a;
  for (const auto& s : items) a.push_back(detail::json::str(s));
  return Value(a);
}

Value params_object(const Params& params) {
  Object o;
  for (const auto& [k, v] : params) o[k] = detail::json::str(v);
  return Value(o);
}

// ---------------------------------------------------------------------------------------------
// Validation

bool valid_template_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '_') return false;
  }
  return true;
}

/// Adds the {name} placeholders in `s` to `names`; a stray brace or a bad name is an error.
Status scan_placeholders(std::string_view s, const std::string& field, std::set<std::string>* names) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '}') return invalid(field + " has a '}' without a matching '{'");
    if (s[i] != '{') continue;
    auto close = s.find('}', i);
    if (close == std::string_view::npos) return invalid(field + " has a '{' without a matching '}'");
    std::string_view name = s.substr(i + 1, close - i - 1);
    if (!valid_template_name(name)) {
      return invalid(field + " has the placeholder " + quote(s.substr(i, close - i + 1)) +
                     "; template names are lower-case letters, digits and _ (starting with a letter)");
    }
    names->insert(std::string(name));
    i = close;
  }
  return Ok{};
}

std::string substitute(std::string_view s, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      auto close = s.find('}', i);
      if (close != std::string_view::npos) {
        auto it = values.find(std::string(s.substr(i + 1, close - i - 1)));
        if (it != values.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

/// A template value used in a URL or host goes in unescaped, so whatever its pattern says, it
/// may not carry URL structure: "evil.com/x" or "a@evil.com" would redirect the token. Values
/// used only in authorization_params/token_params are form-encoded later and need only their
/// pattern (an Auth0 audience is itself a URL).
Status check_template_value(const TemplateParam& tp, const std::string& value, const std::string& what,
                            bool in_url) {
  if (value.empty()) return invalid(what + " must not be empty");
  if (value.size() > kMaxTemplateValue) {
    return invalid(what + " is longer than " + std::to_string(kMaxTemplateValue) + " characters");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f || c == '{' || c == '}') {
      return invalid(what + " " + quote(value) + " contains a control character or a brace");
    }
    if (in_url && (c == ' ' || c == '/' || c == '?' || c == '#' || c == '@' || c == '\\')) {
      return invalid(what + " " + quote(value) +
                     " contains a character not allowed in a URL template value (/ ? # @ \\ or whitespace)");
    }
  }
  if (!detail::pattern_matches(tp.pattern, value)) {
    return invalid(what + " " + quote(value) + " does not match the pattern " + detail::clean(tp.pattern) +
                   (tp.description.empty() ? std::string() : " (" + detail::clean(tp.description) + ")"));
  }
  return Ok{};
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
  auto origin = detail::parse_origin(pattern);
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
  if (origin->scheme == "http" && (wildcard || !detail::is_loopback_host(host))) {
    return invalid(what + " is plain http: tokens go over https, or http to a loopback address only");
  }
  return Ok{};
}

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

bool is_tchar(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_tchar(c)) return false;
  }
  return true;
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
                    std::string_view also_reserved) {
  for (const auto& [name, value] : params) {
    if (name.empty()) return invalid(std::string(field) + " has an empty parameter name");
    bool taken = name == also_reserved;
    for (std::string_view r : reserved) taken = taken || name == r;
    if (taken) {
      return invalid(std::string(field) + "." + name + " is set by latchkey itself; remove it from " + field);
    }
  }
  return Ok{};
}

bool valid_dotted_path(std::string_view path) {
  if (path.empty()) return false;
  while (true) {
    auto dot = path.find('.');
    if (path.substr(0, dot).empty()) return false;
    if (dot == std::string_view::npos) return true;
    path.remove_prefix(dot + 1);
  }
}

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
  if (fragment == std::string::npos) return detail::check_endpoint(url, "docs_url");
  return detail::check_endpoint(std::string_view(url).substr(0, fragment), "docs_url");
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

/// The placeholders in URLs and injection hosts (where values need URL-safe characters).
Status url_placeholders(const Provider& p, std::set<std::string>* used) {
  for (const auto& [field, value] : url_fields(p)) LK_TRY(scan_placeholders(*value, field, used));
  for (const auto& host : p.injection.hosts) LK_TRY(scan_placeholders(host, "injection.hosts", used));
  return Ok{};
}

Status param_placeholders(const Provider& p, std::set<std::string>* used) {
  for (const auto& [name, value] : p.authorization_params) {
    LK_TRY(scan_placeholders(value, "authorization_params." + name, used));
  }
  for (const auto& [name, value] : p.token_params) LK_TRY(scan_placeholders(value, "token_params." + name, used));
  return Ok{};
}

Status check_templates(const Provider& p, std::map<std::string, std::string>* samples) {
  std::set<std::string> in_url;
  LK_TRY(url_placeholders(p, &in_url));
  std::set<std::string> used = in_url;
  LK_TRY(param_placeholders(p, &used));
  std::set<std::string> declared;
  for (const auto& tp : p.template_params) {
    std::string what = "template_params." + tp.name;
    if (!valid_template_name(tp.name)) {
      return invalid("template_params." + detail::clean(tp.name, 40) +
                     " has a bad name; use lower-case letters, digits and _ (starting with a letter)");
    }
    if (!declared.insert(tp.name).second) return invalid(what + " is declared twice");
    Status st = detail::check_pattern(tp.pattern);
    if (!st) return invalid(what + ".pattern: " + st.error().message);
    if (tp.default_value) {
      LK_TRY(check_template_value(tp, *tp.default_value, what + ".default", in_url.count(tp.name) != 0));
    }
    (*samples)[tp.name] = "x";
  }
  for (const auto& name : used) {
    if (!declared.count(name)) {
      return invalid("the placeholder {" + name + "} is used but not declared; add template_params." + name +
                     " with a pattern and description");
    }
  }
  for (const auto& name : declared) {
    if (!used.count(name)) {
      return invalid("template_params." + name + " is declared but no URL, injection host or parameter uses {" + name +
                     "}; remove it or use it");
    }
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
  for (const auto& t : targets) {
    if (t.url->empty()) continue;
    auto u = detail::parse_url(*t.url);
    if (!u) return invalid(std::string(t.field) + ": " + u.error().message);
    // Placeholders and all: "https://{shop}.myshopify.com" covers "https://{shop}.myshopify.com/admin".
    if (!detail::origins_cover(inj.hosts, *u)) {
      return invalid(std::string(t.field) + " origin " + quote(detail::origin_of(*u)) +
                     " is not allowed by injection.hosts (" + detail::origins_text(inj.hosts) +
                     "); add that origin (or an https://*.domain pattern) to injection.hosts");
    }
  }
  return Ok{};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const char* to_string(AuthMode m) { return enum_name(kAuthModes, m); }
const char* to_string(PkceSupport p) { return enum_name(kPkce, p); }
const char* to_string(ClientAuthMethod m) { return enum_name(kClientAuth, m); }

Result<ClientAuthMethod> client_auth_method_from(const std::string& name) {
  for (const auto& e : kClientAuth) {
    if (name == e.name) return e.value;
  }
  return make_error(ErrorCode::invalid_request, "token_endpoint_auth_method must be " + enum_choices(kClientAuth));
}
const char* to_string(BodyFormat f) { return enum_name(kBodyFormats, f); }
const char* to_string(SignatureMethod m) { return enum_name(kSignatureMethods, m); }

Status validate_provider(const Provider& p) {
  LK_TRY(check_key(p.key));
  if (p.display_name.empty()) return invalid("display_name must not be empty");
  if (p.display_name.size() > kMaxDisplayName) {
    return invalid("display_name is longer than " + std::to_string(kMaxDisplayName) + " characters");
  }
  for (unsigned char c : p.display_name) {
    if (c < 0x20 || c == 0x7f) return invalid("display_name must not contain control characters");
  }
  LK_TRY(check_auth_mode(p));
  for (const auto& [field, value] : url_fields(p)) {
    if (value->empty()) continue;
    if (field == "docs_url") {
      LK_TRY(check_docs_url(*value));
    } else {
      LK_TRY(detail::check_endpoint(*value, field.c_str()));
    }
  }
  if (p.authorization_response_iss_parameter_supported && p.issuer.empty()) {
    return invalid("authorization_response_iss_parameter_supported needs issuer: set issuer to the server's issuer URL");
  }
  std::map<std::string, std::string> samples;
  LK_TRY(check_templates(p, &samples));

  if (p.scope_separator != " " && p.scope_separator != ",") {
    return invalid("scope_separator must be \" \" or \",\"");
  }
  if (p.scope_param.empty()) return invalid("scope_param must not be empty (it is usually \"scope\")");
  for (char c : p.scope_param) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid("scope_param " + quote(p.scope_param) + " must be a plain parameter name like \"scope\"");
    }
  }
  LK_TRY(check_scopes(p.default_scopes, "default_scopes", p.scope_separator));
  LK_TRY(check_scopes(p.available_scopes, "available_scopes", p.scope_separator));

  LK_TRY(check_params(p.authorization_params, "authorization_params",
                      {"client_id", "redirect_uri", "response_type", "state", "code_challenge",
                       "code_challenge_method"},
                      p.scope_param));
  LK_TRY(check_params(p.token_params, "token_params",
                      {"grant_type", "code", "code_verifier", "redirect_uri", "refresh_token", "client_id",
                       "client_secret"},
                      std::string_view()));

  if (p.token_response.root.size() > kMaxTokenResponseName) {
    return invalid("token_response.root is longer than " + std::to_string(kMaxTokenResponseName) + " characters");
  }
  if (!p.token_response.root.empty() && !valid_dotted_path(p.token_response.root)) {
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
  if (p.expiry_buffer_seconds < 0 || p.expiry_buffer_seconds > kMaxExpiryBuffer) {
    return invalid("expiry_buffer_seconds must be between 0 and " + std::to_string(kMaxExpiryBuffer));
  }

  if (p.ping) {
    const std::string& m = p.ping->method;
    if (m != "GET" && m != "HEAD" && m != "POST") return invalid("ping.method must be \"GET\", \"HEAD\" or \"POST\"");
    if (p.ping->url.empty()) return invalid("ping.url is required (or set ping to null)");
    LK_TRY(check_headers(p.ping->headers, "ping.headers"));
  }
  if (p.identity) {
    if (p.identity->url.empty()) return invalid("identity.url is required (or set identity to null)");
    if (!valid_dotted_path(p.identity->account_path)) {
      return invalid("identity.account_path must be a dotted path into the response, like \"email\" or \"data.id\"");
    }
    LK_TRY(check_headers(p.identity->headers, "identity.headers"));
  }
  LK_TRY(check_injection(p, samples));

  if (p.managed_service_config_key.size() > 64) return invalid("managed_service_config_key is too long");
  for (char c : p.managed_service_config_key) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return invalid("managed_service_config_key may contain only letters, digits, '_', '-' and '.'");
    }
  }
  return Ok{};
}

Result<Provider> provider_from_json(const std::string& json) {
  if (json.size() > kMaxProviderJson) {
    return invalid("the provider definition is larger than " + std::to_string(kMaxProviderJson / 1024) + " KiB");
  }
  auto parsed = detail::json::parse(json, "the provider definition");
  if (!parsed) return invalid(parsed.error().message);
  if (!parsed->is<Object>()) return invalid("the provider definition must be a JSON object");
  return provider_from_object(parsed->get<Object>());
}

std::string provider_to_json(const Provider& p) {
  using detail::json::boolean;
  using detail::json::num;
  using detail::json::str;
  Object o;
  o["key"] = str(p.key);
  o["display_name"] = str(p.display_name);
  o["auth_mode"] = str(to_string(p.auth_mode));
  o["authorization_endpoint"] = opt_str(p.authorization_endpoint);
  o["token_endpoint"] = opt_str(p.token_endpoint);
  if (p.auth_mode == AuthMode::oauth1 || !p.request_token_endpoint.empty()) {
    o["request_token_endpoint"] = opt_str(p.request_token_endpoint);
  }
  if (p.auth_mode == AuthMode::oauth1) o["signature_method"] = str(to_string(p.signature_method));
  o["revocation_endpoint"] = opt_str(p.revocation_endpoint);
  o["userinfo_endpoint"] = opt_str(p.userinfo_endpoint);
  // Only when offered: definitions without it (most of the catalog) keep their exact JSON form.
  if (!p.device_authorization_endpoint.empty()) {
    o["device_authorization_endpoint"] = opt_str(p.device_authorization_endpoint);
  }
  if (!p.pushed_authorization_request_endpoint.empty()) {
    o["pushed_authorization_request_endpoint"] = opt_str(p.pushed_authorization_request_endpoint);
  }
  if (!p.resource.empty()) o["resource"] = opt_str(p.resource);
  o["issuer"] = opt_str(p.issuer);
  o["authorization_response_iss_parameter_supported"] = boolean(p.authorization_response_iss_parameter_supported);
  o["api_base_url"] = opt_str(p.api_base_url);
  o["default_scopes"] = str_array(p.default_scopes);
  o["scope_separator"] = str(p.scope_separator);
  o["scope_param"] = str(p.scope_param);
  o["pkce"] = str(to_string(p.pkce));
  o["token_endpoint_auth_method"] = str(to_string(p.token_endpoint_auth_method));
  o["authorization_params"] = params_object(p.authorization_params);
  o["token_params"] = params_object(p.token_params);

  Object tr;
  tr["root"] = str(p.token_response.root);
  tr["keep"] = str_array(p.token_response.keep);
  tr["expires_in_unit"] = str(enum_name(kExpiresUnits, p.token_response.expires_in_milliseconds));
  o["token_response"] = Value(tr);

  Object templates;
  for (const auto& tp : p.template_params) {
    Object t;
    t["pattern"] = str(tp.pattern);
    if (tp.default_value) t["default"] = str(*tp.default_value);
    t["description"] = str(tp.description);
    templates[tp.name] = Value(t);
  }
  o["template_params"] = Value(templates);
  o["expiry_buffer_seconds"] = num(p.expiry_buffer_seconds);
  o["token_exchange_body_format"] = str(to_string(p.token_exchange_body_format));
  o["refresh_endpoint"] = opt_str(p.refresh_endpoint);

  if (p.ping) {
    Object ping;
    ping["method"] = str(p.ping->method);
    ping["url"] = str(p.ping->url);
    ping["headers"] = params_object(p.ping->headers);
    o["ping"] = Value(ping);
  } else {
    o["ping"] = Value();
  }
  if (p.identity) {
    Object id;
    id["url"] = str(p.identity->url);
    id["account_path"] = str(p.identity->account_path);
    id["headers"] = params_object(p.identity->headers);
    o["identity"] = Value(id);
  } else {
    o["identity"] = Value();
  }

  Object inj;
  inj["hosts"] = str_array(p.injection.hosts);
  inj["header"] = opt_str(p.injection.header);
  inj["prefix"] = str(p.injection.prefix);
  inj["query_param"] = opt_str(p.injection.query_param);
  o["injection"] = Value(inj);

  o["available_scopes"] = str_array(p.available_scopes);
  o["requires_client_secret"] = boolean(p.requires_client_secret);
  o["managed_service_config_key"] = opt_str(p.managed_service_config_key);
  o["docs_url"] = opt_str(p.docs_url);
  return detail::json::serialize(Value(o));
}

Status check_template_values(const Provider& provider, const std::map<std::string, std::string>& values) {
  std::set<std::string> in_url;
  LK_TRY(url_placeholders(provider, &in_url));
  for (const auto& kv : values) {
    const TemplateParam* param = nullptr;
    for (const auto& tp : provider.template_params) {
      if (tp.name == kv.first) param = &tp;
    }
    if (!param) {
      return invalid("template parameter " + quote(kv.first) + " is not used by provider " + quote(provider.key));
    }
    LK_TRY(check_template_value(*param, kv.second, "template parameter " + param->name, in_url.count(param->name) != 0));
  }
  return Ok{};
}

Result<Provider> resolve_provider(const Provider& provider, const std::map<std::string, std::string>& values) {
  for (const auto& kv : values) {
    bool declared = false;
    for (const auto& tp : provider.template_params) declared = declared || tp.name == kv.first;
    if (!declared) {
      std::string names;
      for (const auto& tp : provider.template_params) names += (names.empty() ? "" : ", ") + tp.name;
      return invalid("template parameter " + quote(kv.first) + " is not used by provider " + quote(provider.key) +
                     (names.empty() ? std::string(" (it has none)") : " (it takes: " + names + ")"));
    }
  }
  std::set<std::string> in_url;
  LK_TRY(url_placeholders(provider, &in_url));
  std::map<std::string, std::string> chosen;
  for (const auto& tp : provider.template_params) {
    auto it = values.find(tp.name);
    std::string what = "template parameter " + tp.name;
    bool url = in_url.count(tp.name) != 0;
    if (it != values.end()) {
      LK_TRY(check_template_value(tp, it->second, what, url));
      chosen[tp.name] = it->second;
    } else if (tp.default_value) {
      LK_TRY(check_template_value(tp, *tp.default_value, what + " (default)", url));
      chosen[tp.name] = *tp.default_value;
    } else {
      return invalid(what + " is required for provider " + quote(provider.key) +
                     (tp.description.empty() ? std::string() : ": " + detail::clean(tp.description)));
    }
  }
  Provider out = provider;
  for (auto& [field, value] : url_fields(out)) *value = substitute(*value, chosen);
  // Host names compare case-insensitively; injection origins are kept lower-case, and a value
  // that carries a port ("gitlab.example.com:8443") makes the entry that origin.
  for (auto& host : out.injection.hosts) host = detail::canonical_origin(lower(substitute(host, chosen)));
  for (auto& param : out.authorization_params) param.second = substitute(param.second, chosen);
  for (auto& param : out.token_params) param.second = substitute(param.second, chosen);
  out.template_params.clear();
  LK_TRY(validate_provider(out));
  return out;
}

Result<Provider> provider_from_discovery(const std::string& key, const std::string& issuer_url,
                                         const std::string& document) {
  if (document.size() > kMaxProviderJson) return malformed("the discovery document is too large");
  auto parsed = detail::json::parse(document, "the discovery document");
  if (!parsed) return parsed.error();
  if (!parsed->is<Object>()) return malformed("the discovery document is not a JSON object");
  const Object& d = parsed->get<Object>();

  auto doc_string = [&d](const char* member, std::string* out) -> Status {
    auto it = d.find(member);
    if (it == d.end() || it->second.is<picojson::null>()) return Ok{};
    if (!it->second.is<std::string>()) {
      return malformed(std::string("the discovery document's ") + member + " is not a string");
    }
    *out = it->second.get<std::string>();
    return Ok{};
  };
  // Non-string items are skipped: a server's odd extension values should not block discovery.
  auto doc_strings = [&d](const char* member, std::vector<std::string>* out, bool* present) -> Status {
    *present = false;
    auto it = d.find(member);
    if (it == d.end() || it->second.is<picojson::null>()) return Ok{};
    if (!it->second.is<Array>()) {
      return malformed(std::string("the discovery document's ") + member + " is not an array");
    }
    *present = true;
    for (const Value& v : it->second.get<Array>()) {
      if (v.is<std::string>()) out->push_back(v.get<std::string>());
    }
    return Ok{};
  };
  auto has = [](const std::vector<std::string>& list, const char* item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };

  std::string issuer;
  LK_TRY(doc_string("issuer", &issuer));
  if (issuer.empty()) return malformed("the discovery document has no issuer");
  // RFC 8414 §3.3 / OIDC Discovery §4.3: anything but an exact match may be a mix-up attack.
  if (issuer != issuer_url) {
    return invalid("issuer mismatch: the discovery document says its issuer is " + quote(issuer) +
                   " but it was fetched for " + quote(issuer_url) +
                   "; they must be identical (RFC 8414 §3.3), check the issuer URL, including any trailing slash");
  }

  Provider p;
  p.key = key;
  p.display_name = key;
  p.issuer = issuer;
  p.api_base_url = issuer;
  LK_TRY(doc_string("authorization_endpoint", &p.authorization_endpoint));
  LK_TRY(doc_string("token_endpoint", &p.token_endpoint));
  LK_TRY(doc_string("revocation_endpoint", &p.revocation_endpoint));
  LK_TRY(doc_string("userinfo_endpoint", &p.userinfo_endpoint));
  LK_TRY(doc_string("device_authorization_endpoint", &p.device_authorization_endpoint));
  // RFC 9126 §5: PAR is used when the server requires it; an offered-only endpoint is left for
  // the user to opt into (providers update), so discovered providers behave as before.
  {
    auto req = d.find("require_pushed_authorization_requests");
    if (req != d.end() && req->second.is<bool>() && req->second.get<bool>()) {
      LK_TRY(doc_string("pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint));
      if (p.pushed_authorization_request_endpoint.empty()) {
        return malformed("the discovery document requires pushed authorization requests but names no "
                         "pushed_authorization_request_endpoint");
      }
    }
  }

  bool present = false;
  std::vector<std::string> scopes;
  LK_TRY(doc_strings("scopes_supported", &scopes, &present));
  for (auto& s : scopes) {
    // Keep only scopes latchkey could request.
    if (check_scopes({s}, "scopes_supported", " ")) p.available_scopes.push_back(std::move(s));
  }
  if (has(p.available_scopes, "openid")) p.default_scopes = {"openid"};

  std::vector<std::string> pkce_methods;
  LK_TRY(doc_strings("code_challenge_methods_supported", &pkce_methods, &present));
  // Absent means "not advertised", not "unsupported": many servers accept S256 silently.
  // "plain" alone is treated as no PKCE; latchkey never sends a plain challenge.
  p.pkce = !present || has(pkce_methods, "S256") ? PkceSupport::supported : PkceSupport::unsupported;

  std::vector<std::string> auth_methods;
  LK_TRY(doc_strings("token_endpoint_auth_methods_supported", &auth_methods, &present));
  if (!present || has(auth_methods, "client_secret_basic")) {  // RFC 8414 §2: basic is the default
    p.token_endpoint_auth_method = ClientAuthMethod::client_secret_basic;
  } else if (has(auth_methods, "client_secret_post")) {
    p.token_endpoint_auth_method = ClientAuthMethod::client_secret_post;
  } else if (has(auth_methods, "none")) {
    p.token_endpoint_auth_method = ClientAuthMethod::none;
    p.requires_client_secret = false;
  } else if (has(auth_methods, "private_key_jwt")) {
    p.token_endpoint_auth_method = ClientAuthMethod::private_key_jwt;  // the app's secret is then its key
  } else {
    return make_error(ErrorCode::unsupported,
                      "the server supports none of the token endpoint authentication methods latchkey implements "
                      "(client_secret_basic, client_secret_post, none, private_key_jwt)");
  }

  auto iss = d.find("authorization_response_iss_parameter_supported");
  if (iss != d.end() && !iss->second.is<picojson::null>()) {
    if (!iss->second.is<bool>()) {
      return malformed("the discovery document's authorization_response_iss_parameter_supported is not a boolean");
    }
    p.authorization_response_iss_parameter_supported = iss->second.get<bool>();
  }

  std::vector<std::string> grants;
  LK_TRY(doc_strings("grant_types_supported", &grants, &present));
  if (present && has(grants, "client_credentials") && !has(grants, "authorization_code")) {
    p.auth_mode = AuthMode::client_credentials;
    p.authorization_endpoint.clear();
  }

  auto u = detail::parse_url(issuer);
  if (!u) return invalid("issuer: " + u.error().message);
  p.injection.hosts = {detail::origin_of(*u)};
  // OpenID userinfo names the account (its `sub` is always there) when the token may go there.
  if (!p.userinfo_endpoint.empty() && origin_allowed(p.injection, p.userinfo_endpoint)) {
    p.identity = Identity{p.userinfo_endpoint, "sub", {}};
  }
  LK_TRY(validate_provider(p));
  return p;
}

}  // namespace latchkey
