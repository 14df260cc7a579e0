// The core's only door to picojson: latchkey/json.hpp (which hosts use too) includes it with the
// settings every target needs; these are the core's own readers over the same values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "latchkey/json.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail::json {

using Value = JsonValue;
using Object = JsonObject;
using Array = JsonArray;

/// Deepest nesting accepted; deeper input is malformed (and would cost stack on wasm).
constexpr std::size_t kMaxDepth = kMaxJsonDepth;

/// Parses `text` as one JSON value. Rejects invalid UTF-8, non-finite numbers, nesting deeper
/// than kMaxDepth and trailing garbage. `what` names the document in the error message.
Result<Value> parse(std::string_view text, const char* what);

/// picojson's reader over a text buffer, for parse contexts that fill typed structs directly,
/// which can also hand over a run of plain string bytes at once (read_string). Every parse in
/// the core starts from one: picojson hands it back to a context as its base class, and the
/// core's contexts (file-local to json.cpp and records.cpp) take it back with a static_cast.
class Input : public picojson::input<const char*> {
 public:
  Input(const char* first, const char* last) : picojson::input<const char*>(first, last) {}
  /// The bytes from the cursor up to the next quote, backslash or control byte (none of them
  /// a line break), consumed.
  std::string_view take_plain();
};

/// Reads the rest of a JSON string whose opening quote `in` has consumed, appending its value
/// to *out: picojson's _parse_string, but each run of plain bytes (most of a token, a sealed
/// value) is appended at once rather than byte by byte. A context's parse_string calls it.
bool read_string(Input& in, std::string* out);

/// Parses one value from `in` into *out with parse()'s rules (finite numbers, bounded depth).
bool parse_value(Input& in, Value* out, std::size_t depth);

/// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_utf8(std::string_view s);

std::string serialize(const Value& v);

// Typed member access. Each returns nullptr / false when the member is missing or of another type.
const std::string* get_string(const Object& o, const std::string& key);
const Object* get_object(const Object& o, const std::string& key);
const Array* get_array(const Object& o, const std::string& key);
bool get_bool(const Object& o, const std::string& key, bool* out);
bool get_int(const Object& o, const std::string& key, std::int64_t* out);
/// Follows a dotted path ("authed_user.access_token") through objects, and through arrays by
/// decimal index ("accounts.0.base_uri"); nullptr if absent.
const Value* find_path(const Object& o, std::string_view dotted);

inline Value str(std::string s) { return Value(std::move(s)); }
inline Value num(std::int64_t n) { return Value(n); }
inline Value boolean(bool b) { return Value(b); }

}  // namespace latchkey::detail::json
