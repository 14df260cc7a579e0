// latchkey/expiry_index.hpp: the core's expiry index keys (store/records.cpp), for hosts.
#include "latchkey/expiry_index.hpp"

#include "records.hpp"

namespace latchkey {

std::string expiry_index_prefix(const std::string& record_prefix) { return detail::expiry_index_prefix(record_prefix); }
std::string expiry_index_key(const std::string& record_key, std::int64_t expires_at_ms) {
  return detail::expiry_index_key(record_key, expires_at_ms);
}
Result<ExpiryEntry> expiry_entry_from_key(const std::string& index_key) {
  return detail::expiry_entry_from_key(index_key);
}

}  // namespace latchkey
