#include "return_records.hpp"

#include "crypto.hpp"
#include "json.hpp"
#include "records.hpp"

namespace latchkey::gateway {
namespace {

using detail::json::Object;
using detail::json::Value;

constexpr const char* kPrefix = "gwreturn/";

std::string record_name(const std::string& state) { return kPrefix + detail::base64url_encode(detail::sha256(state)); }

std::optional<ReturnRecord> from_json(const std::string& text) {
  auto doc = detail::json::parse(text, "return record");
  if (!doc || !doc->is<Object>()) return std::nullopt;
  const Object& o = doc->get<Object>();
  const std::string* return_to = detail::json::get_string(o, "return_to");
  const std::string* provider = detail::json::get_string(o, "provider");
  const std::string* account = detail::json::get_string(o, "account");
  ReturnRecord r;
  if (!return_to || !provider || !account || !detail::json::get_int(o, "expires_at_ms", &r.expires_at_ms)) {
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
  auto listed = host.list(detail::expiry_index_prefix(kPrefix), detail::kExpirySweepBatch);
  if (!listed) return;  // the sign-in itself worked; sweeping can wait for the next
  const std::int64_t now = native::Host::now_ms();
  for (const auto& entry : *listed) {
    auto e = detail::expiry_entry_from_key(entry.key);
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
  if (auto indexed = host.put(detail::expiry_index_key(name, r.expires_at_ms), ""); !indexed) return indexed;
  Object o;
  o["return_to"] = Value(r.return_to);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  return host.put(name, detail::json::serialize(Value(o)));
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
