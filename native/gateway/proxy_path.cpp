#include "proxy_path.hpp"

#include "target.hpp"

namespace latchkey::gateway {
namespace {

/// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the bounds of the byte after the lead
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;  // 0x80-0xC1 (a stray continuation, or an overlong two-byte lead), 0xF5-0xFF
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

/// "." or "..", also with a path parameter after it.
bool is_dot_segment(const std::string& part) {
  const std::string name = part.substr(0, part.find(';'));
  return name == "." || name == "..";
}

std::string refusal_once(const std::string& segment) {
  if (segment.find('\0') != std::string::npos) return "the proxied path must not contain NUL bytes (%00)";
  if (segment.find('\\') != std::string::npos) return "the proxied path must not contain backslashes";
  if (!valid_utf8(segment)) {
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
