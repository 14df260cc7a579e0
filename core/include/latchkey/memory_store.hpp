// An in-memory store that answers the store.* effects: the reference semantics every store
// (SQLite, PostgreSQL, a JS KV adapter) must match, used by tests and short-lived hosts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "latchkey/effects.hpp"

namespace latchkey {

class MemoryStore {
 public:
  /// Answers a store_get/put/cas/delete/list effect; any other kind gets an empty result.
  EffectResult perform(const Effect& effect);

  /// Records by key (tests read and tamper with them directly).
  std::map<std::string, StoreRecord> records;
  std::int64_t next_version = 1;
  /// Non-empty: every call fails with this store error (to test failure handling).
  std::string fail_with;
};

}  // namespace latchkey
