#include "keys.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "host/master_key.hpp"
#include "latchkey/crypto.hpp"
#include "latchkey/encoding.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

constexpr const char* kPrefix = "gwkey/";
constexpr std::int64_t kLastUsedGrainMs = 60 * 1000;
constexpr std::int64_t kMaxSessionMs = 24 * 3600 * 1000LL;

std::atomic<std::uint64_t> g_epoch{1};

// Known keys, by record name, for a few seconds and only while the epoch is the one they were
// read in: every API call looks its key up, and the store read (a SQLite transaction) would be
// most of a cached token request's cost. Unknown keys are not kept, so a key created by another
// process works at once.
class KnownKeys {
 public:
  static constexpr std::int64_t kTtlMs = 5000;
  std::optional<KeyInfo> find(const std::string& name, std::int64_t now, std::int64_t* until_ms = nullptr) {
    std::shared_lock lock(mu_);
    auto it = keys_.find(name);
    if (it == keys_.end() || it->second.until_ms <= now || it->second.epoch != g_epoch.load()) return std::nullopt;
    if (until_ms) *until_ms = it->second.until_ms;
    return it->second.info;
  }
  void remember(const std::string& name, const KeyInfo& info, std::int64_t now, std::uint64_t epoch) {
    std::unique_lock lock(mu_);
    if (keys_.size() > 10000) keys_.clear();  // bounded: a flood of distinct valid keys is not a leak
    std::int64_t until = now + kTtlMs;
    if (info.expires_at_ms != 0) until = std::min(until, info.expires_at_ms);
    keys_[name] = {info, until, epoch};
  }

 private:
  struct Entry {
    KeyInfo info;
    std::int64_t until_ms;
    std::uint64_t epoch;
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

Result<std::string> random_text(std::size_t bytes) {
  auto random = native::os_random(bytes);
  if (!random) return random.error();
  return base64url_encode(*random);
}

Result<std::string> new_id(const char* prefix) {
  auto random = native::os_random(9);
  if (!random) return random.error();
  return prefix + hex_encode(*random);
}


Result<KeyInfo> parse_record(const StoreRecord& record) {
  auto doc = parse_json(record.value, "API key record");
  if (!doc || !doc->is<Object>()) return make_error(ErrorCode::storage, "an API key record is damaged");
  const Object& o = doc->get<Object>();
  KeyInfo k;
  const std::string* principal = json_string(o, "principal");
  const std::string* role = json_string(o, "role");
  if (!principal || !role) return make_error(ErrorCode::storage, "an API key record is damaged");
  k.principal = *principal;
  k.role = *role;
  if (const std::string* id = json_string(o, "id")) {
    k.id = *id;
  } else {  // a key made before keys had ids: named by its hash's beginning (not a secret)
    k.id = "key_" + record.key.substr(std::string(kPrefix).size(), 18);
  }
  if (const std::string* label = json_string(o, "label")) k.label = *label;
  if (const std::string* parent = json_string(o, "session_of")) k.session_of = *parent;
  json_int(o, "created_at_ms", &k.created_at_ms);
  json_int(o, "expires_at_ms", &k.expires_at_ms);
  json_int(o, "last_used_at_ms", &k.last_used_at_ms);
  return k;
}

struct Found {
  StoreRecord record;
  KeyInfo info;
};

/// Every record under gwkey/ (keys and sessions), parsed; damaged ones are skipped.
Result<std::vector<Found>> all_records(native::Host& host) {
  auto records = host.list(kPrefix);
  if (!records) return records.error();
  std::vector<Found> out;
  for (auto& r : *records) {
    auto info = parse_record(r);
    if (info) out.push_back({std::move(r), std::move(*info)});
  }
  return out;
}

Result<Found> find_key(native::Host& host, const std::string& id) {
  auto all = all_records(host);
  if (!all) return all.error();
  for (auto& f : *all) {
    if (f.info.id == id && f.info.session_of.empty()) return std::move(f);
  }
  return make_error(ErrorCode::not_found, "no API key has the id '" + id + "'; `latchkeyd keys list` shows them");
}

/// Removes every session made from `parent_id` (a rotated or revoked key's).
Status drop_sessions(native::Host& host, const std::string& parent_id) {
  auto all = all_records(host);
  if (!all) return all.error();
  for (const auto& f : *all) {
    if (f.info.session_of == parent_id) {
      if (auto r = host.remove(f.record.key, 0); !r) return r.error();
    }
  }
  return Ok{};
}

Result<IssuedKey> store_new(native::Host& host, KeyInfo info) {
  auto secret = random_text(32);
  if (!secret) return secret.error();
  IssuedKey issued{"lk_" + *secret, std::move(info)};
  auto stored = host.cas(key_record_name(issued.secret), serialize_json(key_json(issued.info)), 0);
  if (!stored) return stored.error();
  if (!*stored) return make_error(ErrorCode::internal, "a new API key collided with a stored one; try again");
  keys_changed();
  return issued;
}

}  // namespace

std::optional<std::string_view> bearer_key(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) {
    return std::nullopt;
  }
  return authorization.substr(kBearer.size());
}

std::string key_record_name(const std::string& api_key) { return kPrefix + base64url_encode(sha256(api_key)); }

void keys_changed() { ++g_epoch; }
std::uint64_t keys_epoch() { return g_epoch.load(); }

bool key_expired(const KeyInfo& key, std::int64_t now_ms) { return key.expires_at_ms != 0 && now_ms >= key.expires_at_ms; }

Result<IssuedKey> create_key(native::Host& host, const NewKey& key) {
  if (key.principal.empty()) return make_error(ErrorCode::invalid_request, "the principal must not be empty");
  if (key.role != "admin" && key.role != "user") return make_error(ErrorCode::invalid_request, "the role must be admin or user");
  if (key.label.size() > 200) return make_error(ErrorCode::invalid_request, "the label must be at most 200 bytes");
  const std::int64_t now = native::Host::now_ms();
  if (key.expires_at_ms != 0 && key.expires_at_ms <= now) {
    return make_error(ErrorCode::invalid_request, "the expiry is in the past; give one to come");
  }
  if (key.expires_at_ms > now + kMaxKeyLifetimeMs) {
    return make_error(ErrorCode::invalid_request, "a key lives at most 100 years; give a nearer expiry");
  }
  auto id = new_id("key_");
  if (!id) return id.error();
  KeyInfo info;
  info.id = *id;
  info.label = key.label;
  info.principal = key.principal;
  info.role = key.role;
  info.created_at_ms = now;
  info.expires_at_ms = key.expires_at_ms;
  return store_new(host, std::move(info));
}

Result<std::vector<KeyInfo>> list_keys(native::Host& host) {
  auto all = all_records(host);
  if (!all) return all.error();
  const std::int64_t now = native::Host::now_ms();
  std::vector<KeyInfo> keys;
  for (auto& f : *all) {
    if (f.info.session_of.empty()) {
      keys.push_back(std::move(f.info));
    } else if (key_expired(f.info, now)) {
      (void)host.remove(f.record.key, f.record.version);  // an ended session: nothing to keep
    }
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const KeyInfo& a, const KeyInfo& b) { return a.created_at_ms < b.created_at_ms; });
  return keys;
}

Result<KeyInfo> revoke_key(native::Host& host, const std::string& id) {
  auto found = find_key(host, id);
  if (!found) return found.error();
  if (auto r = host.remove(found->record.key, 0); !r) return r.error();
  keys_changed();
  if (auto dropped = drop_sessions(host, id); !dropped) return dropped.error();
  keys_changed();
  return found->info;
}

Result<IssuedKey> rotate_key(native::Host& host, const std::string& id) {
  if (id.rfind("ses_", 0) == 0) {
    return make_error(ErrorCode::invalid_request, "'" + id + "' is a browser session; sessions are ended, not rotated");
  }
  auto found = find_key(host, id);
  if (!found) return found.error();
  // The new secret first, then the old one goes: a failure in between leaves two working
  // secrets for one id, never none (the admin can revoke and try again).
  auto issued = store_new(host, found->info);
  if (!issued) return issued.error();
  if (auto r = host.remove(found->record.key, 0); !r) return r.error();
  keys_changed();
  if (auto dropped = drop_sessions(host, id); !dropped) return dropped.error();
  keys_changed();
  return issued;
}

Result<IssuedKey> create_session(native::Host& host, const KeyInfo& parent, std::int64_t ttl_ms) {
  if (!parent.session_of.empty()) {
    return make_error(ErrorCode::invalid_request, "this is already a session token; use it as it is until it expires");
  }
  if (ttl_ms < 1000 || ttl_ms > kMaxSessionMs) {
    return make_error(ErrorCode::invalid_request, "a session lasts 1 s to 24 h (ttl_s 1 to 86400)");
  }
  auto id = new_id("ses_");
  if (!id) return id.error();
  KeyInfo info;
  info.id = *id;
  info.label = "browser session";
  info.principal = parent.principal;
  info.role = parent.role;
  info.created_at_ms = native::Host::now_ms();
  info.expires_at_ms = info.created_at_ms + ttl_ms;
  if (parent.expires_at_ms != 0) info.expires_at_ms = std::min(info.expires_at_ms, parent.expires_at_ms);
  info.session_of = parent.id;
  return store_new(host, std::move(info));
}

Status end_session(native::Host& host, const KeyInfo& session) {
  if (session.session_of.empty()) {
    return make_error(ErrorCode::invalid_request,
                      "this is an API key, not a session; an admin revokes keys with DELETE /v1/keys/{id}");
  }
  auto all = all_records(host);
  if (!all) return all.error();
  for (const auto& f : *all) {
    if (f.info.id == session.id) {
      if (auto r = host.remove(f.record.key, 0); !r) return r.error();
    }
  }
  keys_changed();
  return Ok{};
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
  const std::uint64_t epoch = g_epoch.load();  // before the read: a change during it makes the copy stale
  auto record = host.get(name);
  if (!record) return record.error();
  if (!*record) return std::optional<KeyInfo>();
  auto info = parse_record(**record);
  if (!info) return info.error();
  if (key_expired(*info, now)) return std::optional<KeyInfo>(*info);
  if (now - info->last_used_at_ms >= kLastUsedGrainMs) {
    KeyInfo used = *info;
    used.last_used_at_ms = now;
    // Only over the version read: a key revoked meanwhile must not come back.
    if (auto marked = host.cas(name, serialize_json(key_json(used)), (*record)->version); marked && *marked) {
      info = std::move(used);
      return std::optional<KeyInfo>(*info);  // the write changed the store: remembering waits for the next read
    }
  }
  known_keys().remember(name, *info, now, epoch);
  return std::optional<KeyInfo>(*info);
}

JsonValue key_json(const KeyInfo& k) {
  Object o;
  o["id"] = Value(k.id);
  o["label"] = Value(k.label);
  o["principal"] = Value(k.principal);
  o["role"] = Value(k.role);
  const auto ms_or_null = [](std::int64_t ms) { return ms ? Value(ms) : Value(); };
  o["created_at_ms"] = Value(k.created_at_ms);
  o["expires_at_ms"] = ms_or_null(k.expires_at_ms);
  o["last_used_at_ms"] = ms_or_null(k.last_used_at_ms);
  if (!k.session_of.empty()) o["session_of"] = Value(k.session_of);
  return Value(o);
}

JsonValue issued_json(const IssuedKey& issued) {
  Value v = key_json(issued.info);
  v.get<Object>()["key"] = Value(issued.secret);
  return v;
}

JsonValue keys_json(const std::vector<KeyInfo>& keys) {
  JsonArray out;
  for (const auto& k : keys) out.push_back(key_json(k));
  return Value(Object{{"keys", Value(out)}});
}

Result<std::int64_t> parse_duration(const std::string& text) {
  const auto fail = [&] {
    return make_error(ErrorCode::invalid_request,
                      "'" + text + "' is not a duration; write a number with d, h, m or s (e.g. 90d, 12h, 30m)");
  };
  if (text.empty() || text.size() > 12) return fail();
  std::int64_t unit = 1000;
  std::string digits = text;
  switch (text.back()) {
    case 'd': unit = 86400 * 1000LL; digits.pop_back(); break;
    case 'h': unit = 3600 * 1000LL; digits.pop_back(); break;
    case 'm': unit = 60 * 1000LL; digits.pop_back(); break;
    case 's': digits.pop_back(); break;
    default: break;
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return fail();
  const std::int64_t n = std::stoll(digits);
  if (n <= 0 || n > kMaxKeyLifetimeMs / unit) return fail();  // the cap itself: create_key
  return n * unit;
}

}  // namespace latchkey::gateway
