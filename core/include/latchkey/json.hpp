// JSON values for hosts: the same picojson values the core reads and writes, with the core's
// strict reader. A host that answers with the core's JSON forms (latchkey/json_forms.hpp), or
// reads a document next to them, uses these and never picojson's own parse.
//
// picojson is built without exceptions on every target: its asserts abort (check is<T>() before
// every get<T>()), and numbers that would overflow a double are refused while parsing instead of
// reaching its throwing value(double) constructor. Never build a Value from a NaN or infinity.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#define PICOJSON_USE_INT64
#define PICOJSON_USE_LOCALE 0
#define PICOJSON_ASSERT(e) \
  do {                     \
    if (!(e)) std::abort(); \
  } while (0)
// value(double)'s one unconditional throw is rewritten into an abort in the build's copy of
// picojson.h (cmake/dependencies.cmake): g++ refuses any throw under -fno-exceptions.
#include <picojson.h>

#include "latchkey/result.hpp"

namespace latchkey {

/// A JSON value; integers are int64 (is<std::int64_t>()), other numbers double. Values own their
/// contents and copy deeply. (The core's internals call these json::Value, json::Object, ...)
using JsonValue = picojson::value;
using JsonObject = picojson::object;  ///< std::map: members in name order, each name once.
using JsonArray = picojson::array;

/// Deepest nesting parse_json() accepts: deeper input is malformed (and would cost stack on wasm).
constexpr std::size_t kMaxJsonDepth = 64;

/// Parses `text` as exactly one JSON value (RFC 8259). `what` names the document in the error
/// message ("the gateway's answer"); it is copied, not kept.
///
/// Returns the value, owned by the caller. Errors, all ErrorCode::malformed_response (nothing is
/// kept from a bad document; the message quotes none of it, so it is safe to log):
///   - `text` is not well-formed UTF-8 ("<what> is not valid UTF-8 text");
///   - it is not JSON, has a number that is not finite in a double, or nests deeper than
///     kMaxJsonDepth ("<what> is not valid JSON (error near line N; ...)");
///   - a value is followed by anything but whitespace ("<what> has unexpected text after ...").
/// Next: the document came from elsewhere; report it (the message says what was wrong) and do
/// not retry the same bytes.
Result<JsonValue> parse_json(std::string_view text, const char* what);

/// The value as compact JSON text (no spaces, object members in name order). Never fails.
std::string serialize_json(const JsonValue& v);

/// True if `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF):
/// what a JSON string may hold. Never fails.
bool is_utf8(std::string_view s);

// Typed member access. Each returns a pointer into `o` (valid while `o` lives and is not
// changed) or writes *out; nullptr / false when the member is missing or of another type, and
// then *out is left as it was. None reports an error: a caller that needs the member says so in
// its own words.
const std::string* json_string(const JsonObject& o, const std::string& key);
const JsonObject* json_object(const JsonObject& o, const std::string& key);
const JsonArray* json_array(const JsonObject& o, const std::string& key);
bool json_bool(const JsonObject& o, const std::string& key, bool* out);
/// An integer member (int64); a number with a fraction, or a string of digits, is not one.
bool json_int(const JsonObject& o, const std::string& key, std::int64_t* out);

}  // namespace latchkey
