// Typed reads of a JSON request's members, for the C ABI's operations and helpers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "json.hpp"
#include "latchkey/engine.hpp"

namespace latchkey::detail {

/// Reads members of one request object. A missing or null member gives the fallback; a member of
/// the wrong type gives the fallback too, and the first such problem is remembered ("'key' must
/// be a string"), for the caller to report as invalid_request once it has read everything.
class Args {
 public:
  explicit Args(const json::Object& o) : o_(o) {}
  std::string str(const char* key, std::string fallback = {});
  std::optional<std::string> opt_str(const char* key);
  std::int64_t integer(const char* key, std::int64_t fallback);
  bool flag(const char* key);
  /// An array of strings, or one string of names separated by spaces or commas ("a b,c").
  std::vector<std::string> strings(const char* key);
  std::map<std::string, std::string> map(const char* key);
  /// {"name": "value", ...} or [["name", "value"], ...] (the second keeps order and repeats).
  Params params(const char* key);
  /// The member as it is (nullptr when absent), for members that are whole documents.
  const json::Value* raw(const char* key) const;
  /// principal (default "default"), provider, account (absent: the only connection to that provider).
  ConnectionRef ref();
  /// Remembers "'key' is required" when the member is missing or empty.
  void require(const char* key);
  const std::string& problem() const { return problem_; }

 private:
  void wrong(const char* key, const char* what);
  const json::Object& o_;
  std::string problem_;
};

}  // namespace latchkey::detail
