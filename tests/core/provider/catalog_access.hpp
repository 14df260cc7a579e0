// The built-in catalog as the catalog tests read it: the whole list, and one entry by key
// (failing the running test when it is missing).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "latchkey/catalog.hpp"

namespace latchkey::testing {

inline const std::vector<Provider>& catalog() {
  static const std::vector<Provider> empty;
  const auto& r = builtin_providers();
  return r.ok() ? *r : empty;
}

inline const Provider& catalog_entry(const std::string& key) {
  static const Provider missing;
  const Provider* p = find_builtin(key);
  EXPECT_NE(p, nullptr) << key;
  return p ? *p : missing;
}

}  // namespace latchkey::testing
