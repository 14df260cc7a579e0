// What the provider files share: the limits of a definition, how their messages quote the
// definition's own text, and the checks more than one of them applies (reader, validation,
// templates, discovery each live in their own file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"
#include "text.hpp"

// Returns the error of a Status or Result expression from the enclosing function.
#define LK_TRY(expr)                                               \
  do {                                                             \
    auto lk_try_status_ = (expr);                                  \
    if (!lk_try_status_) return std::move(lk_try_status_).error(); \
  } while (0)

namespace latchkey::detail {

constexpr std::size_t kMaxProviderJson = 256 * 1024;

/// provider_from_json on an object already parsed (the catalog's entries).
Result<Provider> provider_from_object(const json::Object& o);
constexpr std::size_t kMaxKey = 64;
constexpr std::size_t kMaxDisplayName = 128;
constexpr std::size_t kMaxTemplateValue = 256;
constexpr std::size_t kMaxManagedConfigKey = 64;
constexpr std::int64_t kMaxExpiryBuffer = 86400;
constexpr std::size_t kMaxScopeDescription = 200;

// Every validation message quotes the definition's own text (names, members, values), which may
// hold anything: it is cleaned once here, whatever part of it was quoted.
inline Error invalid(std::string message) { return make_error(ErrorCode::invalid_request, clean(message, 1000)); }
inline Error malformed(std::string message) { return make_error(ErrorCode::malformed_response, std::move(message)); }

/// Quotes untrusted text in a message, cut short so a hostile document cannot flood logs, and
/// cleaned (text.hpp): a cut never splits a UTF-8 character, no control character passes.
inline std::string quote(std::string_view s) { return "'" + clean(s, 80) + "'"; }

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

inline bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
inline bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/// RFC 6749 §3.3 scope tokens, none holding a ',' when that is the separator.
Status check_scopes(const std::vector<std::string>& scopes, const char* field, const std::string& separator);
/// An RFC 9110 token (tchar+): what a header name may be.
bool valid_header_name(std::string_view name);

}  // namespace latchkey::detail
