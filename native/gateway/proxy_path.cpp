#include "proxy_path.hpp"

#include "latchkey/json.hpp"
#include "target.hpp"

namespace latchkey::gateway {
namespace {

/// "." or "..", also with a path parameter after it.
bool is_dot_segment(const std::string& part) {
  const std::string name = part.substr(0, part.find(';'));
  return name == "." || name == "..";
}

std::string refusal_once(const std::string& segment) {
  if (segment.find('\0') != std::string::npos) return "the proxied path must not contain NUL bytes (%00)";
  if (segment.find('\\') != std::string::npos) return "the proxied path must not contain backslashes";
  // Strict (json.hpp): no overlong forms, no surrogates, nothing past U+10FFFF.
  if (!is_utf8(segment)) {
    return "the proxied path must be UTF-8 once percent-decoded (overlong forms such as %c0%ae are refused)";
  }
  // An encoded slash splits the segment again on servers that decode before splitting.
  std::size_t at = 0;
  while (true) {
    const auto slash = segment.find('/', at);
    if (is_dot_segment(segment.substr(at, slash == std::string::npos ? std::string::npos : slash - at))) {
      return "the proxied path must not contain '.' or '..' segments (also as '..;' or encoded)";
    }
    if (slash == std::string::npos) return "";
    at = slash + 1;
  }
}

}  // namespace

std::string proxy_segment_refusal(const std::string& segment) {
  std::string why = refusal_once(segment);
  if (!why.empty()) return why;
  // For servers that decode twice: "%252e%252e" reaches them as "%2e%2e" and then "..".
  std::string again;
  if (segment.find('%') != std::string::npos && decode_segment(segment, &again)) return refusal_once(again);
  return "";
}

}  // namespace latchkey::gateway
