// latchkey/json_forms.hpp: the JSON forms the C ABI writes (abi/results_json.cpp), for hosts,
// and the one reader of a connection's form back.
#include "latchkey/json_forms.hpp"

#include "results_json.hpp"

namespace latchkey {

JsonValue json_form(const Error& e) { return detail::to_value(e); }
JsonValue json_form(const ProviderInfo& p) { return detail::to_value(p); }
JsonValue json_form(const AppInfo& a) { return detail::to_value(a); }
JsonValue json_form(const AuthorizationStart& a) { return detail::to_value(a); }
JsonValue json_form(const DeviceAuthorization& d) { return detail::to_value(d); }
JsonValue json_form(const DevicePollStatus& s) { return detail::to_value(s); }
JsonValue json_form(const ConnectionInfo& c) { return detail::to_value(c); }
JsonValue json_form(const AccessToken& t) { return detail::to_value(t); }
JsonValue json_form(const DisconnectResult& d) { return detail::to_value(d); }
JsonValue json_form(const RemoveResult& r) { return detail::to_value(r); }
JsonValue json_form(const ResealResult& r) { return detail::to_value(r); }
JsonValue json_form(const Ok& ok) { return detail::to_value(ok); }

Result<ConnectionInfo> connection_from_json_form(const JsonValue& v, const char* sender) {
  if (!v.is<JsonObject>()) {
    return make_error(ErrorCode::malformed_response, std::string(sender) + " sent a connection that is not an object");
  }
  const JsonObject& o = v.get<JsonObject>();
  ConnectionInfo c;
  auto text = [&o](const char* name, std::string* out) {
    if (const std::string* s = json_string(o, name)) *out = *s;
  };
  text("id", &c.id);
  text("principal", &c.principal);
  text("provider", &c.provider);
  text("account", &c.account);
  text("status", &c.status);
  text("grant", &c.grant);
  text("scope", &c.scope);
  text("token_type", &c.token_type);
  text("last_error", &c.last_error);
  json_int(o, "expires_at_ms", &c.expires_at_ms);
  json_int(o, "created_at_ms", &c.created_at_ms);
  json_int(o, "updated_at_ms", &c.updated_at_ms);
  json_bool(o, "has_refresh_token", &c.has_refresh_token);
  if (const JsonObject* extras = json_object(o, "extras")) {
    // Back to JSON text, the form the core stores them in (json_form parses them out of it).
    for (const auto& [k, x] : *extras) c.extras.emplace_back(k, serialize_json(x));
  }
  if (c.provider.empty() || c.account.empty() || c.status.empty()) {
    return make_error(ErrorCode::malformed_response,
                      std::string(sender) + " sent a connection without provider, account or status");
  }
  return c;
}

Result<std::vector<ConnectionInfo>> connections_from_json_form(const JsonValue& v, const char* sender) {
  if (!v.is<JsonArray>()) {
    return make_error(ErrorCode::malformed_response,
                      std::string(sender) + " sent a connection list that is not an array");
  }
  std::vector<ConnectionInfo> out;
  out.reserve(v.get<JsonArray>().size());
  for (const auto& item : v.get<JsonArray>()) {
    auto c = connection_from_json_form(item, sender);
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace latchkey
