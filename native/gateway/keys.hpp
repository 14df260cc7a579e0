// API keys for latchkeyd: random bearer keys, stored only as their SHA-256 under "gwkey/".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/host.hpp"

namespace latchkey::gateway {

/// Who a key belongs to and what it may do.
struct KeyInfo {
  std::string principal;
  std::string role;  ///< "admin" | "user"
  std::int64_t created_at_ms = 0;
};

/// The API key an Authorization header's value carries: what follows "Bearer ", or nullopt
/// when the value is not that or names no key. A view into `authorization`.
std::optional<std::string_view> bearer_key(std::string_view authorization);

/// The store key of an API key's record: "gwkey/" + base64url(sha256(key)). The key itself is
/// never stored, so a leaked store does not leak working keys.
std::string key_record_name(const std::string& api_key);

/// Makes a new key ("lk_" + base64url of 32 random bytes from the OS) for `principal` with
/// `role`, stores its hash, and returns the key (shown once; it cannot be recovered).
/// invalid_request for an empty principal or a role other than admin/user; storage on store failure.
Result<std::string> create_key(native::Host& host, const std::string& principal, const std::string& role);

/// The key's owner, or nullopt if the key is unknown or malformed. storage on store failure.
/// A known key is remembered for 5 s, so a key removed from the store keeps working that long.
Result<std::optional<KeyInfo>> lookup_key(native::Host& host, const std::string& api_key);

/// The key's owner if lookup_key has seen the key in the last 5 s, without the store: nullopt
/// means "ask lookup_key", not "unknown". `until_ms` gets when that stops being so.
std::optional<KeyInfo> recently_seen_key(const std::string& api_key, std::int64_t now_ms, std::int64_t* until_ms);

}  // namespace latchkey::gateway
