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
  auto listed = host.list(kPrefix);
  if (!listed) return;  // the sign-in itself worked; sweeping can wait for the next
  const std::int64_t now = native::Host::now_ms();
  int removed = 0;
  for (const auto& rec : *listed) {
    auto r = from_json(rec.value);
    if (r && r->expires_at_ms >= now) continue;
    (void)host.remove(rec.key, rec.version);
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
  return host.put(record_name(state), detail::json::serialize(Value(o)));
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
