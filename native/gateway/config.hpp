// Checks the API settings that came from flags, the environment or the config file, once at
// start-up, so a typo fails loudly instead of refusing every sign-in later.
#pragma once

#include "api.hpp"

namespace latchkey::gateway {

/// Normalizes `config`: return-to origins to scheme://host[:port] (lower-case, default port
/// dropped), the web root to its resolved absolute path. invalid_request naming the bad value.
Result<ApiConfig> check_api_config(ApiConfig config);

}  // namespace latchkey::gateway
