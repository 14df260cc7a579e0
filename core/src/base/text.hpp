// What a provider sends is untrusted text: the readers of its answers (token, device
// authorization, pushed authorization, registration, metadata) share these checks, and every
// message that quotes a provider's words passes them through clean().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

/// Provider text (error codes, descriptions, names, excerpts) is capped before it reaches a
/// message: messages end up in logs and UIs, and a hostile endpoint could send a megabyte.
inline constexpr std::size_t kMaxProviderText = 300;

/// Provider text made safe for a message: valid UTF-8 only, no C0/C1 controls (tab and line
/// breaks become spaces), no bidi overrides or line separators (log and terminal spoofing), at
/// most `max` bytes, then "..." when it was cut.
std::string clean(std::string_view s, std::size_t max = kMaxProviderText);

/// The length (2 or 3) of a code point at `s[i]` that is valid UTF-8 but must not reach a log or
/// terminal as is: a C1 control (U+0080..U+009F), a line or paragraph separator or bidi
/// embedding/override (U+2028..U+202E), a bidi isolate (U+2066..U+2069); 0 for anything else.
std::size_t hidden_code_point(std::string_view s, std::size_t i);

/// True if `s` has a C0 control (tab and line breaks included), DEL, or a C1 control (U+0080..
/// U+009F as UTF-8, or a lone byte 0x80..0x9F): text that must not be stored to be shown later.
bool has_control(std::string_view s);

/// RFC 6749 Appendix A VSCHAR (%x20-7E) only: what tokens and codes sent back in a header or a
/// form may contain (no CR/LF to smuggle in a header, nothing that rewrites a terminal).
bool is_vschar(std::string_view s);

/// A whole number between 0 and `max`: a JSON integer, an integral JSON number (3600.0) or a
/// numeric string ("3599", as some servers quote it). False for anything else.
bool whole_number(const json::Value& v, std::int64_t max, std::int64_t* out);

/// An error answering HTTP `status` (kept in http_status for the caller).
Error http_error(ErrorCode code, int status, std::string message);
/// "HTTP 404", as messages name a status.
std::string http_text(int status);

/// JSON whitespace (RFC 8259 §2).
inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// latchkey::utc_text (latchkey/text.hpp).
std::string utc_text(std::int64_t ms, bool iso8601 = false);

}  // namespace latchkey::detail
