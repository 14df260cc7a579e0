#include "support/json_store.hpp"

namespace latchkey::testing {

using detail::json::Object;
using detail::json::Value;

std::string answer_store_effect(MemoryStore& store, const Object& e) {
  Effect effect;
  const std::string& kind = e.at("kind").get<std::string>();
  if (kind == "store.get") effect.kind = EffectKind::store_get;
  else if (kind == "store.put") effect.kind = EffectKind::store_put;
  else if (kind == "store.cas") effect.kind = EffectKind::store_cas;
  else if (kind == "store.delete") effect.kind = EffectKind::store_delete;
  else effect.kind = EffectKind::store_list;
  if (e.count("key")) effect.key = e.at("key").get<std::string>();
  if (e.count("value")) effect.value = e.at("value").get<std::string>();
  if (e.count("prefix")) effect.prefix = e.at("prefix").get<std::string>();
  if (e.count("expected_version")) effect.expected_version = e.at("expected_version").get<std::int64_t>();
  if (e.count("limit")) effect.limit = static_cast<std::size_t>(e.at("limit").get<std::int64_t>());
  EffectResult r = store.perform(effect);
  Object o;
  if (r.found) o["found"] = Value(true);
  if (r.conflict) o["conflict"] = Value(true);
  if (r.found || effect.kind != EffectKind::store_get) {
    o["value"] = Value(r.record.value);
    o["version"] = Value(r.record.version);
  }
  if (effect.kind == EffectKind::store_list) {
    detail::json::Array records;
    for (const auto& rec : r.records) {
      Object ro;
      ro["key"] = Value(rec.key);
      ro["value"] = Value(rec.value);
      ro["version"] = Value(rec.version);
      records.push_back(Value(ro));
    }
    o["records"] = Value(records);
  }
  return detail::json::serialize(Value(o));
}

}  // namespace latchkey::testing
