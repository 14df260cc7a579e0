// latchkey/text.hpp: the core's cleaning of untrusted text (base/text.cpp), and UTC time as text.
#include "latchkey/text.hpp"

#include "text.hpp"

namespace latchkey {

std::string clean_text(std::string_view text, std::size_t max) { return detail::clean(text, max); }
std::size_t hidden_code_point(std::string_view text, std::size_t i) { return detail::hidden_code_point(text, i); }

std::string utc_text(std::int64_t ms, bool iso8601) { return detail::utc_text(ms, iso8601); }

}  // namespace latchkey
