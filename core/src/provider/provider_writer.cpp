// provider_to_json: a provider in the schema's JSON form (the form provider_from_json reads).
// Members the schema marks written_when_set are left out when unset, so definitions without them
// (most of the catalog) keep their exact JSON form; a unit test holds this file to the table.
#include <optional>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "provider_enums.hpp"

namespace latchkey {
namespace {

using detail::json::Array;
using detail::json::Object;
using detail::json::Value;

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

// An optional object member (ping, identity): null when absent, else what `write` puts in it.
template <class T, class Write>
Value opt_object(const std::optional<T>& value, Write write) {
  if (!value) return Value();
  Object o;
  write(*value, o);
  return Value(o);
}

Value grant_style(const std::optional<GrantStyle>& style) {
  using detail::json::str;
  return opt_object(style, [](const GrantStyle& g, Object& out) {
    out["url"] = opt_str(g.url);
    out["method"] = str(g.method);
    out["grant_type"] = str(g.grant_type);
    out["token"] = str(detail::enum_name(detail::kGrantTokens, g.send_access_token));
    out["token_param"] = str(g.token_param);
    out["params"] = params_object(g.params);
    out["client_auth"] = detail::json::boolean(g.client_auth);
    out["root"] = g.root ? str(*g.root) : Value();
  });
}

}  // namespace

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
  // Only when renamed: definitions with the standard name keep their exact JSON form.
  if (p.client_id_param != "client_id") o["client_id_param"] = str(p.client_id_param);
  o["pkce"] = str(to_string(p.pkce));
  o["token_endpoint_auth_method"] = str(to_string(p.token_endpoint_auth_method));
  // Only when set: definitions without it (all but a few) keep their exact JSON form.
  if (p.signed_client_secret) {
    o["signed_client_secret"] = opt_object(p.signed_client_secret, [](const SignedClientSecret& secret, Object& out) {
      out["issuer"] = str(secret.issuer);
      out["audience"] = str(secret.audience);
      out["algorithm"] = str(secret.algorithm);
      out["lifetime_seconds"] = num(secret.lifetime_seconds);
    });
  }
  o["authorization_params"] = params_object(p.authorization_params);
  o["token_params"] = params_object(p.token_params);
  // These only when set: definitions without them (most of the catalog) keep their exact form.
  if (!p.exchange_params.empty()) o["exchange_params"] = params_object(p.exchange_params);
  if (!p.token_request_headers.empty()) o["token_request_headers"] = params_object(p.token_request_headers);
  if (!p.api_headers.empty()) o["api_headers"] = params_object(p.api_headers);

  Object tr;
  tr["root"] = str(p.token_response.root);
  tr["keep"] = str_array(p.token_response.keep);
  tr["expires_in_unit"] = str(detail::enum_name(detail::kExpiresUnits, p.token_response.expires_in_milliseconds));
  o["token_response"] = Value(tr);

  Object templates;
  for (const auto& tp : p.template_params) {
    Object t;
    t["pattern"] = str(tp.pattern);
    if (tp.default_value) t["default"] = str(*tp.default_value);
    t["description"] = str(tp.description);
    if (!tp.from.empty()) t["from"] = str(tp.from);
    if (tp.take_host) t["take"] = str("host");
    templates[tp.name] = Value(t);
  }
  o["template_params"] = Value(templates);
  o["expiry_buffer_seconds"] = num(p.expiry_buffer_seconds);
  o["token_exchange_body_format"] = str(to_string(p.token_exchange_body_format));
  o["refresh_endpoint"] = opt_str(p.refresh_endpoint);
  if (p.refresh) o["refresh"] = grant_style(p.refresh);
  if (p.long_lived_exchange) o["long_lived_exchange"] = grant_style(p.long_lived_exchange);
  if (p.revocation_style != RevocationStyle::form) o["revocation_style"] = str(to_string(p.revocation_style));
  if (p.client_credentials_grant_type != "client_credentials") {
    o["client_credentials_grant_type"] = str(p.client_credentials_grant_type);
  }

  o["ping"] = opt_object(p.ping, [](const ProbeRequest& ping, Object& out) {
    out["method"] = str(ping.method);
    out["url"] = str(ping.url);
    out["headers"] = params_object(ping.headers);
    if (!ping.ok_path.empty()) out["ok_path"] = str(ping.ok_path);
  });
  o["identity"] = opt_object(p.identity, [](const Identity& id, Object& out) {
    out["url"] = str(id.url);
    out["account_path"] = str(id.account_path);
    out["headers"] = params_object(id.headers);
  });

  if (p.metadata) {
    Object m;
    m["method"] = str(p.metadata->method);
    m["url"] = str(p.metadata->url);
    m["headers"] = params_object(p.metadata->headers);
    o["metadata"] = Value(m);
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
  o["category"] = str(p.category);
  o["logo_url"] = opt_str(p.logo_url);
  o["scope_descriptions"] = params_object(p.scope_descriptions);
  return detail::json::serialize(Value(o));
}

}  // namespace latchkey
