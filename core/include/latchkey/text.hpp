// Untrusted text (a provider's words, a user's input) made safe to print on a terminal or in a
// log, by the rules the core applies to every message that quotes a provider.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey {

/// `text` made safe for a message: bytes that are not well-formed UTF-8 dropped, C0/C1 controls
/// removed (tab and line breaks become spaces), bidi overrides and isolates and line separators
/// removed (log and terminal spoofing), then cut to at most `max` bytes on a character boundary
/// with "..." appended when it was cut (std::string_view::npos: no cap; the core quotes at most
/// 300 bytes of a provider's text). Never fails.
std::string clean_text(std::string_view text, std::size_t max);

/// The length (2 or 3) of the code point starting at `text[i]` when it is valid UTF-8 that must
/// not reach a log or terminal as is: a C1 control (U+0080–U+009F), a line or paragraph
/// separator or bidi embedding/override (U+2028–U+202E), a bidi isolate (U+2066–U+2069); 0 for
/// anything else (including i past the end). For a printer that escapes such code points rather
/// than dropping them. Never fails.
std::size_t hidden_code_point(std::string_view text, std::size_t i);

/// Unix milliseconds as UTC text (proleptic Gregorian; no clock, no locale, no libc):
/// "2025-01-31 12:00:00Z" for people, or with `iso8601` "2025-01-31T12:00:00.000Z" (RFC 3339,
/// milliseconds) for APIs. Never fails.
std::string utc_text(std::int64_t ms, bool iso8601 = false);

}  // namespace latchkey
