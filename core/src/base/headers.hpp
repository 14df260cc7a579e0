// HTTP header lookups shared by every layer that reads a request or an answer.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/effects.hpp"

namespace latchkey::detail {

/// The value of the header `name` (compared case-insensitively), or nullptr when absent.
const std::string* find_header(const Params& headers, std::string_view name);

/// Appends each of `defaults` that `headers` has no header of that name for: a provider's
/// api_headers, which a caller's own (a newer Notion-Version) override.
void add_missing_headers(Params& headers, const Params& defaults);

}  // namespace latchkey::detail
