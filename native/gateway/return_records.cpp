#include "return_records.hpp"

#include "latchkey/crypto.hpp"
#include "latchkey/encoding.hpp"
#include "latchkey/expiry_index.hpp"
#include "latchkey/json.hpp"

namespace latchkey::gateway {
namespace {

using Object = JsonObject;
using Value = JsonValue;

constexpr const char* kPrefix = "gwreturn/";

std::string record_name(const std::string& state) { return kPrefix + base64url_encode(sha256(state)); }

std::optional<ReturnRecord> from_json(const std::string& text) {
  auto doc = parse_json(text, "return record");
  if (!doc || !doc->is<Object>()) return std::nullopt;
  const Object& o = doc->get<Object>();
  const std::string* return_to = json_string(o, "return_to");
  const std::string* provider = json_string(o, "provider");
  const std::string* account = json_string(o, "account");
  ReturnRecord r;
  if (!return_to || !provider || !account || !json_int(o, "expires_at_ms", &r.expires_at_ms)) {
    return std::nullopt;
  }
  r.return_to = *return_to;
  r.provider = *provider;
  r.account = *account;
  return r;
}

// Like the core's sweep of pending sign-ins (steps.hpp): through an expiry index, a few at a
// time, stopping at the first live one, so a start (which needs no sign-in: anyone can make
// records here) costs the same however many are outstanding.
void sweep_expired(native::Host& host) {
  auto listed = host.list(expiry_index_prefix(kPrefix), kExpirySweepBatch);
  if (!listed) return;  // the sign-in itself worked; sweeping can wait for the next
  const std::int64_t now = native::Host::now_ms();
  for (const auto& entry : *listed) {
    auto e = expiry_entry_from_key(entry.key);
    if (e && e->expires_at_ms >= now) break;  // index order is expiry order
    // The entry stays while its record might: the next sweep tries again.
    if (e && !host.remove(e->record_key, 0)) continue;
    (void)host.remove(entry.key, entry.version);
  }
}

}  // namespace

Status save_return(native::Host& host, const std::string& state, const ReturnRecord& r) {
  sweep_expired(host);
  const std::string name = record_name(state);
  // The index entry first, so every record has one whatever fails next. A record taken by its
  // callback leaves the entry for the sweep.
  if (auto indexed = host.put(expiry_index_key(name, r.expires_at_ms), ""); !indexed) return indexed;
  Object o;
  o["return_to"] = Value(r.return_to);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  return host.put(name, serialize_json(Value(o)));
}

Result<std::optional<ReturnRecord>> take_return(native::Host& host, const std::string& state) {
  auto got = host.get(record_name(state));
  if (!got) return got.error();
  if (!*got) return std::optional<ReturnRecord>();
  auto taken = host.remove((*got)->key, (*got)->version);
  if (!taken) return taken.error();
  if (!*taken) return std::optional<ReturnRecord>();  // another callback took it first
  return from_json((*got)->value);
}

}  // namespace latchkey::gateway
