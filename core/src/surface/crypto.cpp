// latchkey/crypto.hpp: the core's hashing, comparison and wiping (base/crypto.cpp), for hosts.
#include "latchkey/crypto.hpp"

#include "crypto.hpp"

namespace latchkey {

std::string sha256(std::string_view data) { return detail::sha256(data); }
bool constant_time_equal(std::string_view a, std::string_view b) { return detail::constant_time_equal(a, b); }
void wipe(std::string& secret) { detail::wipe(secret); }

}  // namespace latchkey
