#include "config.hpp"

#include "forwarded.hpp"
#include "return_to.hpp"
#include "static_files.hpp"

namespace latchkey::gateway {

Result<ApiConfig> check_api_config(ApiConfig config) {
  for (auto& origin : config.return_to_origins) {
    auto normalized = parse_origin(origin);
    if (!normalized) return normalized.error();
    origin = std::move(*normalized);
  }
  if (!config.public_url.empty()) {
    std::string url = config.public_url;
    if (url.size() > 1 && url.back() == '/') url.pop_back();  // "https://vault.example.com/" is the origin too
    auto origin = origin_of(url);
    const auto after_scheme = url.find("://");
    if (!origin || url.find_first_of("/?#", after_scheme + 3) != std::string::npos) {
      return make_error(ErrorCode::invalid_request,
                        "--public-url '" + config.public_url +
                            "' must be the origin browsers use, scheme://host[:port] without a path "
                            "(e.g. https://vault.example.com)");
    }
    config.public_url = std::move(*origin);
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
