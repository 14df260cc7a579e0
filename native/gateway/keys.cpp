#include "keys.hpp"

#include "host/master_key.hpp"
#include "latchkey/crypto.hpp"
#include "latchkey/encoding.hpp"
#include "latchkey/json.hpp"

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace latchkey::gateway {
namespace {

// Known keys, by record name, for a few seconds: every API call looks its key up, and the store
// read (a SQLite transaction) would be most of a cached token request's cost. Unknown keys are
// not cached, so a key created by another process works at once.
class KnownKeys {
 public:
  static constexpr std::int64_t kTtlMs = 5000;
  std::optional<KeyInfo> find(const std::string& name, std::int64_t now, std::int64_t* until_ms = nullptr) {
    std::shared_lock lock(mu_);
    auto it = keys_.find(name);
    if (it == keys_.end() || it->second.until_ms <= now) return std::nullopt;
    if (until_ms) *until_ms = it->second.until_ms;
    return it->second.info;
  }
  void remember(const std::string& name, const KeyInfo& info, std::int64_t now) {
    std::unique_lock lock(mu_);
    if (keys_.size() > 10000) keys_.clear();  // bounded: a flood of distinct valid keys is not a leak
    keys_[name] = {info, now + kTtlMs};
  }

 private:
  struct Entry {
    KeyInfo info;
    std::int64_t until_ms;
  };
  std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> keys_;
};

KnownKeys& known_keys() {
  static KnownKeys keys;
  return keys;
}

/// Could be a key we issued ("lk_" and base64url): others are refused before any hashing or store read.
bool plausible_key(const std::string& api_key) {
  return api_key.size() >= 10 && api_key.size() <= 200 && api_key.compare(0, 3, "lk_") == 0;
}

}  // namespace

using Object = JsonObject;
using Value = JsonValue;

std::optional<std::string_view> bearer_key(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() <= kPrefix.size() || authorization.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  return authorization.substr(kPrefix.size());
}

std::string key_record_name(const std::string& api_key) {
  return "gwkey/" + base64url_encode(sha256(api_key));
}

Result<std::string> create_key(native::Host& host, const std::string& principal, const std::string& role) {
  if (principal.empty()) return make_error(ErrorCode::invalid_request, "--principal must not be empty");
  if (role != "admin" && role != "user") return make_error(ErrorCode::invalid_request, "--role must be admin or user");
  auto bytes = native::os_random(32);
  if (!bytes) return bytes.error();
  std::string key = "lk_" + base64url_encode(*bytes);
  Object o;
  o["principal"] = Value(principal);
  o["role"] = Value(role);
  o["created_at_ms"] = Value(native::Host::now_ms());
  if (auto saved = host.put(key_record_name(key), serialize_json(Value(o))); !saved) return saved.error();
  return key;
}

std::optional<KeyInfo> recently_seen_key(const std::string& api_key, std::int64_t now_ms, std::int64_t* until_ms) {
  if (!plausible_key(api_key)) return std::nullopt;
  return known_keys().find(key_record_name(api_key), now_ms, until_ms);
}

Result<std::optional<KeyInfo>> lookup_key(native::Host& host, const std::string& api_key) {
  if (!plausible_key(api_key)) return std::optional<KeyInfo>();
  const std::string name = key_record_name(api_key);
  const std::int64_t now = native::Host::now_ms();
  if (auto known = known_keys().find(name, now)) return known;
  auto record = host.get(name);
  if (!record) return record.error();
  if (!*record) return std::optional<KeyInfo>();
  auto doc = parse_json((*record)->value, "API key record");
  if (!doc || !doc->is<Object>()) return make_error(ErrorCode::storage, "an API key record is damaged");
  const Object& o = doc->get<Object>();
  KeyInfo info;
  const std::string* principal = json_string(o, "principal");
  const std::string* role = json_string(o, "role");
  if (!principal || !role) return make_error(ErrorCode::storage, "an API key record is damaged");
  info.principal = *principal;
  info.role = *role;
  json_int(o, "created_at_ms", &info.created_at_ms);
  known_keys().remember(name, info, now);
  return std::optional<KeyInfo>(info);
}

}  // namespace latchkey::gateway
