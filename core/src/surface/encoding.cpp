// latchkey/encoding.hpp: the core's base64 and base64url (base/crypto.cpp), for hosts.
#include "latchkey/encoding.hpp"

#include "crypto.hpp"

namespace latchkey {

std::string base64_encode(std::string_view bytes) { return detail::base64_encode(bytes); }
Result<std::string> base64_decode(std::string_view text) { return detail::base64_decode(text); }
std::string base64url_encode(std::string_view bytes) { return detail::base64url_encode(bytes); }
std::string hex_encode(std::string_view bytes) { return detail::hex_encode(bytes); }
Result<std::string> base64url_decode(std::string_view text) { return detail::base64url_decode(text); }

}  // namespace latchkey
