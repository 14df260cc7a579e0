// latchkey/headers.hpp: header lookup (base/headers.cpp) and list splitting
// (protocol/authorization.cpp), for hosts.
#include "latchkey/headers.hpp"

#include "authorization.hpp"
#include "headers.hpp"

namespace latchkey {

const std::string* find_header(const Params& headers, std::string_view name) {
  return detail::find_header(headers, name);
}
std::vector<std::string> split_list(std::string_view text) { return detail::split_list(text); }

}  // namespace latchkey
