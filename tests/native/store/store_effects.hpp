// Store effects by hand and their results as one comparable line: shared by the store tests.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "latchkey/effects.hpp"

namespace latchkey::native::testing_store {

inline Effect get(const std::string& key) {
  Effect e;
  e.kind = EffectKind::store_get;
  e.key = key;
  return e;
}
inline Effect put(const std::string& key, const std::string& value) {
  Effect e;
  e.kind = EffectKind::store_put;
  e.key = key;
  e.value = value;
  return e;
}
inline Effect cas(const std::string& key, std::int64_t expected, const std::string& value) {
  Effect e;
  e.kind = EffectKind::store_cas;
  e.key = key;
  e.value = value;
  e.expected_version = expected;
  return e;
}
inline Effect del(const std::string& key, std::int64_t expected = 0) {
  Effect e;
  e.kind = EffectKind::store_delete;
  e.key = key;
  e.expected_version = expected;
  return e;
}
inline Effect list(const std::string& prefix, std::size_t limit = 0) {
  Effect e;
  e.kind = EffectKind::store_list;
  e.prefix = prefix;
  e.limit = limit;
  return e;
}

inline std::string escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

inline std::string show(const StoreRecord& r) {
  return "{" + escaped(r.key) + ", " + escaped(r.value) + ", " + std::to_string(r.version) + "}";
}

/// Every field a store answers, in one comparable line.
inline std::string show(const EffectResult& r) {
  std::string out = "found=" + std::to_string(r.found) + " conflict=" + std::to_string(r.conflict) +
                    " record=" + show(r.record) + " records=[";
  for (const StoreRecord& rec : r.records) out += show(rec) + " ";
  out += "]";
  if (!r.store_error.empty()) out += " error=" + r.store_error;
  return out;
}

}  // namespace latchkey::native::testing_store
