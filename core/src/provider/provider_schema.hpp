// The provider schema as data: every member a definition may have, its JSON type, whether it
// may be null or must be given, its allowed values or pattern, and one line of documentation.
// The reader takes member names, types, nullability and requiredness from here; validation
// takes the ping methods, scope separators and the expiry buffer's bounds; the enumerations'
// values are provider_enums.hpp's tables; the patterns below are checked by hand, each held to
// its pattern by a unit test (tests/core/provider/provider_schema_test.cpp). provider_schema_json() (provider.hpp)
// exports it, and the page, the JS types and docs/provider-schema.md are generated from or
// checked against that export (tests/schema).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey::detail {

enum class JsonType {
  string,
  boolean,
  integer,
  string_list,  ///< an array of strings
  string_map,   ///< an object whose values are strings ({"prompt": "consent"})
  object,       ///< an object with the members listed under its path
  object_map,   ///< an object whose values are objects with the members under "path.*"
};

struct SchemaField {
  std::string path;  ///< "key", "token_response.root", "template_params.*.pattern"
  JsonType type = JsonType::string;
  std::string doc;                  ///< One line for users.
  bool nullable = false;            ///< null is accepted, and means unset.
  bool required = false;            ///< Must be given (and not null).
  bool written_when_set = false;    ///< provider_to_json leaves it out when unset.
  bool url = false;                 ///< An endpoint URL under the core's URL policy.
  std::vector<std::string> values;  ///< The allowed values (a string member).
  std::string pattern;              ///< Anchored; pattern.hpp's subset, which reads the same in ECMAScript.
  std::string item_pattern;         ///< string_list: every item's; string_map / object_map: every name's.
  std::size_t max_length = 0;       ///< In bytes; 0: no limit of its own.
  bool bounded = false;             ///< integer: minimum..maximum apply.
  std::int64_t minimum = 0;
  std::int64_t maximum = 0;

  // Builders, so the table reads as one line per member.
  SchemaField& may_be_null() { nullable = true; return *this; }
  SchemaField& must_be_given() { required = true; return *this; }
  SchemaField& only_when_set() { written_when_set = true; return *this; }
  SchemaField& is_url() { url = true; return *this; }
  SchemaField& one_of(std::vector<std::string> v) { values = std::move(v); return *this; }
  SchemaField& matching(std::string p) { pattern = std::move(p); return *this; }
  SchemaField& items_matching(std::string p) { item_pattern = std::move(p); return *this; }
  SchemaField& at_most(std::size_t n) { max_length = n; return *this; }
  SchemaField& between(std::int64_t lo, std::int64_t hi) { bounded = true; minimum = lo; maximum = hi; return *this; }
};

/// Patterns the core checks by hand (provider_validation.cpp, provider_templates.cpp): on every
/// definition read (keys, template names: compiling a pattern each time costs more than the
/// read), or for values that may be longer than pattern_matches takes (256 bytes). A unit test
/// holds each hand check to its pattern.
inline constexpr std::string_view kKeyPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";
inline constexpr std::string_view kTemplateNamePattern = "^[a-z][a-z0-9_]{0,31}$";
inline constexpr std::string_view kManagedConfigKeyPattern = "^[A-Za-z0-9_.\\-]*$";
inline constexpr std::string_view kScopePattern = "^[!#-\\[\\]-~]+$";  // RFC 6749 §3.3 scope-token
inline constexpr std::string_view kScopeParamPattern = "^[A-Za-z0-9_.\\-]+$";
inline constexpr std::string_view kGrantTypePattern = "^[A-Za-z0-9_.:\\-]+$";  // urn:ietf:params:oauth:grant-type:…
inline constexpr std::string_view kHeaderNamePattern = "^[!#$%&'*+.^_`|~0-9A-Za-z\\-]+$";  // RFC 9110 token
inline constexpr std::string_view kDottedPathPattern = "^[^.]+(\\.[^.]+)*$";

/// Every member, parents before their children, in the order the writer writes them.
const std::vector<SchemaField>& provider_schema();
/// The member at `path` ("template_params.*.default"); nullptr if the schema has none.
const SchemaField* schema_field(std::string_view path);
/// The members directly under the object at `prefix` ("", "ping.", "template_params.*."), in
/// table order; empty if the schema has no such object. The reader takes them once per object.
const std::vector<const SchemaField*>& schema_children(std::string_view prefix);
/// The names of the members directly under `parent` ("" for the top level).
std::vector<std::string> schema_members(std::string_view parent);

}  // namespace latchkey::detail
