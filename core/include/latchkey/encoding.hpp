// Base64 (RFC 4648 §4) and base64url (§5) as the core writes them: sealed values, PKCE, state,
// and the names a host derives from secrets (a key record's name, a master key file). Byte
// strings are std::string (binary-safe). The decoders accept only canonical text, so one value
// has one spelling.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/result.hpp"

namespace latchkey {

/// Standard alphabet (A–Z a–z 0–9 + /) with '=' padding. Never fails.
std::string base64_encode(std::string_view bytes);

/// Decodes what base64_encode writes: groups of four alphabet characters, '=' only as the last
/// one or two; no line breaks, spaces or other characters.
///
/// Returns the bytes, owned by the caller. Error: ErrorCode::invalid_request, "value is not
/// valid base64" (the message never quotes the text, which may be a secret). Next: the text was
/// not written by base64_encode; ask for it again, do not try to repair it.
Result<std::string> base64_decode(std::string_view text);

/// URL-safe alphabet ('-' and '_' for '+' and '/'), no padding: safe in a path, a query and a
/// store key. Never fails.
std::string base64url_encode(std::string_view bytes);

/// Lowercase hexadecimal, two digits a byte (ids, nonces). Never fails.
std::string hex_encode(std::string_view bytes);

/// Decodes the URL-safe alphabet, with or without '=' padding.
///
/// Returns the bytes, owned by the caller. Error: ErrorCode::invalid_request ("value is not
/// valid base64url" or "value is not valid base64"; never quoting the text) for '+' or '/', a
/// length no encoding has, or any character outside the alphabet. Next: as base64_decode.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace latchkey
