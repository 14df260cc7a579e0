#include "latchkey/memory_store.hpp"

namespace latchkey {

EffectResult MemoryStore::perform(const Effect& e) {
  EffectResult r;
  if (!fail_with.empty()) {
    r.store_error = fail_with;
    return r;
  }
  auto it = records.find(e.key);
  const std::int64_t current = it == records.end() ? 0 : it->second.version;
  switch (e.kind) {
    case EffectKind::store_get:
      if (it != records.end()) {
        r.found = true;
        r.record = it->second;
      }
      break;
    case EffectKind::store_cas:
      if (current != e.expected_version) {
        r.conflict = true;
        break;
      }
      [[fallthrough]];
    case EffectKind::store_put:
      r.record = records[e.key] = StoreRecord{e.key, e.value, next_version++};
      break;
    case EffectKind::store_delete:
      if (it == records.end()) break;
      if (e.expected_version != 0 && current != e.expected_version) {
        r.conflict = true;
        break;
      }
      r.found = true;
      records.erase(it);
      break;
    case EffectKind::store_list:
      for (auto i = records.lower_bound(e.prefix); i != records.end() && i->first.compare(0, e.prefix.size(), e.prefix) == 0 &&
                                                   (e.limit == 0 || r.records.size() < e.limit);
           ++i) {
        r.records.push_back(i->second);
      }
      break;
    case EffectKind::http:
    case EffectKind::wait:
      break;
  }
  return r;
}

}  // namespace latchkey
