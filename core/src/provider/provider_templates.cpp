// Template variables ({tenant}, {shop}): declarations checked against their use, values checked
// against their patterns, and substitution (resolve_provider).
#include "provider_templates.hpp"

#include "learned_values.hpp"
#include "origin.hpp"
#include "pattern.hpp"
#include "provider_checks.hpp"
#include "provider_fields.hpp"
#include "provider_schema.hpp"

namespace latchkey {
namespace detail {
namespace {

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
  for (const auto& f : grant_param_fields(p)) {
    for (const auto& [name, value] : *f.params) LK_TRY(scan_placeholders(value, f.name + "." + name, used));
  }
  if (p.signed_client_secret) {
    LK_TRY(scan_placeholders(p.signed_client_secret->issuer, "signed_client_secret.issuer", used));
    LK_TRY(scan_placeholders(p.signed_client_secret->audience, "signed_client_secret.audience", used));
  }
  return Ok{};
}

/// Learned parameters are known only once a connection is made: nothing the authorization
/// request uses may depend on them, nor the code exchange on any but the callback's.
Status check_learned(const Provider& p, const TemplateParam& tp) {
  std::string what = "template_params." + tp.name;
  if (tp.from.empty()) {
    if (tp.take_host) return invalid(what + ".take applies to learned values only; set " + what + ".from or remove it");
    return Ok{};
  }
  auto steps = parse_from(tp.from, what + ".from");
  if (!steps) return steps.error();
  for (const auto& step : *steps) {
    // Learned values are stored and shown in clear: never a credential.
    std::string head = step.path.substr(0, step.path.find('.'));
    for (const char* secret : {"access_token", "refresh_token", "id_token", "code", "state", "oauth_token",
                               "oauth_verifier", "client_secret"}) {
      if (head == secret) {
        return invalid(what + ".from may not read '" + head + "': learned values are stored unsealed");
      }
    }
    if (step.source == LearnSource::metadata && !p.metadata) {
      return invalid(what + ".from reads metadata." + step.path + " but the provider has no metadata request; add metadata");
    }
  }
  if (p.auth_mode != AuthMode::oauth2 || !p.device_authorization_endpoint.empty()) {
    return invalid(what + ".from: values are learned in the authorization code callback, so the provider must be "
                   "auth_mode \"oauth2\" without device_authorization_endpoint");
  }
  const bool before_exchange = learned_from_callback_only(tp);
  std::set<std::string> names;
  struct Use {
    std::string field;
    const std::string* value;
    bool after_callback;  ///< Used only once the callback has arrived.
  };
  std::vector<Use> uses = {{"authorization_endpoint", &p.authorization_endpoint, false},
                           {"pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint, false},
                           {"resource", &p.resource, false},
                           {"issuer", &p.issuer, false},
                           {"token_endpoint", &p.token_endpoint, true}};
  if (p.metadata) uses.push_back({"metadata.url", &p.metadata->url, false});
  // The long-lived exchange runs before the values are learned, as the code exchange does.
  if (p.long_lived_exchange) uses.push_back({"long_lived_exchange.url", &p.long_lived_exchange->url, true});
  for (const auto& [name, value] : p.authorization_params) uses.push_back({"authorization_params." + name, &value, false});
  for (const auto& f : grant_param_fields(p)) {
    for (const auto& [name, value] : *f.params) uses.push_back({f.name + "." + name, &value, true});
  }
  // The client secret authenticates pushed authorization requests too, before any callback.
  if (p.signed_client_secret) {
    uses.push_back({"signed_client_secret.issuer", &p.signed_client_secret->issuer, false});
    uses.push_back({"signed_client_secret.audience", &p.signed_client_secret->audience, false});
  }
  for (const auto& use : uses) {
    names.clear();
    LK_TRY(scan_placeholders(*use.value, use.field, &names));
    if (!names.count(tp.name) || (use.after_callback && before_exchange)) continue;
    return invalid(use.field + " uses {" + tp.name + "}, which is learned (" + clean(tp.from, 200) + ") only " +
                   (use.after_callback ? "after the code is exchanged" : "once the connection is made") +
                   "; use it in api_base_url, injection.hosts, refresh_endpoint or the like instead");
  }
  return Ok{};
}

}  // namespace

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
  if (!pattern_matches(tp.pattern, value)) {
    return invalid(what + " " + quote(value) + " does not match the pattern " + clean(tp.pattern) +
                   (tp.description.empty() ? std::string() : " (" + clean(tp.description) + ")"));
  }
  return Ok{};
}


// kTemplateNamePattern, by hand (see provider_schema.hpp).
bool valid_template_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '_') return false;
  }
  return true;
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

Status check_templates(const Provider& p, std::map<std::string, std::string>* samples) {
  std::set<std::string> in_url;
  LK_TRY(url_placeholders(p, &in_url));
  std::set<std::string> used = in_url;
  LK_TRY(param_placeholders(p, &used));
  std::set<std::string> declared;
  for (const auto& tp : p.template_params) {
    std::string what = "template_params." + tp.name;
    if (!valid_template_name(tp.name)) {
      return invalid("template_params." + clean(tp.name, 40) +
                     " has a bad name; use lower-case letters, digits and _ (starting with a letter)");
    }
    if (!declared.insert(tp.name).second) return invalid(what + " is declared twice");
    Status st = check_pattern(tp.pattern);
    if (!st) return invalid(what + ".pattern: " + st.error().message);
    if (tp.default_value) {
      LK_TRY(check_template_value(tp, *tp.default_value, what + ".default", in_url.count(tp.name) != 0));
    }
    LK_TRY(check_learned(p, tp));
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

}  // namespace detail

using detail::check_template_value;
using detail::invalid;
using detail::quote;

Status check_template_values(const Provider& provider, const std::map<std::string, std::string>& values) {
  std::set<std::string> in_url;
  LK_TRY(detail::url_placeholders(provider, &in_url));
  for (const auto& kv : values) {
    const TemplateParam* param = nullptr;
    for (const auto& tp : provider.template_params) {
      if (tp.name == kv.first) param = &tp;
    }
    if (!param) {
      return invalid("template parameter " + quote(kv.first) + " is not used by provider " + quote(provider.key));
    }
    if (!param->from.empty()) {
      return invalid("template parameter " + param->name + " is learned from the provider when connecting (" +
                     detail::clean(param->from, 200) + "); do not give it");
    }
    LK_TRY(check_template_value(*param, kv.second, "template parameter " + param->name, in_url.count(param->name) != 0));
  }
  return Ok{};
}

namespace detail {
namespace {

/// `validated`: the provider is as a reader made it (provider_from_object, which validates
/// and canonicalises), not one built in code.
Result<Provider> resolve(const Provider& provider, const std::map<std::string, std::string>& values,
                         bool before_learning, bool validated) {
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
  if (validated && provider.template_params.empty()) {
    // Nothing to substitute (a value for an undeclared parameter was refused above), and the
    // definition was validated when it was read: validating it again is most of the time an
    // authorization's start takes. Hosts are still lower-cased, as a substituted one would be.
    Provider out = provider;
    for (auto& host : out.injection.hosts) host = detail::lower(host);
    return out;
  }
  std::set<std::string> in_url;
  LK_TRY(detail::url_placeholders(provider, &in_url));
  std::map<std::string, std::string> chosen;
  std::vector<TemplateParam> unlearned;
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
    } else if (!tp.from.empty() && before_learning) {
      unlearned.push_back(tp);
    } else if (!tp.from.empty()) {
      return invalid(what + " is learned when connecting (" + detail::clean(tp.from, 200) + ") and the connection "
                     "to " + quote(provider.key) + " has none: connect again");
    } else {
      return invalid(what + " is required for provider " + quote(provider.key) +
                     (tp.description.empty() ? std::string() : ": " + detail::clean(tp.description)));
    }
  }
  Provider out = provider;
  for (auto& [field, value] : detail::url_fields(out)) *value = detail::substitute(*value, chosen);
  // Host names compare case-insensitively; injection origins are kept lower-case, and a value
  // that carries a port ("gitlab.example.com:8443") makes the entry that origin.
  for (auto& host : out.injection.hosts) host = detail::canonical_origin(detail::lower(detail::substitute(host, chosen)));
  for (auto& param : out.authorization_params) param.second = detail::substitute(param.second, chosen);
  for (auto& f : detail::grant_param_fields(out)) {
    for (auto& param : *f.params) param.second = detail::substitute(param.second, chosen);
  }
  if (out.signed_client_secret) {
    out.signed_client_secret->issuer = detail::substitute(out.signed_client_secret->issuer, chosen);
    out.signed_client_secret->audience = detail::substitute(out.signed_client_secret->audience, chosen);
  }
  out.template_params = std::move(unlearned);
  LK_TRY(validate_provider(out));
  return out;
}

}  // namespace

Result<Provider> resolve_before_learning(const Provider& provider, const std::map<std::string, std::string>& values) {
  return resolve(provider, values, true, true);
}

Result<Provider> resolve_read(const Provider& provider, const std::map<std::string, std::string>& values) {
  return resolve(provider, values, false, true);
}

}  // namespace detail

Result<Provider> resolve_provider(const Provider& provider, const std::map<std::string, std::string>& values) {
  return detail::resolve(provider, values, false, false);
}

}  // namespace latchkey
