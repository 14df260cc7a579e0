// The built-in provider catalog (core/catalog/providers.json, embedded at build time).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

/// All built-in providers, sorted by key, each marked builtin. Parsed once and cached; returns
/// an internal error if the embedded catalog is invalid (a build bug caught by the catalog test).
const Result<std::vector<Provider>>& builtin_providers();

/// The built-in provider with this key, or nullptr.
const Provider* find_builtin(const std::string& key);

/// Reads a catalog document ({"version": 1, "providers": [...]}, the embedded one's form): every
/// entry by provider_from_json's rules, sorted by key, marked builtin. An internal error names the
/// first entry that fails and why (or a duplicate key). What builtin_providers does once.
Result<std::vector<Provider>> parse_catalog(std::string_view document);

}  // namespace latchkey
