// Which asked-for scopes a provider does not offer: one rule for every host (the CLI's warning
// and --strict, a gateway or page that wants the same).
#include <algorithm>

#include "latchkey/provider.hpp"

namespace latchkey {

std::vector<std::string> unknown_scopes(const Provider& provider, const std::vector<std::string>& asked) {
  std::vector<std::string> unknown;
  if (provider.available_scopes.empty()) return unknown;
  const auto& offered = provider.available_scopes;
  for (const auto& s : asked) {
    if (std::find(offered.begin(), offered.end(), s) != offered.end()) continue;
    if (std::find(unknown.begin(), unknown.end(), s) == unknown.end()) unknown.push_back(s);
  }
  return unknown;
}

}  // namespace latchkey
