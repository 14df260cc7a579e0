// Pure pieces of the device authorization grant (RFC 8628): reading the device authorization
// response, and what a poll of the token endpoint means. No state, no effects: op_device.cpp
// puts them together.
#pragma once

#include <cstdint>
#include <string>

#include "latchkey/engine.hpp"
#include "latchkey/result.hpp"
#include "latchkey/token_set.hpp"

namespace latchkey::detail {

inline constexpr const char* kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: what slow_down adds to the interval (kDefaultDeviceIntervalMs when the server
/// names none, §3.2).
inline constexpr std::int64_t kSlowDownStepMs = 5000;
/// Bounds on what the server may ask: below 1 s would be a busy loop, above 5 min a stuck one.
inline constexpr std::int64_t kMinIntervalMs = 1000;
inline constexpr std::int64_t kMaxIntervalMs = 300000;
/// expires_in is REQUIRED, but when a server leaves it out, 15 minutes (what most servers use).
inline constexpr std::int64_t kDefaultDeviceLifetimeMs = 15 * 60 * 1000;

struct DeviceGrant {
  std::string device_code;  ///< Secret: redeems the grant. Never put in a message.
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  ///< Empty when absent.
  std::int64_t lifetime_ms = kDefaultDeviceLifetimeMs;
  std::int64_t interval_ms = kDefaultDeviceIntervalMs;
};

/// Reads the answer of the device authorization endpoint (RFC 8628 §3.2, and Google's
/// `verification_url` spelling). Errors: provider_error for an OAuth error body or an error
/// status, malformed_response for HTML, non-JSON, or missing/invalid members (the message names
/// the member, never the device_code's value). The URIs must be https (http only to loopback)
/// and the user code printable ASCII: both are shown to the user on a terminal.
Result<DeviceGrant> parse_device_authorization(const TokenHttpResponse& response);

/// What one answer of the token endpoint to a device_code grant means (RFC 8628 §3.5).
enum class PollVerdict {
  approved,       ///< tokens issued
  pending,        ///< authorization_pending: ask again after the interval
  slow_down,      ///< ask again after the interval + 5 s, and keep the longer interval
  retry,          ///< the server or network hiccuped (5xx, 429): ask again after the interval
  denied,         ///< access_denied: the user refused
  expired,        ///< expired_token: the code died before the user approved
  failed,         ///< anything else: stop with the error
};

/// Classifies a parsed token response (parse_token_response's result).
PollVerdict poll_verdict(const Result<TokenSet>& tokens);

}  // namespace latchkey::detail
