// JSON forms of the engine's results, errors and effects, shared by the C ABI and the CLI.
#pragma once

#include <string>

#include "json.hpp"
#include "latchkey/engine.hpp"

namespace latchkey::detail {

json::Value to_value(const Error& e);
json::Value to_value(const ProviderInfo& p);
json::Value to_value(const AppInfo& a);
json::Value to_value(const AuthorizationStart& a);
json::Value to_value(const DeviceAuthorization& d);
json::Value to_value(const DevicePollStatus& s);
json::Value to_value(const ConnectionInfo& c);
json::Value to_value(const AccessToken& t);
json::Value to_value(const HttpRequest& r);
json::Value to_value(const RequestSigner& s);
json::Value to_value(const AuthorizedResponse& r);
json::Value to_value(const DisconnectResult& d);
json::Value to_value(const RemoveResult& r);
json::Value to_value(const ResealResult& r);
json::Value to_value(const Ok&);
json::Value to_value(const Effect& e);
json::Value provider_value(const Provider& p);
json::Value params_value(const Params& p);

template <class T>
json::Value to_value(const std::vector<T>& items) {
  json::Array a;
  for (const auto& i : items) a.push_back(to_value(i));
  return json::Value(a);
}

/// {"ok": value} / {"error": {...}}
template <class T>
json::Value result_value(const Result<T>& r) {
  json::Object o;
  if (r) o["ok"] = to_value(r.value());
  else o["error"] = to_value(r.error());
  return json::Value(o);
}

/// result_value as JSON text.
template <class T>
std::string result_document(const Result<T>& r) {
  return json::serialize(result_value(r));
}

/// Parses an EffectResult from its JSON form (docs/effects.md).
Result<EffectResult> effect_result_from_json(const std::string& text);

}  // namespace latchkey::detail
