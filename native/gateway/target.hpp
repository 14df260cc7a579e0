// Request targets as the API routes them: path segments percent-decoded, the query kept raw.
#pragma once

#include <string>
#include <vector>

namespace latchkey::gateway {

struct Target {
  std::vector<std::string> segments;  ///< Decoded.
  std::string query;
};

/// False for a target that is not an absolute path, has an empty segment or bad percent-escapes.
bool split_target(const std::string& target, Target* t);

/// Percent-decodes one path segment ('+' stays '+': this is a path, not a form). False if
/// malformed or empty.
bool decode_segment(const std::string& s, std::string* out);

/// `name`, `name=true` or `name=1` in a raw query string.
bool query_flag(const std::string& query, const std::string& name);

}  // namespace latchkey::gateway
