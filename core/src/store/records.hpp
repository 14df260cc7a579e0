// What the core keeps in the host's store, and under which keys. Values are JSON; secret fields
// are sealed (seal.hpp) with the record key as their place.
//
//   provider/<key>                          custom provider definition (catalog schema)
//   mode/<provider>                         {"mode": "managed" | "your-own"}
//   app/<provider>                          app credentials (client_secret and an RFC 7591
//                                           registration_access_token sealed)
//   pending/<base64url(sha256(state))>      a started authorization (code_verifier sealed); for
//                                           OAuth 1.0a the temporary token is the state (its secret sealed)
//   device/<base64url(sha256(handle))>      a started device authorization (device_code sealed)
//   expiry/<pending|device>/<expires_at_ms, 20 digits>/<id>
//                                           empty: the expiry index of the two above, one entry per
//                                           record, so key order is expiry order (steps.hpp's sweep)
//   conn/<principal>/<provider>/<account>   a connection (tokens, OAuth 1.0a token secret, sealed)
//   meta/key-check/<version>                a master key's check value (op_reseal.cpp)
//
// Key parts are percent-encoded, so '/' only ever separates parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latchkey/engine.hpp"
#include "latchkey/expiry_index.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

std::string provider_key(const std::string& provider);
std::string mode_key(const std::string& provider);
std::string app_key(const std::string& provider);
std::string pending_key(const std::string& state);
std::string device_key(const std::string& handle);
/// The expiry index of pending/ or device/ records ("expiry/pending/", "expiry/device/"): its
/// keys sort by expiry, so the expired records are found without reading a live one.
std::string expiry_index_prefix(const std::string& record_prefix);
/// How many expired records one sweep removes at most (latchkey/expiry_index.hpp, which hosts
/// keeping an index of their own use too).
using latchkey::kExpirySweepBatch;
/// The index entry of `record_key` (made by pending_key or device_key) expiring at `expires_at_ms`.
std::string expiry_index_key(const std::string& record_key, std::int64_t expires_at_ms);
using ExpiryEntry = latchkey::ExpiryEntry;
/// Parses a key made by expiry_index_key; storage error for anything else.
Result<ExpiryEntry> expiry_entry_from_key(const std::string& index_key);
std::string connection_key(const ConnectionRef& ref);
std::string connection_prefix(const std::string& principal);
/// "provider/account" with both parts percent-encoded.
std::string connection_id(const ConnectionRef& ref);
/// Parses a record key made by connection_key.
Result<ConnectionRef> connection_ref_from_key(const std::string& key);

/// The secret fields sealed in each kind of record, each with seal_place(record key, field): the
/// one list that reseal re-seals and check_store opens. A record of another kind has none.
struct SealedFields {
  const char* prefix;  ///< "app/", "pending/", "device/", "conn/"
  std::vector<const char*> fields;
};
const std::vector<SealedFields>& sealed_record_fields();

using StringMap = std::map<std::string, std::string>;

struct AppRecord {
  std::string provider;
  std::string client_id;
  /// Empty: no secret. With private_key_jwt or signed_client_secret: the PEM private key.
  std::string client_secret_sealed;
  /// Overrides the provider's token_endpoint_auth_method ("": the provider's); e.g. a
  /// private_key_jwt app of a provider whose catalog entry says client_secret_basic.
  std::string token_endpoint_auth_method;
  std::string key_id;  ///< private_key_jwt, signed_client_secret: the `kid` of the app's key ("": none).
  // A dynamically registered client (RFC 7591 §3.2.1): what the server said about it. The
  // access token manages the registration (RFC 7592) and is as secret as the client secret.
  std::string registration_access_token_sealed;  ///< Empty: none issued.
  std::string registration_client_uri;           ///< Empty: none.
  std::int64_t client_secret_expires_at_ms = 0;  ///< 0: never (or not known to expire).
  std::string redirect_uri;
  std::vector<std::string> scopes;
  StringMap template_values;
  std::int64_t updated_at_ms = 0;
};

struct PendingRecord {
  std::string principal;
  std::string provider;
  std::string account;
  std::string redirect_uri;
  std::string scope;                ///< As requested, joined with the provider's separator.
  std::string code_verifier_sealed;  ///< Empty when the provider does not do PKCE.
  /// "oauth1" for an OAuth 1.0a sign-in (keyed by its temporary token, not a state); "" for OAuth 2.
  std::string flow;
  std::string token_secret_sealed;  ///< OAuth 1.0a: the temporary credentials' secret.
  StringMap template_values;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  bool consumed = false;
};

/// A device authorization waiting for the user (RFC 8628). The host only ever sees the handle
/// that names it; the device_code, which redeems the grant, stays sealed in here.
struct DeviceRecord {
  std::string principal;
  std::string provider;
  std::string account;
  std::string scope;                ///< As requested, joined with the provider's separator.
  std::string device_code_sealed;
  StringMap template_values;
  std::int64_t interval_ms = kDefaultDeviceIntervalMs;  ///< Grows on every slow_down (RFC 8628 §3.5).
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  // Polls made one host request at a time (device_poll_once) pace themselves from here: when
  // the token endpoint was last asked (0: never), and the server hiccups since the last answer.
  std::int64_t last_poll_at_ms = 0;
  int failures = 0;
};

struct ConnectionRecord {
  std::string principal;
  std::string provider;
  std::string account;
  std::string status = "connected";  ///< "connected" | "needs_reauth"
  std::string grant = "authorization_code";  ///< or "client_credentials", "oauth1"
  std::string access_token_sealed;
  std::string refresh_token_sealed;  ///< Empty: none.
  std::string id_token_sealed;
  std::string token_secret_sealed;  ///< OAuth 1.0a: the token credentials' secret (access_token is the token).
  std::string token_type = "Bearer";
  std::int64_t expires_at_ms = 0;
  /// When the access token was issued (TokenSet::issued_at_ms); its lifetime caps the refresh
  /// buffer (refresh_due.hpp). 0: not known — records written before latchkey kept it.
  std::int64_t issued_at_ms = 0;
  std::string scope;
  Params extras;
  StringMap template_values;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // Single-flight refresh: whoever holds an unexpired lease is refreshing.
  std::string lease_id;
  std::int64_t lease_until_ms = 0;
  // Circuit breaker over consecutive refresh failures.
  int failures = 0;
  std::int64_t breaker_until_ms = 0;
  std::string last_error;
};

std::string to_json(const AppRecord& r);
Result<AppRecord> app_from_json(const std::string& json);
std::string to_json(const PendingRecord& r);
Result<PendingRecord> pending_from_json(const std::string& json);
std::string to_json(const DeviceRecord& r);
Result<DeviceRecord> device_from_json(const std::string& json);
std::string to_json(const ConnectionRecord& r);
Result<ConnectionRecord> connection_from_json(const std::string& json);

ConnectionInfo connection_info(const ConnectionRecord& r);

}  // namespace latchkey::detail
