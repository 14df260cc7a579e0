#include "return_records.hpp"

#include "crypto.hpp"
#include "json.hpp"

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

// Like the core's sweep of pending sign-ins: a few at a time, each only at the version read.
void sweep_expired(native::Host& host) {
  Effect list;
  list.kind = EffectKind::store_list;
  list.prefix = kPrefix;
  EffectResult listed = host.perform(list);
  if (!listed.store_error.empty()) return;  // the sign-in itself worked; sweeping can wait for the next
  const std::int64_t now = native::Host::now_ms();
  int removed = 0;
  for (const auto& rec : listed.records) {
    auto r = from_json(rec.value);
    if (r && r->expires_at_ms >= now) continue;
    Effect del;
    del.kind = EffectKind::store_delete;
    del.key = rec.key;
    del.expected_version = rec.version;
    host.perform(del);
    if (++removed == 16) break;
  }
}

}  // namespace

Status save_return(native::Host& host, const std::string& state, const ReturnRecord& r) {
  sweep_expired(host);
  Object o;
  o["return_to"] = Value(r.return_to);
  o["provider"] = Value(r.provider);
  o["account"] = Value(r.account);
  o["expires_at_ms"] = Value(r.expires_at_ms);
  Effect put;
  put.kind = EffectKind::store_put;
  put.key = record_name(state);
  put.value = detail::json::serialize(Value(o));
  EffectResult done = host.perform(put);
  if (!done.store_error.empty()) return make_error(ErrorCode::storage, done.store_error);
  return Ok{};
}

Result<std::optional<ReturnRecord>> take_return(native::Host& host, const std::string& state) {
  Effect get;
  get.kind = EffectKind::store_get;
  get.key = record_name(state);
  EffectResult got = host.perform(get);
  if (!got.store_error.empty()) return make_error(ErrorCode::storage, got.store_error);
  if (!got.found) return std::optional<ReturnRecord>();
  Effect del;
  del.kind = EffectKind::store_delete;
  del.key = get.key;
  del.expected_version = got.record.version;
  EffectResult deleted = host.perform(del);
  if (!deleted.store_error.empty()) return make_error(ErrorCode::storage, deleted.store_error);
  if (!deleted.found) return std::optional<ReturnRecord>();  // another callback took it first
  return from_json(got.record.value);
}

}  // namespace latchkey::gateway
