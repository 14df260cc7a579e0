// The JSON forms of the engine's results and errors: what the C ABI answers, what latchkeyd's
// API answers and what `latchkey --json` prints, written in one place so they never drift apart.
// The forms are the ones wasm/pkg/index.d.ts types (Connection, Provider, App, Token, ...):
// members in snake_case, times as unix ms (null when not known), no secret but an AccessToken's
// own token.
#pragma once

#include <string>
#include <vector>

#include "latchkey/engine.hpp"
#include "latchkey/json.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

// Each returns a new value owned by the caller and never fails. Text that is not UTF-8 (JSON
// text must be) is cleaned (latchkey/text.hpp) rather than making the document unreadable.

/// {"code", "message", and when set "provider_error", "provider_error_description",
/// "http_status", "retry_at_ms"}.
JsonValue json_form(const Error& e);
/// The provider in the catalog schema (provider_to_json) plus "builtin", "mode", "has_app",
/// "supports_managed".
JsonValue json_form(const ProviderInfo& p);
/// The app without its secrets: "has_client_secret" instead of the secret.
JsonValue json_form(const AppInfo& a);
JsonValue json_form(const AuthorizationStart& a);
JsonValue json_form(const DeviceAuthorization& d);
JsonValue json_form(const DevicePollStatus& s);
/// "extras" holds the provider's kept fields as JSON values.
JsonValue json_form(const ConnectionInfo& c);
/// Holds the access token itself: print it only where the user asked for the token.
JsonValue json_form(const AccessToken& t);
JsonValue json_form(const DisconnectResult& d);
JsonValue json_form(const RemoveResult& r);
JsonValue json_form(const ResealResult& r);
/// {} (an operation that succeeded with nothing to say).
JsonValue json_form(const Ok&);

/// An array of the items' forms, in order.
template <class T>
JsonValue json_form(const std::vector<T>& items) {
  JsonArray a;
  a.reserve(items.size());
  for (const auto& i : items) a.push_back(json_form(i));
  return JsonValue(std::move(a));
}

/// Reads a connection's form (json_form(ConnectionInfo)) back, for a host that gets it from
/// another process (the CLI from latchkeyd). Members that are missing or of another type keep
/// ConnectionInfo's defaults, as an older or newer writer may differ; "extras" come back as JSON
/// text, the form the core stores them in. `sender` names where the value came from in the
/// messages ("the gateway"); it is copied, not kept.
///
/// Returns the connection, owned by the caller. Error: ErrorCode::malformed_response when `v`
/// is not an object ("<sender> sent a connection that is not an object") or has no "provider",
/// "account" or "status" string ("<sender> sent a connection without provider, account or
/// status"). Next: the sender is not a latchkey of this kind; report it, do not retry.
Result<ConnectionInfo> connection_from_json_form(const JsonValue& v, const char* sender);

/// Reads an array of connection forms back, in order, with connection_from_json_form's rules.
///
/// Returns the connections, owned by the caller. Error: ErrorCode::malformed_response when `v`
/// is not an array ("<sender> sent a connection list that is not an array"), or the first
/// item connection_from_json_form refuses, with its message. Next: as connection_from_json_form.
Result<std::vector<ConnectionInfo>> connections_from_json_form(const JsonValue& v, const char* sender);

}  // namespace latchkey
