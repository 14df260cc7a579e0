// API keys for latchkeyd: random bearer keys, stored only as their SHA-256 under "gwkey/", with
// an id (what people and the admin API name a key by: the secret is shown once), a label, an
// optional expiry and when it was last used. A browser session (the vault page's) is a
// short-lived key of the same kind, made from a key and revoked with it.
//
// Every process keeps the keys it saw for a few seconds (lookups are on every request), but a
// key revoked, rotated or expired is refused at once: keys_changed() empties those memories, and
// the server calls it whenever the store changed under it, whichever process changed it
// (SignerCache watches SQLite's data_version).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/host.hpp"
#include "latchkey/json.hpp"

namespace latchkey::gateway {

/// Who a key belongs to and what it may do.
struct KeyInfo {
  std::string id;  ///< "key_…" (stable across rotation), or "ses_…" for a browser session.
  std::string label;
  std::string principal;
  std::string role;  ///< "admin" | "user"
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;    ///< 0: never.
  std::int64_t last_used_at_ms = 0;  ///< 0: never; kept to the minute.
  std::string session_of;            ///< A session's: the id of the key it was made from; "" for a key.
};

/// The longest a key may live: create_key refuses an expiry further away (the API's and the
/// command line's durations are checked against it there, not each on its own).
constexpr std::int64_t kMaxKeyLifetimeMs = 36500LL * 86400 * 1000;  // 100 years

struct NewKey {
  std::string principal;
  std::string role = "user";
  std::string label;
  std::int64_t expires_at_ms = 0;  ///< 0: never.
};

/// A key as made: the secret (shown once; only its hash is stored) and its record.
struct IssuedKey {
  std::string secret;
  KeyInfo info;
};

/// The API key an Authorization header's value carries: what follows "Bearer ", or nullopt
/// when the value is not that or names no key. A view into `authorization`.
std::optional<std::string_view> bearer_key(std::string_view authorization);

/// The store key of an API key's record: "gwkey/" + base64url(sha256(key)). The key itself is
/// never stored, so a leaked store does not leak working keys.
std::string key_record_name(const std::string& api_key);

/// Makes a new key ("lk_" + base64url of 32 random bytes from the OS) and stores its hash.
/// invalid_request for an empty principal, a role other than admin/user, a label over 200
/// bytes, an expiry in the past or more than kMaxKeyLifetimeMs away; storage on store failure.
Result<IssuedKey> create_key(native::Host& host, const NewKey& key);

/// Every key (not sessions), oldest first. Expired sessions are removed on the way. storage.
Result<std::vector<KeyInfo>> list_keys(native::Host& host);

/// Removes the key `id` and every session made from it; returns what it was. not_found when no
/// key has that id; storage.
Result<KeyInfo> revoke_key(native::Host& host, const std::string& id);

/// Gives the key `id` a new secret (same id, label, principal, role, expiry); the old secret and
/// the key's sessions stop working at once. not_found; invalid_request for a session; storage.
Result<IssuedKey> rotate_key(native::Host& host, const std::string& id);

/// A browser session for the caller's key `parent`: a key that expires after `ttl_ms` (at most
/// the parent's own expiry), revoked with the parent. invalid_request when `parent` is itself
/// a session or ttl_ms is not 1 s to 24 h; storage.
Result<IssuedKey> create_session(native::Host& host, const KeyInfo& parent, std::int64_t ttl_ms);

/// Ends the session `session` (the caller's). invalid_request when it is a key, not a session.
Status end_session(native::Host& host, const KeyInfo& session);

/// The key's owner, or nullopt if the key is unknown or malformed. An expired key is returned
/// (key_expired says so), so the caller can say why it is refused. storage on store failure.
/// Marks the key used (at most once a minute, so a busy key is not a write per request).
Result<std::optional<KeyInfo>> lookup_key(native::Host& host, const std::string& api_key);

bool key_expired(const KeyInfo& key, std::int64_t now_ms);

/// The key's owner if lookup_key has seen it lately, it has not expired and nothing changed
/// since, without the store: nullopt means "ask lookup_key", not "unknown". `until_ms` gets
/// when that stops being so (absent a change).
std::optional<KeyInfo> recently_seen_key(const std::string& api_key, std::int64_t now_ms, std::int64_t* until_ms);

/// Something may have changed keys (this process revoked one, or the store changed under it):
/// every remembered key is asked for again.
void keys_changed();
/// Bumped by keys_changed: a copy of a key taken at one epoch is good while it is current.
std::uint64_t keys_epoch();

/// A key as the admin API shows it and its record holds it: id, label, principal, role,
/// created_at_ms, expires_at_ms and last_used_at_ms (null for never); a session's also
/// session_of. Never the secret or hash.
JsonValue key_json(const KeyInfo& key);
/// key_json with the secret in "key": what creation and rotation answer (the only answers with one).
JsonValue issued_json(const IssuedKey& issued);
/// {keys: [key_json, …]}.
JsonValue keys_json(const std::vector<KeyInfo>& keys);

/// "90d", "12h", "30m", "45s" (or a bare number of seconds) in milliseconds. invalid_request.
Result<std::int64_t> parse_duration(const std::string& text);

}  // namespace latchkey::gateway
