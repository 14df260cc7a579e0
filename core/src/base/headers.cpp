#include "headers.hpp"

#include <cctype>

namespace latchkey::detail {

const std::string* find_header(const Params& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return &v;
  }
  return nullptr;
}

void add_missing_headers(Params& headers, const Params& defaults) {
  for (const auto& h : defaults) {
    if (!find_header(headers, h.first)) headers.push_back(h);
  }
}

}  // namespace latchkey::detail
