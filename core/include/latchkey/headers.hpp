// Reading HTTP headers and the lists they (and scope strings) hold, as the core reads them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/provider.hpp"

namespace latchkey {

/// The value of the first header named `name`, compared ASCII case-insensitively (HTTP names
/// are), or nullptr when there is none. The pointer is into `headers`: valid while it lives and
/// is not changed. Never fails.
const std::string* find_header(const Params& headers, std::string_view name);

/// Splits a list written with commas and/or spaces ("a,b c" → {"a", "b", "c"}; empty items are
/// dropped): scopes as users type them, a header's tokens (Connection: keep-alive, Upgrade).
/// Never fails.
std::vector<std::string> split_list(std::string_view text);

}  // namespace latchkey
