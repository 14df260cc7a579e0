// provider_from_json: one provider definition read from its JSON form. Which members an object
// may have, their JSON types, and which may be null or must be given come from the schema table
// (provider_schema.hpp); the rules across members are validate_provider's.
#include <string>
#include <vector>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "origin.hpp"
#include "provider_checks.hpp"
#include "provider_enums.hpp"
#include "provider_schema.hpp"
#include "url.hpp"

namespace latchkey {
namespace {

using detail::EnumName;
using detail::invalid;
using detail::JsonType;
using detail::quote;
using detail::SchemaField;
using detail::json::Array;
using detail::json::Object;
using detail::json::Value;

// Reading one JSON object of the schema: unknown members and wrong types are errors; absent
// members keep the default already in the output.
class Reader {
 public:
  /// `prefix` names members in messages ("template_params.tenant."); `schema_prefix` finds them
  /// in the table ("template_params.*.").
  Reader(const Object& o, std::string prefix, std::string schema_prefix)
      : o_(o),
        prefix_(std::move(prefix)),
        schema_prefix_(std::move(schema_prefix)),
        members_(detail::schema_children(schema_prefix_)) {}
  Reader(const Object& o, const std::string& prefix) : Reader(o, prefix, prefix) {}

  std::string field(const char* member) const { return prefix_ + member; }

  /// Every member must be one the schema lists under this object.
  Status only() const {
    for (const auto& kv : o_) {
      if (!member_spec(kv.first)) {
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

  /// A string; null gives "" when the schema lets the member be null.
  Status str(const char* member, std::string* out) const {
    const SchemaField* spec = nullptr;
    LK_TRY(lookup(member, JsonType::string, &spec));
    const Value* v = get(member);
    if (spec->required && (!v || v->is<picojson::null>())) return invalid(field(member) + " is required");
    if (!v) return Ok{};
    if (v->is<std::string>()) {
      *out = v->get<std::string>();
      return Ok{};
    }
    if (spec->nullable && v->is<picojson::null>()) {
      out->clear();
      return Ok{};
    }
    return invalid(field(member) + (spec->nullable ? " must be a string or null" : " must be a string"));
  }

  Status boolean(const char* member, bool* out) const {
    LK_TRY(lookup(member, JsonType::boolean));
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<bool>()) return invalid(field(member) + " must be true or false");
    *out = v->get<bool>();
    return Ok{};
  }

  Status integer(const char* member, std::int64_t* out) const {
    LK_TRY(lookup(member, JsonType::integer));
    const Value* v = get(member);
    if (!v) return Ok{};
    if (!v->is<std::int64_t>()) return invalid(field(member) + " must be a whole number");
    *out = v->get<std::int64_t>();
    return Ok{};
  }

  Status strings(const char* member, std::vector<std::string>* out) const {
    LK_TRY(lookup(member, JsonType::string_list));
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
    LK_TRY(lookup(member, JsonType::string_map));
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

  /// An object member (or a map of objects); *out stays nullptr when absent (or null, if the
  /// schema lets it be).
  Status object(const char* member, const Object** out) const {
    const SchemaField* spec = nullptr;
    LK_TRY(lookup(member, JsonType::object, &spec));
    *out = nullptr;
    const Value* v = get(member);
    if (!v) return Ok{};
    if (v->is<Object>()) {
      *out = &v->get<Object>();
      return Ok{};
    }
    if (spec->nullable && v->is<picojson::null>()) return Ok{};
    return invalid(field(member) + (spec->nullable ? " must be an object or null" : " must be an object"));
  }

  template <class T, std::size_t N>
  Status enumeration(const char* member, const EnumName<T> (&table)[N], T* out) const {
    LK_TRY(lookup(member, JsonType::string));
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
    return invalid(field(member) + " must be one of " + detail::enum_choices(table));
  }

 private:
  /// The member's entry in the schema, which must have the type this reader reads it as: a
  /// mismatch is the core's own mistake, and every definition then fails loudly.
  Status lookup(const char* member, JsonType type, const SchemaField** out = nullptr) const {
    const SchemaField* spec = member_spec(member);
    bool object_like = type == JsonType::object && spec && spec->type == JsonType::object_map;
    if (!spec || (spec->type != type && !object_like)) {
      return make_error(ErrorCode::internal, "the provider schema does not list " + schema_prefix_ + member + " as read");
    }
    if (out) *out = spec;
    return Ok{};
  }

  const SchemaField* member_spec(std::string_view name) const {
    for (const SchemaField* f : members_) {
      if (std::string_view(f->path).substr(schema_prefix_.size()) == name) return f;
    }
    return nullptr;
  }

  const Object& o_;
  std::string prefix_;
  std::string schema_prefix_;
  const std::vector<const SchemaField*>& members_;  ///< This object's, from the schema.
};

// An optional object member (ping, identity): absent or null leaves `out` empty; present, it is
// read with `fill` under its own name, and no other member is allowed in it.
template <class T, class Fill>
Status read_optional(const Reader& parent, const char* member, std::optional<T>* out, Fill fill) {
  const Object* o = nullptr;
  LK_TRY(parent.object(member, &o));
  if (!o) {
    out->reset();
    return Ok{};
  }
  Reader r(*o, parent.field(member) + ".");
  LK_TRY(r.only());
  T value;
  LK_TRY(fill(r, value));
  *out = std::move(value);
  return Ok{};
}

Status read_probe(const Reader& parent, const char* member, std::optional<ProbeRequest>* out) {
  return read_optional(parent, member, out, [](const Reader& r, ProbeRequest& probe) -> Status {
    LK_TRY(r.str("method", &probe.method));
    LK_TRY(r.str("url", &probe.url));
    if (r.get("ok_path")) LK_TRY(r.str("ok_path", &probe.ok_path));  // ping's only
    return r.params("headers", &probe.headers);
  });
}

Status read_grant_style(const Reader& parent, const char* member, std::optional<GrantStyle>* out) {
  return read_optional(parent, member, out, [](const Reader& r, GrantStyle& g) -> Status {
    LK_TRY(r.str("url", &g.url));
    LK_TRY(r.str("method", &g.method));
    LK_TRY(r.str("grant_type", &g.grant_type));
    LK_TRY(r.enumeration("token", detail::kGrantTokens, &g.send_access_token));
    LK_TRY(r.str("token_param", &g.token_param));
    LK_TRY(r.params("params", &g.params));
    LK_TRY(r.boolean("client_auth", &g.client_auth));
    if (const Value* root = r.get("root"); root && !root->is<picojson::null>()) {
      std::string value;
      LK_TRY(r.str("root", &value));
      g.root = value;
    }
    return Ok{};
  });
}

Status read_identity(const Reader& parent, const char* member, std::optional<Identity>* out) {
  return read_optional(parent, member, out, [](const Reader& r, Identity& id) -> Status {
    LK_TRY(r.str("url", &id.url));
    LK_TRY(r.str("account_path", &id.account_path));
    return r.params("headers", &id.headers);
  });
}

Status read_template_params(const Reader& parent, std::vector<TemplateParam>* out) {
  const Object* o = nullptr;
  LK_TRY(parent.object("template_params", &o));
  out->clear();
  if (!o) return Ok{};
  for (const auto& kv : *o) {
    std::string name = "template_params." + kv.first;
    if (!kv.second.is<Object>()) {
      return invalid(name + " must be an object {\"pattern\": \"^...$\", \"default\": ..., \"description\": \"...\"}");
    }
    Reader r(kv.second.get<Object>(), name + ".", "template_params.*.");
    LK_TRY(r.only());
    TemplateParam tp;
    tp.name = kv.first;
    LK_TRY(r.str("pattern", &tp.pattern));
    // Not str(): "" is a default (which validation refuses), null is none.
    if (const Value* d = r.get("default")) {
      if (d->is<std::string>()) {
        tp.default_value = d->get<std::string>();
      } else if (!d->is<picojson::null>()) {
        return invalid(name + ".default must be a string or null");
      }
    }
    LK_TRY(r.str("description", &tp.description));
    LK_TRY(r.str("from", &tp.from));
    std::string take = "value";
    LK_TRY(r.str("take", &take));
    if (take != "value" && take != "host") return invalid(name + ".take must be \"value\" or \"host\"");
    tp.take_host = take == "host";
    out->push_back(std::move(tp));
  }
  return Ok{};
}

}  // namespace

namespace detail {

Result<Provider> provider_from_object(const Object& o) {
  Reader r(o, "");
  LK_TRY(r.only());
  Provider p;
  LK_TRY(r.str("key", &p.key));
  LK_TRY(r.str("display_name", &p.display_name));
  LK_TRY(r.enumeration("auth_mode", detail::kAuthModes, &p.auth_mode));
  LK_TRY(r.str("authorization_endpoint", &p.authorization_endpoint));
  LK_TRY(r.str("token_endpoint", &p.token_endpoint));
  LK_TRY(r.str("request_token_endpoint", &p.request_token_endpoint));
  if (const Value* sm = r.get("signature_method"); sm && !sm->is<picojson::null>()) {
    // Only OAuth 1.0a signs requests: elsewhere the member would be silently meaningless.
    if (p.auth_mode != AuthMode::oauth1) return invalid("signature_method is only for auth_mode \"oauth1\"; remove it");
    LK_TRY(r.enumeration("signature_method", detail::kSignatureMethods, &p.signature_method));
  }
  LK_TRY(r.str("revocation_endpoint", &p.revocation_endpoint));
  LK_TRY(r.str("userinfo_endpoint", &p.userinfo_endpoint));
  LK_TRY(r.str("device_authorization_endpoint", &p.device_authorization_endpoint));
  LK_TRY(r.str("pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint));
  LK_TRY(r.str("resource", &p.resource));
  LK_TRY(r.str("issuer", &p.issuer));
  LK_TRY(r.boolean("authorization_response_iss_parameter_supported", &p.authorization_response_iss_parameter_supported));
  LK_TRY(r.str("api_base_url", &p.api_base_url));
  LK_TRY(r.strings("default_scopes", &p.default_scopes));
  LK_TRY(r.str("scope_separator", &p.scope_separator));
  LK_TRY(r.str("scope_param", &p.scope_param));
  LK_TRY(r.str("client_id_param", &p.client_id_param));
  LK_TRY(r.enumeration("pkce", detail::kPkce, &p.pkce));
  LK_TRY(r.enumeration("token_endpoint_auth_method", detail::kClientAuth, &p.token_endpoint_auth_method));
  LK_TRY(read_optional(r, "signed_client_secret", &p.signed_client_secret,
                       [](const Reader& sr, SignedClientSecret& secret) -> Status {
                         LK_TRY(sr.str("issuer", &secret.issuer));
                         LK_TRY(sr.str("audience", &secret.audience));
                         LK_TRY(sr.str("algorithm", &secret.algorithm));
                         return sr.integer("lifetime_seconds", &secret.lifetime_seconds);
                       }));
  LK_TRY(r.params("authorization_params", &p.authorization_params));
  LK_TRY(r.params("token_params", &p.token_params));
  LK_TRY(r.params("exchange_params", &p.exchange_params));
  LK_TRY(r.params("token_request_headers", &p.token_request_headers));
  LK_TRY(r.params("api_headers", &p.api_headers));

  const Object* tr_obj = nullptr;
  LK_TRY(r.object("token_response", &tr_obj));
  if (tr_obj) {
    Reader tr(*tr_obj, "token_response.");
    LK_TRY(tr.only());
    LK_TRY(tr.str("root", &p.token_response.root));
    LK_TRY(tr.strings("keep", &p.token_response.keep));
    LK_TRY(tr.enumeration("expires_in_unit", detail::kExpiresUnits, &p.token_response.expires_in_milliseconds));
  }

  LK_TRY(read_template_params(r, &p.template_params));
  LK_TRY(r.integer("expiry_buffer_seconds", &p.expiry_buffer_seconds));
  LK_TRY(r.enumeration("token_exchange_body_format", detail::kBodyFormats, &p.token_exchange_body_format));
  LK_TRY(r.str("refresh_endpoint", &p.refresh_endpoint));
  LK_TRY(read_grant_style(r, "refresh", &p.refresh));
  LK_TRY(read_grant_style(r, "long_lived_exchange", &p.long_lived_exchange));
  LK_TRY(r.enumeration("revocation_style", detail::kRevocationStyles, &p.revocation_style));
  LK_TRY(r.str("client_credentials_grant_type", &p.client_credentials_grant_type));
  LK_TRY(read_probe(r, "ping", &p.ping));
  LK_TRY(read_identity(r, "identity", &p.identity));
  LK_TRY(read_probe(r, "metadata", &p.metadata));

  const Object* inj_obj = nullptr;
  LK_TRY(r.object("injection", &inj_obj));
  bool hosts_given = false;
  if (inj_obj) {
    Reader inj(*inj_obj, "injection.");
    LK_TRY(inj.only());
    hosts_given = inj.get("hosts") != nullptr;
    LK_TRY(inj.strings("hosts", &p.injection.hosts));
    LK_TRY(inj.str("header", &p.injection.header));
    LK_TRY(inj.str("prefix", &p.injection.prefix));
    LK_TRY(inj.str("query_param", &p.injection.query_param));
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
  LK_TRY(r.str("managed_service_config_key", &p.managed_service_config_key));
  LK_TRY(r.str("docs_url", &p.docs_url));
  LK_TRY(r.str("category", &p.category));
  LK_TRY(r.str("logo_url", &p.logo_url));
  LK_TRY(r.params("scope_descriptions", &p.scope_descriptions));

  LK_TRY(validate_provider(p));
  return p;
}

}  // namespace detail

Result<std::string> definition_for_key(const std::string& key, const std::string& json) {
  auto parsed = detail::json::parse(json, "the provider definition");
  if (!parsed) return invalid(parsed.error().message);
  if (!parsed->is<Object>()) return invalid("the provider definition must be a JSON object");
  Object o = parsed->get<Object>();
  auto it = o.find("key");
  if (it == o.end()) {
    o["key"] = detail::json::str(key);
  } else if (!it->second.is<std::string>() || it->second.get<std::string>() != key) {
    return invalid("the definition's key must be '" + key + "' (or left out)");
  }
  return detail::json::serialize(Value(o));
}

Result<Provider> provider_from_json(const std::string& json) {
  if (json.size() > detail::kMaxProviderJson) {
    return invalid("the provider definition is larger than " + std::to_string(detail::kMaxProviderJson / 1024) + " KiB");
  }
  auto parsed = detail::json::parse(json, "the provider definition");
  if (!parsed) return invalid(parsed.error().message);
  if (!parsed->is<Object>()) return invalid("the provider definition must be a JSON object");
  return detail::provider_from_object(parsed->get<Object>());
}

}  // namespace latchkey
