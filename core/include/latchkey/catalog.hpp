// The built-in provider catalog (core/catalog/providers.json, embedded at build time).
#pragma once

#include <string>
#include <vector>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

/// All built-in providers, sorted by key, each marked builtin. Parsed once and cached; returns
/// an internal error if the embedded catalog is invalid (a build bug caught by the catalog test).
const Result<std::vector<Provider>>& builtin_providers();

/// The built-in provider with this key, or nullptr.
const Provider* find_builtin(const std::string& key);

}  // namespace latchkey
