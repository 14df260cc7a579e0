#include "config.hpp"

#include "forwarded.hpp"
#include "return_to.hpp"
#include "static_files.hpp"

namespace latchkey::gateway {

Result<ApiConfig> check_api_config(ApiConfig config) {
  for (auto& origin : config.return_to_origins) {
    auto normalized = parse_origin(origin, "--return-to-origin");
    if (!normalized) return normalized.error();
    origin = std::move(*normalized);
  }
  if (!config.public_url.empty()) {
    auto origin = parse_origin(config.public_url, "--public-url");
    if (!origin) return origin.error();
    config.public_url = std::move(*origin);
    config.public_host = config.public_url.substr(config.public_url.find("://") + 3);
  }
  config.trusted.clear();
  for (const auto& text : config.trusted_proxies) {
    auto range = parse_cidr(text);
    if (!range) return range.error();
    config.trusted.push_back(*range);
  }
  if (!config.web_root.empty()) {
    auto root = resolve_web_root(config.web_root);
    if (!root) return root.error();
    config.web_root = std::move(*root);
  }
  return config;
}

}  // namespace latchkey::gateway
