#include "config.hpp"

#include "return_to.hpp"
#include "static_files.hpp"

namespace latchkey::gateway {

Result<ApiConfig> check_api_config(ApiConfig config) {
  for (auto& origin : config.return_to_origins) {
    auto normalized = parse_origin(origin);
    if (!normalized) return normalized.error();
    origin = std::move(*normalized);
  }
  if (!config.web_root.empty()) {
    auto root = resolve_web_root(config.web_root);
    if (!root) return root.error();
    config.web_root = std::move(*root);
  }
  return config;
}

}  // namespace latchkey::gateway
