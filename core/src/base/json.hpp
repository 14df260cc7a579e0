// The core's only door to picojson, built the same on every target and with exceptions off: its
// asserts abort (we check is<T>() before every get<T>()), and numbers that would overflow a
// double are rejected while parsing, so they never reach value(double) (whose one unconditional
// throw the build rewrites into an abort: cmake/dependencies.cmake).
#pragma once

#include <cstdlib>

#define PICOJSON_USE_INT64
#define PICOJSON_USE_LOCALE 0
#define PICOJSON_ASSERT(e) \
  do {                     \
    if (!(e)) std::abort(); \
  } while (0)
#include <picojson.h>

#include "latchkey/result.hpp"

namespace latchkey::detail::json {

using Value = picojson::value;
using Object = picojson::object;
using Array = picojson::array;

/// Deepest nesting accepted; deeper input is malformed (and would cost stack on wasm).
constexpr std::size_t kMaxDepth = 64;

/// Parses `text` as one JSON value. Rejects invalid UTF-8, non-finite numbers, nesting deeper
/// than kMaxDepth and trailing garbage. `what` names the document in the error message.
Result<Value> parse(std::string_view text, const char* what);

/// picojson's reader over a text buffer, for parse contexts that fill typed structs directly.
using Input = picojson::input<const char*>;

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
/// Follows a dotted path ("authed_user.access_token") through objects; nullptr if absent.
const Value* find_path(const Object& o, std::string_view dotted);

inline Value str(std::string s) { return Value(std::move(s)); }
inline Value num(std::int64_t n) { return Value(n); }
inline Value boolean(bool b) { return Value(b); }

}  // namespace latchkey::detail::json
