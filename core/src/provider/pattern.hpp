// Template-parameter patterns ({tenant}, {shop}): a small, safe regex subset, because
// std::regex aborts on a bad pattern without exceptions and weighs ~100 KB in wasm.
//
// Supported: anchors ^ (first) and $ (last) — both required; literals; escapes \. \- \\ etc.;
// `.`; classes [a-z0-9._-] and negated [^...]; groups ( ) with alternation |; quantifiers
// ? * + {n} {n,} {n,m} (m ≤ 1000). Input and pattern lengths are capped, so matching is bounded.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/result.hpp"

namespace latchkey::detail {

/// Checks a pattern is in the subset and anchored; invalid_request naming the problem if not.
Status check_pattern(std::string_view pattern);
/// True if the whole of `value` (≤ 256 bytes) matches `pattern`; false for invalid patterns.
bool pattern_matches(std::string_view pattern, std::string_view value);

}  // namespace latchkey::detail
